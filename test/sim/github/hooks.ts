import { randomUUID } from 'node:crypto';
import type { components } from '@octokit/openapi-types';
import { errors, GitHubError } from './errors.js';
import { type Account, isoTime } from './model.js';
import { perPageOf } from './paging.js';
import { deliver, type DeliveryResult } from './sender.js';

export type HookDeliveryItem = components['schemas']['hook-delivery-item'];

export interface Hook {
  id: number;
  org: Account;
  url: string;
  secret?: string;
  contentType: 'json' | 'form';
  /** Event names, or "*" for all. */
  events: string[];
  active: boolean;
  createdAt: number;
}

/** One attempt, as GET .../deliveries lists it, with what was sent so that it can be sent again. */
export interface DeliveryRecord {
  id: number;
  hookId: number;
  guid: string;
  deliveredAt: number;
  redelivery: boolean;
  durationS: number;
  status: string;
  statusCode: number;
  event: string;
  action: string | null;
  repositoryId: number | null;
  payload: unknown;
  result: DeliveryResult;
}

/** Deliveries can be redelivered for 3 days on github.com (redelivering-webhooks). */
export const REDELIVERY_WINDOW_MS = 3 * 86_400_000;
const DOCS = 'https://docs.github.com/rest/orgs/webhooks#list-deliveries-for-an-organization-webhook';

export function deliveryItem(d: DeliveryRecord): HookDeliveryItem {
  return {
    id: d.id,
    guid: d.guid,
    delivered_at: isoTime(d.deliveredAt),
    redelivery: d.redelivery,
    duration: d.durationS,
    status: d.status,
    status_code: d.statusCode,
    event: d.event,
    action: d.action,
    installation_id: null,
    repository_id: d.repositoryId,
    throttled_at: null,
  };
}

/**
 * Organization webhooks and their deliveries: sends each event to every active hook that takes
 * it, records every attempt (the API lists the newest first) and redelivers on request with the
 * same X-GitHub-Delivery GUID and `redelivery: true` (the GUID "is constant across redeliveries",
 * automatically-redelivering-failed-deliveries-for-an-organization-webhook).
 */
export class Hooks {
  readonly hooks: Hook[] = [];
  readonly deliveries: DeliveryRecord[] = [];
  readonly #inFlight = new Set<Promise<unknown>>();
  #nextDeliveryId = 90_000_000_001;
  timeoutMs: number | undefined;

  constructor(private readonly now: () => number) {}

  /** Sends the event to every hook of the organization that takes it; resolves with the attempts. */
  send(org: Account, event: string, payloadFor: (hook: Hook) => unknown, meta: { action: string | null; repositoryId: number | null }): Promise<DeliveryRecord[]> {
    const hooks = this.hooks.filter((h) => h.org.id === org.id && h.active && (h.events.includes('*') || h.events.includes(event)));
    return this.sendTo(hooks, event, payloadFor, meta);
  }

  /** Sends one event (one GUID) to these hooks, e.g. a ping to the hook it tests. */
  sendTo(hooks: Hook[], event: string, payloadFor: (hook: Hook) => unknown, meta: { action: string | null; repositoryId: number | null }): Promise<DeliveryRecord[]> {
    const guid = randomUUID();
    return Promise.all(hooks.map((h) => this.#attempt(h, { guid, event, payload: payloadFor(h), redelivery: false, ...meta })));
  }

  /** POST .../deliveries/{id}/attempts: answered 202 at once; the attempt follows. */
  redeliver(hook: Hook, deliveryId: number): void {
    const d = this.deliveries.find((x) => x.id === deliveryId && x.hookId === hook.id);
    if (!d) throw errors.notFound('https://docs.github.com/rest/orgs/webhooks#redeliver-a-delivery-for-an-organization-webhook');
    // The docs state the window, not the answer past it; 422 as for other refused requests.
    if (this.now() - d.deliveredAt > REDELIVERY_WINDOW_MS) throw new GitHubError(422, 'This delivery is too old to be redelivered.', DOCS);
    void this.#attempt(hook, { guid: d.guid, event: d.event, payload: d.payload, redelivery: true, action: d.action, repositoryId: d.repositoryId });
  }

  /** Resolves once every delivery under way has been recorded: tests wait on this, not on time. */
  async idle(): Promise<void> {
    while (this.#inFlight.size) await Promise.all(this.#inFlight);
  }

  /**
   * GET .../deliveries: newest first, `per_page` (max 100, default 30), an opaque `cursor` from the
   * Link header's rel="next", and `status` success (200-399) or failure (400-599).
   */
  list(hook: Hook, q: URLSearchParams, selfUrl: string): { items: HookDeliveryItem[]; link: string | null } {
    const status = q.get('status');
    if (status !== null && status !== 'success' && status !== 'failure') {
      throw errors.invalidRequest(`"${status}" is not a member of ["success", "failure"].`, DOCS);
    }
    const perPage = perPageOf(q, DOCS);
    const cursor = q.get('cursor');
    let from = Infinity;
    if (cursor) {
      const m = /^v1_(\d+)$/.exec(cursor);
      if (!m) throw new GitHubError(400, 'Invalid cursor', DOCS);
      from = Number(m[1]);
    }
    const ok = (d: DeliveryRecord) => (status === 'success' ? d.statusCode >= 200 && d.statusCode < 400 : status === 'failure' ? d.statusCode >= 400 : true);
    const all = this.deliveries.filter((d) => d.hookId === hook.id && ok(d) && d.id <= from).sort((a, b) => b.id - a.id);
    const page = all.slice(0, perPage);
    const next = all[perPage];
    let link: string | null = null;
    if (next) {
      const u = new URL(selfUrl);
      u.searchParams.set('per_page', String(perPage));
      u.searchParams.set('cursor', `v1_${next.id}`);
      link = `<${u.href}>; rel="next"`;
    }
    return { items: page.map(deliveryItem), link };
  }

  async #attempt(hook: Hook, d: { guid: string; event: string; payload: unknown; redelivery: boolean; action: string | null; repositoryId: number | null }): Promise<DeliveryRecord> {
    const id = this.#nextDeliveryId++;
    const deliveredAt = this.now();
    const run = deliver({
      url: hook.url,
      ...(hook.secret ? { secret: hook.secret } : {}),
      contentType: hook.contentType,
      event: d.event,
      payload: d.payload,
      guid: d.guid,
      hookId: hook.id,
      targetId: hook.org.id,
      targetType: 'organization',
      ...(this.timeoutMs ? { timeoutMs: this.timeoutMs } : {}),
    }).then((result) => {
      const record: DeliveryRecord = { id, hookId: hook.id, deliveredAt, durationS: result.durationS, status: result.status, statusCode: result.statusCode, result, ...d };
      this.deliveries.push(record);
      return record;
    });
    this.#inFlight.add(run);
    try {
      return await run;
    } finally {
      this.#inFlight.delete(run);
    }
  }
}
