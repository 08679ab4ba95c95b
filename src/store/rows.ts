import type { Selectable } from 'kysely';
import type { Actor, Incident, IncidentState, PlaybookName, StepRun, StepStatus, TimelineEntry } from '../core/incident.js';
import type { Confidence, Signal } from '../core/signal.js';
import type { AuditTable, HumanTasksTable, IdempotencyTable, OperatorRequestsTable, IncidentsTable, LeasesTable, PausesTable, SignalsTable, StepRunsTable, TimelineTable, WorkItemsTable } from './schema.js';
import type { AuditEntry, HumanTask, IdempotentRecord, OperatorRequest, Lease, Pause, WorkItem, WrittenBy } from './store.js';

/** Row <-> vocabulary mapping, shared by both backends. */
const json = <T>(text: string | null): T => (text === null ? (null as T) : (JSON.parse(text) as T));
// PostgreSQL returns bigint as text unless told otherwise; be strict either way.
const num = (v: number | string): number => Number(v);
const numOrNull = (v: number | string | null): number | null => (v === null ? null : Number(v));

export const toSignal = (r: Selectable<SignalsTable>): Signal => ({
  id: r.id,
  dedupKey: r.dedup_key,
  source: r.source,
  kind: r.kind,
  credentialId: r.credential_id,
  confidence: r.confidence as Confidence,
  observedAt: num(r.observed_at),
  receivedAt: num(r.received_at),
  evidence: json(r.evidence_json),
  match: json(r.match_json),
  incidentId: r.incident_id,
});

export const toIncident = (r: Selectable<IncidentsTable>): Incident => ({
  id: r.id,
  credentialId: r.credential_id,
  state: r.state as IncidentState,
  playbook: json<{ playbook: PlaybookName }>(r.plan_json).playbook,
  dryRun: num(r.dry_run) === 1,
  target: json(r.target_json),
  reason: r.reason,
  openedAt: num(r.opened_at),
  updatedAt: num(r.updated_at),
  closedAt: numOrNull(r.closed_at),
});

const writer = (r: { holder: string | null; fence: number | string | null }): WrittenBy['writer'] =>
  r.holder === null || r.fence === null ? null : { holder: r.holder, fence: num(r.fence) };

export const toStepRun = (r: Selectable<StepRunsTable>): StepRun & WrittenBy => ({
  incidentId: r.incident_id,
  step: r.step,
  attempt: num(r.attempt),
  status: r.status as StepStatus,
  startedAt: num(r.started_at),
  finishedAt: numOrNull(r.finished_at),
  outputs: json(r.outputs_json),
  error: r.error,
  writer: writer(r),
});

export const toTimeline = (r: Selectable<TimelineTable>): TimelineEntry & WrittenBy => ({
  seq: num(r.seq),
  incidentId: r.incident_id,
  at: num(r.at),
  actor: r.actor as Actor,
  type: r.type,
  message: r.message,
  data: json(r.data_json),
  writer: writer(r),
});

export const toLease = (r: Selectable<LeasesTable>): Lease => ({ name: r.name, holder: r.holder, fence: num(r.fence), expiresAt: num(r.expires_at) });

export const toWorkItem = (r: Selectable<WorkItemsTable>): WorkItem => ({
  id: r.id,
  kind: r.kind,
  incidentId: r.incident_id,
  payload: json(r.payload_json),
  runAt: num(r.run_at),
  status: r.status as WorkItem['status'],
  attempts: num(r.attempts),
  maxAttempts: num(r.max_attempts),
  lastError: r.last_error,
  claimedBy: r.claimed_by,
  claimedUntil: numOrNull(r.claimed_until),
  claim: num(r.claims),
  createdAt: num(r.created_at),
  finishedAt: numOrNull(r.finished_at),
});

export const toPause = (r: Selectable<PausesTable>): Pause => ({ scope: r.scope, actor: r.actor as Actor, reason: r.reason, at: num(r.at) });

export const toHumanTask = (r: Selectable<HumanTasksTable>): HumanTask => ({
  id: r.id,
  incidentId: r.incident_id,
  step: r.step,
  instructions: r.instructions,
  status: r.status as HumanTask['status'],
  createdAt: num(r.created_at),
  completedAt: numOrNull(r.completed_at),
  completedBy: r.completed_by as Actor | null,
  result: json(r.result_json),
});

export const toRequest = (r: Selectable<OperatorRequestsTable>): OperatorRequest => ({
  incidentId: r.incident_id,
  kind: r.kind as OperatorRequest['kind'],
  step: r.step === '' ? null : r.step,
  actor: r.actor as Actor,
  reason: r.reason,
  at: num(r.at),
});

export const toAudit = (r: Selectable<AuditTable>): AuditEntry => ({
  seq: num(r.seq),
  at: num(r.at),
  actor: r.actor as Actor,
  action: r.action,
  target: r.target,
  data: json(r.data_json),
});

export const toIdempotent = (r: Selectable<IdempotencyTable>): IdempotentRecord => ({
  key: r.key,
  request: r.request,
  status: numOrNull(r.status),
  body: json(r.body_json),
  at: num(r.at),
});
