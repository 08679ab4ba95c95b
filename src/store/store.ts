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
  /** Compare-and-set: the patch applies only while the stored plan is still this one (as getPlan returned it); else PlanChangedError. */
  ifPlan?: unknown;
  at: number;
}

/** A compare-and-set on an incident's plan lost: someone changed the plan since it was read. */
export class PlanChangedError extends Error {
  constructor(incidentId: string) {
    super(`the plan of incident ${incidentId} changed since it was read; read it again and decide again`);
    this.name = 'PlanChangedError';
  }
}

/**
 * One piece of durable work: a step timer now; webhook deliveries, signal decisions and alerts
 * next. `attempts` counts failures (a lapsed claim is not one: the claimer may have crashed
 * before it began); after `maxAttempts` of them the item is dead-lettered, kept with its error.
 */
export interface WorkItem {
  id: string;
  kind: string;
  incidentId: string | null;
  payload: Record<string, unknown>;
  /** Not claimed before this time (epoch ms). */
  runAt: number;
  status: 'pending' | 'done' | 'dead';
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  claimedBy: string | null;
  claimedUntil: number | null;
  /** Grows with every claim: a holder proves with it that its claim is the latest (like a lease's fence). */
  claim: number;
  createdAt: number;
  finishedAt: number | null;
}

export interface WorkInput {
  /** The idempotency key: enqueueing an id twice keeps the first. */
  id: string;
  kind: string;
  incidentId?: string | null;
  payload: Record<string, unknown>;
  runAt: number;
  maxAttempts?: number;
  at: number;
}

/** The queue's default retry policy: exponential from `baseMs`, at most `maxMs` apart, dead after `maxAttempts` failures. */
export const WORK_RETRY = { maxAttempts: 5, baseMs: 1_000, maxMs: 3_600_000 } as const;

/** The wait after the `failures`-th failure under the default policy. */
export function defaultRetryInMs(failures: number): number {
  return Math.min(WORK_RETRY.maxMs, WORK_RETRY.baseMs * 2 ** Math.max(0, failures - 1));
}

/**
 * A hint that there is something to do, ids only (the worker reads the rest from the store):
 * a new or changed incident, work that became claimable, or `scan`, look at everything
 * (after a reconnect, when hints may have been missed, or after a change of wide scope).
 */
export type Wake = { topic: 'incident' | 'work'; id: string } | { topic: 'scan' };

export interface WakeSubscription {
  /** Settles once hints can arrive (on PostgreSQL: LISTEN is in place, or its first attempt failed and it keeps trying). */
  ready: Promise<void>;
  close(): void;
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

/** What an operator asked of an incident: the runner holding it acts on it at the next step boundary. */
export interface OperatorRequest {
  incidentId: string;
  kind: 'abort' | 'approve';
  /** The step an approval is for; null for a request about the whole incident. */
  step: string | null;
  actor: Actor;
  reason: string;
  at: number;
}

/** What one retention pass deleted, by kind of row. */
export interface Pruned {
  signals: number;
  work: number;
  baselines: number;
  /** LeakGuard's call log: a CloudTrail record comes within minutes, so an old one names nothing to recognise. */
  ownCalls: number;
}

/** An Idempotency-Key's record: pending (status null) while its first request runs, then that request's answer. */
export interface IdempotentRecord {
  key: string;
  /** What the request was (caller, method, path, body digest): the same key with another request is refused. */
  request: string;
  status: number | null;
  body: unknown;
  at: number;
}

/** Which incidents to list: newest first; `after` is the last one of the previous page. */
export interface IncidentFilter {
  active?: boolean;
  credentialId?: string;
  state?: IncidentState;
  playbook?: PlaybookName;
  /** Opened at or after / before (epoch ms). */
  since?: number;
  until?: number;
  after?: { openedAt: number; id: string };
  limit?: number;
}

export interface AuditEntry {
  seq: number;
  at: number;
  actor: Actor;
  action: string;
  target: string;
  data: Record<string, unknown>;
}

/** One AWS call LeakGuard made, as the service's request id names it (CloudTrail's requestID). */
export interface OwnCall {
  requestId: string;
  /** The SDK's service id, e.g. "Secrets Manager". */
  service: string;
  operation: string;
  /** The resource the call named (a secret id), when it named one. */
  target: string | null;
  /** Epoch ms when LeakGuard had the answer. */
  at: number;
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

  /**
   * Wakes the workers: in this process at once, and on PostgreSQL every replica (NOTIFY). The
   * store itself wakes them for an incident once it can run (opened with its target, or its
   * target or plan set later) and for work that becomes claimable; the poll stays as the
   * fallback, so a lost hint only delays.
   */
  wake(wake: Wake): Promise<void>;
  onWake(listener: (wake: Wake) => void): WakeSubscription;

  /** Stores a signal unless one with its dedupKey exists; returns the stored one either way. */
  recordSignal(input: SignalInput, receivedAt: number): Promise<{ signal: Signal; created: boolean }>;
  getSignal(id: string): Promise<Signal | undefined>;
  listSignals(filter: { credentialId?: string; incidentId?: string; since?: number; limit?: number }): Promise<Signal[]>;
  attachSignal(signalId: string, incidentId: string): Promise<void>;

