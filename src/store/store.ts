import type { Actor, Incident, IncidentState, IncidentTarget, PlaybookName, StepRun, StepStatus, TimelineEntry, TimelineEntryInput } from '../core/incident.js';
import type { Signal, SignalInput } from '../core/signal.js';

/** Proof that the writer holds a lease: every journal and timeline write carries one. */
export interface Fence {
  lease: string;
  holder: string;
  token: number;
}

export interface Lease {
  name: string;
  holder: string;
  fence: number;
  expiresAt: number;
}

/** The writer's lease was taken over or expired: it must stop at once and write nothing. */
export class StaleFenceError extends Error {
  constructor(fence: Fence) {
    super(`lease ${fence.lease} is no longer held by ${fence.holder} with fence ${fence.token}; another replica owns this incident now`);
    this.name = 'StaleFenceError';
  }
}

/** Which lease holder wrote a row; null when it was written without a fence (an operator, a detector). */
export interface WrittenBy {
  writer: { holder: string; fence: number } | null;
}

/** The runner's plan, opaque to the store except for the playbook it runs: the incident's playbook is read from it. */
export interface StoredPlan {
  playbook: PlaybookName;
}

export interface OpenIncidentInput {
  id: string;
  credentialId: string;
  dryRun: boolean;
  reason: string;
  target: IncidentTarget | null;
  plan: StoredPlan;
  at: number;
}

export interface IncidentPatch {
  state?: IncidentState;
  target?: IncidentTarget | null;
  /** A new plan (an escalation) changes the incident's playbook with it. */
  plan?: StoredPlan;
  at: number;
}

export interface Timer {
  id: string;
  incidentId: string | null;
  kind: string;
  dueAt: number;
  payload: Record<string, unknown>;
  firedAt: number | null;
}

export interface Pause {
  /** "global" or a credential id */
  scope: string;
  actor: Actor;
  reason: string;
  at: number;
}

export interface HumanTask {
  id: string;
  incidentId: string;
  step: string;
  instructions: string;
  status: 'open' | 'done' | 'cancelled';
  createdAt: number;
  completedAt: number | null;
  completedBy: Actor | null;
  /** What the operator confirmed, never key material (that goes straight to Secrets Manager). */
  result: Record<string, unknown> | null;
}

export interface AuditEntry {
  seq: number;
  at: number;
  actor: Actor;
  action: string;
  target: string;
  data: Record<string, unknown>;
}

/**
 * Everything LeakGuard keeps. Two backends (SQLite, PostgreSQL) implement it and pass one
 * conformance suite. Text written through it is scrubbed of registered secrets.
 */
export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  /** Whether several replicas may share this store. */
  readonly multiReplica: boolean;
  ping(): Promise<void>;
  close(): Promise<void>;

  /** Stores a signal unless one with its dedupKey exists; returns the stored one either way. */
  recordSignal(input: SignalInput, receivedAt: number): Promise<{ signal: Signal; created: boolean }>;
  getSignal(id: string): Promise<Signal | undefined>;
  listSignals(filter: { credentialId?: string; incidentId?: string; since?: number; limit?: number }): Promise<Signal[]>;
  attachSignal(signalId: string, incidentId: string): Promise<void>;

  /** Opens an incident unless the credential has an active one; returns the active one either way. */
  openIncident(input: OpenIncidentInput): Promise<{ incident: Incident; created: boolean }>;
  getIncident(id: string): Promise<Incident | undefined>;
  getActiveIncident(credentialId: string): Promise<Incident | undefined>;
  listIncidents(filter: { active?: boolean; credentialId?: string; limit?: number }): Promise<Incident[]>;
  getPlan(incidentId: string): Promise<unknown>;
  updateIncident(id: string, patch: IncidentPatch, fence?: Fence): Promise<Incident>;

  /** Records a step attempt's start; returns the existing row when it was already started. */
  startStep(run: { incidentId: string; step: string; attempt: number; at: number }, fence: Fence): Promise<StepRun & WrittenBy>;
  finishStep(
    run: { incidentId: string; step: string; attempt: number; status: StepStatus; at: number; outputs: Record<string, unknown>; error: string | null },
    fence: Fence,
  ): Promise<StepRun & WrittenBy>;
  listStepRuns(incidentId: string): Promise<(StepRun & WrittenBy)[]>;

  appendTimeline(entry: TimelineEntryInput, fence?: Fence): Promise<TimelineEntry & WrittenBy>;
  listTimeline(incidentId: string): Promise<(TimelineEntry & WrittenBy)[]>;

  /** Takes the lease if it is free, expired or already ours; the fence grows with every new holder. */
  acquireLease(name: string, holder: string, ttlMs: number, now: number): Promise<Lease | undefined>;
  renewLease(fence: Fence, ttlMs: number, now: number): Promise<boolean>;
  releaseLease(fence: Fence): Promise<void>;
  getLease(name: string): Promise<Lease | undefined>;

  /** Schedules a timer; the id is its idempotency key (scheduling twice is harmless). */
  scheduleTimer(timer: Omit<Timer, 'firedAt'>): Promise<void>;
  /** Claims due timers for `holder` until `claimTtlMs` passes; a claimed timer is not handed to another claimer. */
  claimDueTimers(holder: string, now: number, claimTtlMs: number, limit: number): Promise<Timer[]>;
  markTimerFired(id: string, holder: string, now: number): Promise<boolean>;
  listTimers(incidentId: string): Promise<Timer[]>;

  setPause(pause: Pause): Promise<void>;
  clearPause(scope: string): Promise<void>;
  listPauses(): Promise<Pause[]>;

  createHumanTask(task: Omit<HumanTask, 'status' | 'completedAt' | 'completedBy' | 'result'>): Promise<HumanTask>;
  completeHumanTask(id: string, actor: Actor, result: Record<string, unknown>, at: number): Promise<HumanTask | undefined>;
  getHumanTask(id: string): Promise<HumanTask | undefined>;
  listHumanTasks(filter: { incidentId?: string; status?: HumanTask['status'] }): Promise<HumanTask[]>;

  getBaseline<T>(detector: string, key: string): Promise<T | undefined>;
  putBaseline(detector: string, key: string, value: unknown, at: number): Promise<void>;

  appendAudit(entry: Omit<AuditEntry, 'seq'>): Promise<AuditEntry>;
  listAudit(limit?: number): Promise<AuditEntry[]>;
}
