import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/**
 * What LeakGuard reads of a delivery (the rest of GitHub's payload is ignored): enough to fetch the
 * alert, whose state and secret come from the REST API, never from the payload. Written once: the
 * type and the check (octokit-webhooks schemas in shared/fixtures/github/schemas).
 */
const Repository = Type.Object({
  id: Type.Integer(),
  name: Type.String({ minLength: 1 }),
  full_name: Type.String({ minLength: 3 }),
  owner: Type.Object({ login: Type.String({ minLength: 1 }) }),
  private: Type.Boolean(),
  visibility: Type.Optional(Type.String()),
});

const Alert = Type.Object({
  number: Type.Integer({ minimum: 1 }),
  html_url: Type.Optional(Type.String()),
  secret_type: Type.Optional(Type.String()),
  secret_type_display_name: Type.Optional(Type.String()),
});

export const AlertEvent = Type.Object({
  action: Type.String({ minLength: 1 }),
  alert: Alert,
  repository: Repository,
  organization: Type.Optional(Type.Object({ login: Type.String({ minLength: 1 }), id: Type.Integer() })),
  location: Type.Optional(Type.Object({ type: Type.Optional(Type.String()) })),
});
export type AlertEvent = Static<typeof AlertEvent>;

export const PingEvent = Type.Object({
  hook_id: Type.Optional(Type.Integer()),
  organization: Type.Optional(Type.Object({ login: Type.String({ minLength: 1 }) })),
});

/** The events LeakGuard acts on; anything else is answered and dropped. */
export const ALERT_EVENTS = ['secret_scanning_alert', 'secret_scanning_alert_location'] as const;

const checkAlert = TypeCompiler.Compile(AlertEvent);
const checkPing = TypeCompiler.Compile(PingEvent);

/** The problems of a payload against its event's schema, as "path message" lines; empty when it reads. */
export function payloadProblems(event: string, payload: unknown): string[] {
  const check = event === 'ping' ? checkPing : checkAlert;
  return check.Check(payload) ? [] : [...check.Errors(payload)].slice(0, 10).map((e) => `${e.path || '(body)'} ${e.message}`);
}

/** The queued work of one delivery: which alert to fetch, and where the delivery came from. */
export interface AlertWork {
  [key: string]: unknown;
  via: 'webhook' | 'reconciliation';
  owner: string;
  repo: string;
  repoId: number;
  number: number;
  /** Visibility as the delivery or listing said; the repository is read again when the alert is fetched. */
  private: boolean;
  org: string | null;
  event?: string;
  action?: string;
  hookId?: number;
  deliveryId?: string;
  alertUrl?: string;
  secretType?: string;
  locationType?: string;
}

export function alertWork(event: string, p: AlertEvent, delivery: { hookId: number; deliveryId: string }): AlertWork {
  return {
    via: 'webhook',
    owner: p.repository.owner.login,
    repo: p.repository.name,
    repoId: p.repository.id,
    number: p.alert.number,
    private: p.repository.private,
    org: p.organization?.login ?? null,
    event,
    action: p.action,
    ...delivery,
    ...(p.alert.html_url ? { alertUrl: p.alert.html_url } : {}),
    ...(p.alert.secret_type ? { secretType: p.alert.secret_type } : {}),
    ...(p.location?.type ? { locationType: p.location.type } : {}),
  };
}
