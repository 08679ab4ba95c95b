import type { Generated } from 'kysely';

/** Row types of the store's tables. Times are epoch milliseconds; JSON lives in text columns. */
export interface SignalsTable {
  id: string;
  dedup_key: string;
  source: string;
  kind: string;
  credential_id: string | null;
  confidence: string;
  observed_at: number;
  received_at: number;
  evidence_json: string;
  match_json: string | null;
  incident_id: string | null;
}

export interface IncidentsTable {
  id: string;
  credential_id: string;
  state: string;
  dry_run: number;
  target_json: string | null;
  plan_json: string | null;
  reason: string;
  opened_at: number;
  updated_at: number;
  closed_at: number | null;
}

export interface StepRunsTable {
  incident_id: string;
  step: string;
  attempt: number;
  status: string;
  started_at: number;
  finished_at: number | null;
  outputs_json: string;
  error: string | null;
  /** the lease holder and fencing number of the last write (null when unfenced) */
  holder: string | null;
  fence: number | null;
}

export interface TimelineTable {
  seq: Generated<number>;
  incident_id: string;
  at: number;
  actor: string;
  type: string;
  message: string;
  data_json: string;
  holder: string | null;
  fence: number | null;
}

export interface LeasesTable {
  name: string;
  holder: string;
  fence: number;
  expires_at: number;
}

export interface WorkItemsTable {
  id: string;
  kind: string;
  incident_id: string | null;
  payload_json: string;
  run_at: number;
  status: string;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  claimed_by: string | null;
  claimed_until: number | null;
  claims: number;
  created_at: number;
  finished_at: number | null;
}

export interface PausesTable {
  scope: string;
  actor: string;
  reason: string;
  at: number;
}

export interface HumanTasksTable {
  id: string;
  incident_id: string;
  step: string;
  instructions: string;
  status: string;
  created_at: number;
  completed_at: number | null;
  completed_by: string | null;
  result_json: string | null;
}

export interface OperatorRequestsTable {
  incident_id: string;
  kind: string;
  step: string;
  actor: string;
  reason: string;
  at: number;
}

export interface BaselinesTable {
  detector: string;
  key: string;
  value_json: string;
  updated_at: number;
}

export interface OwnCallsTable {
  request_id: string;
  service: string;
  operation: string;
  target: string | null;
  at: number;
}

export interface AuditTable {
  seq: Generated<number>;
  at: number;
  actor: string;
  action: string;
  target: string;
  data_json: string;
}

export interface IdempotencyTable {
  key: string;
  request: string;
  /** null while the first request runs */
  status: number | null;
  body_json: string | null;
  at: number;
}

export interface Database {
  signals: SignalsTable;
  incidents: IncidentsTable;
  step_runs: StepRunsTable;
  timeline: TimelineTable;
  leases: LeasesTable;
  work_items: WorkItemsTable;
  pauses: PausesTable;
  human_tasks: HumanTasksTable;
  operator_requests: OperatorRequestsTable;
  baselines: BaselinesTable;
  own_calls: OwnCallsTable;
  audit: AuditTable;
  idempotency: IdempotencyTable;
}
