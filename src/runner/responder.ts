import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { Credential } from '../core/credential.js';
import type { Incident, StepRun } from '../core/incident.js';

/**
 * What a responder (one idempotent step) sees and returns. Responders import these types
 * and get every client through the context, never by importing integrations.
 */

/** (incident, step, attempt): the same key always means the same attempt of the same step. */
export interface IdempotencyKey {
  incidentId: string;
  step: string;
  attempt: number;
}

/**
 * A stable token for a key, shaped as a UUID (AWS ClientRequestToken / VersionId accept it,
 * Bybit takes it as a key note): the same key always gives the same token, so a re-run after
 * a crash can find what the interrupted run created.
 */
export function idempotencyToken(key: IdempotencyKey): string {
  const h = createHash('sha256').update(`${key.incidentId}\n${key.step}\n${key.attempt}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The clients the runner passes through untouched; integrations add their members by declaration merging. */
export interface Clients {
  [name: string]: unknown;
}

/** Pino-compatible, so the process logger fits as is. */
export interface RunnerLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** What earlier steps recorded, read-only. A step records its own outputs by returning them. */
export interface JournalView {
  /** Outputs of the step's successful run, by step id; undefined when it has not succeeded. */
  outputs(step: string): Record<string, unknown> | undefined;
  /** Every run so far, in start order (this step's own earlier attempts included). */
  readonly runs: readonly StepRun[];
}

/** Another incident of the same credential with its journal: what earlier responses targeted and did. */
export interface PastIncident {
  incident: Incident;
  runs: readonly StepRun[];
}

export interface HumanTaskRequest {
  /** Exactly what to do; shown in alerts and the API. Never key material. */
  instructions: string;
}

export interface ApprovalRequest {
  reason: string;
  /** Approve on its own after this long without an answer. */
  autoApproveAfterMs?: number;
}

export interface TimerRequest {
  /** Unique within the step; with the incident and step it makes the timer's id, so scheduling twice is harmless. */
  name: string;
  delayMs: number;
  /** The responder to run when it fires, with its params. */
  responder: string;
  params?: Record<string, unknown>;
  timeoutMs?: number;
  retries?: number;
}

export interface StepContext {
  incident: Incident;
  credential: Credential | undefined;
  clients: Clients;
  journal: JournalView;
  /** Every other incident of this credential, newest first (the last 100), read now. */
  history(): Promise<PastIncident[]>;
  logger: RunnerLogger;
  clock: Clock;
  /** Aborts when the step's time budget is spent, the lease is lost, the runner stops or an operator aborts. */
  signal: AbortSignal;
  /** Report what would be done; touch nothing. */
  dryRun: boolean;
  key: IdempotencyKey;
  token: string;
  /** Proves the lease is still ours right now; call it just before an outside side effect. Throws when it is not. */
  checkpoint(): Promise<void>;
  /** A timeline entry for this step (every call to the outside leaves one). */
  note(type: string, message: string, data?: Record<string, unknown>): Promise<void>;
  /** Resolves with the operator's data once the task is done; until then the incident waits in waiting_for_human. */
  humanTask(req: HumanTaskRequest): Promise<Record<string, unknown>>;
  /** Resolves once approved; until then the incident waits in awaiting_approval. */
  approval(req: ApprovalRequest): Promise<void>;
  /** Durable: survives restarts and fires once across replicas. */
  schedule(req: TimerRequest): Promise<void>;
}

export interface StepOutcome {
  status: 'succeeded' | 'failed' | 'skipped';
  outputs?: Record<string, unknown>;
  message?: string;
}

export interface Responder<P = Record<string, unknown>> {
  name: string;
  /** JSON schema of params, checked when a playbook is loaded, not when a leak happens. */
  params: Record<string, unknown>;
  /** Must be idempotent for a given ctx.key: a re-run after a crash reaches the same end state without a second side effect. */
  run(ctx: StepContext, params: P): Promise<StepOutcome>;
}

/** name -> responder; adding a responder is one folder and one line here. */
export type ResponderRegistry = Record<string, Responder<any>>;