  /** Opens an incident unless the credential has an active one; returns the active one either way. */
  openIncident(input: OpenIncidentInput): Promise<{ incident: Incident; created: boolean }>;
  getIncident(id: string): Promise<Incident | undefined>;
  getActiveIncident(credentialId: string): Promise<Incident | undefined>;
  listIncidents(filter: IncidentFilter): Promise<Incident[]>;
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
  /** In seq order; only the entries after `afterSeq` when given (a resumed event stream). */
  listTimeline(incidentId: string, afterSeq?: number): Promise<(TimelineEntry & WrittenBy)[]>;

  /** Takes the lease if it is free, expired or already ours; the fence grows with every new holder. */
  acquireLease(name: string, holder: string, ttlMs: number, now: number): Promise<Lease | undefined>;
  renewLease(fence: Fence, ttlMs: number, now: number): Promise<boolean>;
  releaseLease(fence: Fence): Promise<void>;
  getLease(name: string): Promise<Lease | undefined>;

  /** Adds a work item unless one with its id exists; returns the stored one either way. */
  enqueueWork(input: WorkInput): Promise<{ item: WorkItem; created: boolean }>;
  /**
   * Claims due pending items of `kinds` for `holder` until `claimTtlMs` passes, earliest first.
   * A claimed item is handed to no other claimer (nor to the same one) until its claim lapses.
   */
  claimWork(holder: string, opts: { kinds: readonly string[]; now: number; claimTtlMs: number; limit: number }): Promise<WorkItem[]>;
  /** Marks a claimed item done; false when `claimed` is no longer the latest claim (another claimer took it). */
  completeWork(claimed: WorkItem, now: number): Promise<boolean>;
  /**
   * Records a failure of a claimed item: retried after `retryInMs` (default: defaultRetryInMs),
   * or dead-lettered once it has failed maxAttempts times. Undefined when the claim is stale.
   */
  failWork(claimed: WorkItem, error: string, now: number, retryInMs?: number): Promise<WorkItem | undefined>;
  /** Hands a claimed item back untried (not a failure), to be claimed again from `runAt`; false when the claim is stale. */
  releaseWork(claimed: WorkItem, runAt: number): Promise<boolean>;
  /** Keeps a live claim until `until` while its holder still works on the item; false when the claim is no longer this one (lapsed and taken, or finished). */
  extendWork(claimed: WorkItem, until: number): Promise<boolean>;
  getWork(id: string): Promise<WorkItem | undefined>;
  listWork(filter: { kind?: string; incidentId?: string; status?: WorkItem['status']; limit?: number }): Promise<WorkItem[]>;
  /** When the earliest pending item of `kinds` can next be claimed (its runAt, or the end of a live claim). */
  nextWorkAt(kinds: readonly string[]): Promise<number | undefined>;

  setPause(pause: Pause): Promise<void>;
  clearPause(scope: string): Promise<void>;
  listPauses(): Promise<Pause[]>;

  createHumanTask(task: Omit<HumanTask, 'status' | 'completedAt' | 'completedBy' | 'result'>): Promise<HumanTask>;
  completeHumanTask(id: string, actor: Actor, result: Record<string, unknown>, at: number): Promise<HumanTask | undefined>;
  /** Records a request once: a second one of the same kind (and step) returns the first and reports created false. */
  addRequest(request: OperatorRequest): Promise<{ request: OperatorRequest; created: boolean }>;
  listRequests(incidentId: string): Promise<OperatorRequest[]>;
  getHumanTask(id: string): Promise<HumanTask | undefined>;
  listHumanTasks(filter: { incidentId?: string; status?: HumanTask['status'] }): Promise<HumanTask[]>;

  getBaseline<T>(detector: string, key: string): Promise<T | undefined>;
  putBaseline(detector: string, key: string, value: unknown, at: number): Promise<void>;

  /**
   * Retention: deletes what was last touched before `before` and is no part of an incident's record:
   * signals attached to no incident, done work items (processed deliveries, fired timers) of no
   * active incident, baselines not updated since, and the call log of LeakGuard's own AWS calls. Incidents, their signals, timelines, step
   * runs, dead-lettered work and the audit log are never deleted.
   */
  prune(before: number): Promise<Pruned>;

  /** Records one of LeakGuard's own AWS calls (a request id once; a second record of it changes nothing). */
  recordOwnCall(call: OwnCall): Promise<void>;
  getOwnCall(requestId: string): Promise<OwnCall | undefined>;

  appendAudit(entry: Omit<AuditEntry, 'seq'>): Promise<AuditEntry>;
  /** Newest first; only the entries before `beforeSeq` when given (the next page). */
  listAudit(limit?: number, beforeSeq?: number): Promise<AuditEntry[]>;

  /**
   * Takes an Idempotency-Key for a request: created when it is new; else the record as it stands
   * (pending, or the first answer). A pending record older than `staleBefore` (its request died
   * with its process) is taken over.
   */
  beginIdempotent(key: string, request: string, at: number, staleBefore: number): Promise<{ created: boolean; record: IdempotentRecord }>;
  finishIdempotent(key: string, status: number, body: unknown): Promise<void>;
  /** Forgets a key whose request failed on our side, so that a retry runs it. */
  dropIdempotent(key: string): Promise<void>;
}
