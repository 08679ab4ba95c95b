import { createHash } from 'node:crypto';
import type { Static, TObject, TSchema } from '@sinclair/typebox';
import type { Clock } from '../core/clock.js';
import type { Credential } from '../core/credential.js';
import type { Incident, StepRun } from '../core/incident.js';
import type { Capabilities } from '../integrations/exchanges/exchange.js';

// Responders name exchange operations in `needs` without importing integrations.
export type { Capabilities };

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

/**
 * A kind of human task: the fields its completion may carry. Completing a task accepts these
 * fields and nothing else (src/incidents/complete-task.ts); a responder lists the kinds it opens.
 */
export interface HumanTaskKind {
  name: string;
  fields: TObject;
  /** The completion carries a new exchange key in `api_key` and `api_secret` (required string fields): it goes to Secrets Manager, never to the store. */
  newKey?: true;
}

export interface HumanTaskRequest {
  /** What the completion may carry; one of the kinds the responder lists in `tasks`. */
  kind: HumanTaskKind;
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

/** A step's budget and retries when its playbook gives none (the runbook's time budgets). */
export interface StepPolicy {
  timeoutMs: number;
  retries: number;
  backoffMs: number;
}

/** What a step cannot work without, checked per credential when LeakGuard starts, not at leak time. */
export interface ResponderNeeds {
  /** Exchange operations the step does over the API (a step that turns a `manual` one into a human task does not need it). */
  capabilities?: readonly (keyof Capabilities)[];
}

/**
 * What a responder's successful runs record: its schema and version. Rows carry the version, so
 * a journal written by an older release is read through `upgrade`, or refused in words.
 */
export interface OutputsContract<S extends TSchema = TSchema> {
  responder: string;
  schema: S;
  version: number;
  /** Outputs recorded at an older version, as this version's; absent when no older version can be read. */
  upgrade?(outputs: Record<string, unknown>, fromVersion: number): Static<S>;
}

export interface Responder<P = Record<string, unknown>> {
  name: string;
  /** JSON schema of params (TypeBox), checked when a playbook is loaded, not when a leak happens. */
  params: Record<string, unknown>;
  /** Budget and retries of a playbook step that sets none; the runner's STEP_DEFAULTS without it. */
  policy?: StepPolicy;
  /** Checked against every credential's exchange at start; a function of the step's params (defaults applied) when they decide it. */
  needs?: ResponderNeeds | ((params: P) => ResponderNeeds);
  /** The typed record later steps read (responders/lib/journal.ts). */
  outputs?: OutputsContract;
  /** The kinds of human task it opens; a task of a kind no responder lists cannot be completed. */
  tasks?: readonly HumanTaskKind[];
  /**
   * It never touches the incident's target key, so it starts while the target is still being read
   * (freeze must not wait for Secrets Manager). Every other step waits for that read to end.
   */
  beforeTarget?: true;
  /**
   * Gets the params as the plan (or a timer) holds them: a responder applies its own defaults, so
   * every way a step runs sees the same params (defineResponder does). Must be idempotent for a
   * given ctx.key: a re-run after a crash reaches the same end state without a second side effect.
   */
  run(ctx: StepContext, params: P): Promise<StepOutcome>;
}

/** name -> responder; adding a responder is one folder and one line here. */
export type ResponderRegistry = Record<string, Responder<any>>;
