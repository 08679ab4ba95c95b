import { Type, type TLiteral, type TSchema, type TUnion } from '@sinclair/typebox';
import { ACTIVE_STATES, FINAL_STATES, PLAYBOOKS } from '../../core/incident.js';
import { KEY_STAGES } from '../../core/signal.js';

/** The API's shared shapes, written once: each gives the route's validation, its type and its OpenAPI entry. */
const literals = <T extends readonly string[]>(values: T) => Type.Union(values.map((v) => Type.Literal(v))) as unknown as TUnion<TLiteral<T[number]>[]>;
const Data = Type.Record(Type.String(), Type.Unknown());
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const IncidentState = literals([...ACTIVE_STATES, ...FINAL_STATES]);
export const PlaybookName = literals(PLAYBOOKS);
export const Actor = Type.String({ pattern: '^(system|user):', description: 'who did it: a component of LeakGuard (system:...) or a person (user:...)' });

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String({ description: 'what went wrong and what to do next' }),
    instance: Type.Optional(Type.String()),
    requestId: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.String())),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details' },
);

const ProblemRef = Type.Ref('Problem');
/** Every refusal a route of the API can answer with, as RFC 9457 problems. */
export const problems = { 400: ProblemRef, 401: ProblemRef, 403: ProblemRef, 404: ProblemRef, 409: ProblemRef, 422: ProblemRef, 429: ProblemRef } as const;

export const Target = Type.Object({
  fingerprint: Type.String(),
  keyHint: Type.String(),
  permissions: Type.Optional(Type.Record(Type.String(), Type.Array(Type.String()))),
  ips: Type.Optional(Type.Array(Type.String())),
  versionId: Type.Optional(Type.String()),
  describeError: Type.Optional(Type.String()),
});

export const Incident = Type.Object({
  id: Type.String(),
  credentialId: Type.String(),
  state: IncidentState,
  playbook: PlaybookName,
  dryRun: Type.Boolean(),
  target: Nullable(Target),
  reason: Type.String(),
  openedAt: Type.Integer(),
  updatedAt: Type.Integer(),
  closedAt: Nullable(Type.Integer()),
});

export const StepRun = Type.Object({
  step: Type.String(),
  attempt: Type.Integer(),
  status: literals(['running', 'succeeded', 'failed', 'skipped']),
  startedAt: Type.Integer(),
  finishedAt: Nullable(Type.Integer()),
  outputs: Data,
  error: Nullable(Type.String()),
});

export const TimelineEntry = Type.Object({
  seq: Type.Integer(),
  incidentId: Type.String(),
  at: Type.Integer(),
  actor: Actor,
  type: Type.String(),
  message: Type.String(),
  data: Data,
});

export const HumanTask = Type.Object({
  id: Type.String(),
  incidentId: Type.String(),
  step: Type.String(),
  instructions: Type.String(),
  status: literals(['open', 'done', 'cancelled']),
  createdAt: Type.Integer(),
  completedAt: Nullable(Type.Integer()),
  completedBy: Nullable(Actor),
  result: Nullable(Data),
});

export const SignalMatch = Type.Object({
  key: literals(['credential', 'master']),
  stage: Type.Optional(literals(KEY_STAGES)),
  versionId: Type.Optional(Type.String()),
  field: literals(['api_key', 'api_secret', 'secret_id', 'workload', 'uid']),
  revoked: Type.Boolean(),
});

export const Signal = Type.Object({
  id: Type.String(),
  source: Type.String(),
  kind: Type.String(),
  credentialId: Nullable(Type.String()),
  confidence: literals(['suspected', 'confirmed']),
  observedAt: Type.Integer(),
  receivedAt: Type.Integer(),
  evidence: Data,
  match: Nullable(SignalMatch),
  incidentId: Nullable(Type.String()),
});

export const AuditEntry = Type.Object({ seq: Type.Integer(), at: Type.Integer(), actor: Actor, action: Type.String(), target: Type.String(), data: Data });

export const Pause = Type.Object({ scope: Type.String(), actor: Actor, reason: Type.String(), at: Type.Integer() });

export const IdParam = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });

/** The next page's cursor, or null on the last page. */
export const Page = <T extends TSchema>(item: T) => Type.Object({ items: Type.Array(item), next: Nullable(Type.String()) });
export const Limit = Type.Integer({ minimum: 1, maximum: 500, default: 50 });

/** Why the request is made: kept in the audit log and on the timeline. */
export const Reason = Type.String({ minLength: 1, maxLength: 1000 });
