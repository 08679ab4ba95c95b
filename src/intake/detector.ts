import type { Static, TObject } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import type { Credential, SecretRef } from '../core/credential.js';
import type { Scrubber } from '../core/scrubber.js';
import type { Signal, SignalInput } from '../core/signal.js';
import type { WorkHandler } from '../queue/worker.js';
import type { OwnCall } from '../store/store.js';
import type { WorkloadClient } from '../integrations/kubernetes/workload.js';

export type { WorkHandler, WorkResult } from '../queue/worker.js';
import type { CredentialMatcher } from './matcher.js';
import type { KeyCheck } from './key-check.js';
import type { ExchangeReads } from './exchange-reads.js';

/** Every detector's section has these; the rest is its own. */
export interface DetectorSection {
  enabled: boolean;
  /** Minutes without a word from the source after which health says it is silent and an alert is raised. */
  silentAfterMinutes?: number;
}

/** What a detector says of itself: when it last heard from its source, and anything else an operator should see. */
export interface DetectorHealth {
  /** Epoch ms of the last delivery, event or poll answer from the source; null before the first. */
  lastHeardAt: number | null;
  /** Why the detector cannot do all it should (no REST access, no hook id for reconciliation), in words; empty when it can. */
  limits: string[];
  /** Detector-specific figures (the last reconciliation, deliveries redelivered). */
  details: Record<string, unknown>;
}

/** What an exchange's error code means, from its adapter's error map (src/integrations/exchanges/<name>/errors.ts). */
export interface CodeMeaning {
  /** LeakGuard's failure kind: invalid_key, bad_signature, no_permission, ip_not_allowed, expired, rate_limited, ... */
  kind: string;
  action: string;
}

/** The credential's open incident and the steps running in it now (a detector says whether LeakGuard itself was rotating or revoking). */
export interface ActiveResponse {
  incidentId: string;
  /** Steps whose run has started and not ended, e.g. ['revoke']. */
  stepsRunning: string[];
}

/** A stop function: resolves once the detector's loops have ended. */
export type Stop = () => Promise<void>;

/**
 * What a detector gets from the intake (one per detector and LeakGuard). Everything a detector
 * does to the rest of LeakGuard goes through here: it imports core and intake only.
 */
export interface DetectorContext<C = unknown> {
  name: string;
  config: C;
  clock: Clock;
  logger: Logger;
  scrubber: Scrubber;
  /** Scrubs the evidence, stores the signal (deduplicated by dedupKey), queues it for the engine; resolves once durable. */
  emit(input: SignalInput): Promise<{ signal: Signal; created: boolean }>;
  /** Every managed credential (what a detector watching workloads or accounts iterates). */
  credentials: readonly Credential[];
  /** The credential's active incident with its running steps, or null when none is open. */
  activeResponse(credentialId: string): Promise<ActiveResponse | null>;
  /** An exchange's error codes as its adapter's error map reads them (empty for an unknown exchange). */
  errorCodes(exchange: string): Readonly<Record<number, CodeMeaning>>;
  /** The Kubernetes reads of the bots' pods (RBAC: list and watch pods, get pods/log). */
  pods: Pick<WorkloadClient, 'watchPods' | 'followLogs'>;
  /** The shared credential matcher. */
  match: CredentialMatcher;
  /** An authenticated read with a matched key: proves whether it still works. */
  checkKey: KeyCheck;
  /** Reads from a credential's exchange (orders, its key's description). */
  exchange: ExchangeReads;
  /** The source spoke (a delivery, an event, a poll answer): health and the silence alarm go by this. */
  heard(at?: number): void;
  /** Writes the detector's own health limits and details (what health() adds to lastHeardAt). */
  report(update: { limits?: string[]; details?: Record<string, unknown> }): void;
  /** What this detector says of itself now: this instance's, since one module serves every LeakGuard of a process. */
  health(): DetectorHealth;
  /** The detector's durable work on the shared queue; kinds are namespaced `<detector>.<kind>`. */
  work: {
    /** Queues an item unless one with this id exists (the id is the idempotency key); resolves once durable. */
    enqueue(kind: string, id: string, payload: Record<string, unknown>, opts?: { runAt?: number; maxAttempts?: number }): Promise<{ created: boolean }>;
    /** The handler of a kind; registered before start, so work queued before a crash is run after the restart. */
    handle(kind: string, handler: WorkHandler): void;
  };
  /** Small durable state of this detector (cursors, learned ids). */
  state: {
    get<T>(key: string): Promise<T | undefined>;
    put(key: string, value: unknown): Promise<void>;
  };
  /** One of LeakGuard's own AWS calls by its request id (CloudTrail's requestID), from the call log every replica writes. */
  ownCall(requestId: string): Promise<OwnCall | undefined>;
  /**
   * Moves the credential's active incident to needs_attention with `reason` (a rotation failed
   * outside LeakGuard's runner); resolves to the incident's id, or null when it has none.
   */
  attention(credentialId: string, reason: string): Promise<string | null>;
  /** A secret value the config names ({env} or {secretsManager}), registered with the scrubber. */
  secret(ref: SecretRef, signal?: AbortSignal): Promise<string>;
}

/**
 * One detector (DESIGN.md, Interfaces): a folder `detectors/<name>/` whose index.ts exports this,
 * and one line in detectors/registry.ts. Its config section `detectors.<name>` comes from its
 * schema; routes are registered in an encapsulated Fastify scope; start begins its loops and
 * returns how to stop them. Its health (when it last heard from its source, what it cannot do) is
 * its context's: what it records there through heard() and report().
 */
export interface Detector<S extends TObject = TObject> {
  name: string;
  title: string;
  configSchema: S;
  /** What the schema cannot say ("path: what is wrong and what to do"): said by `config check` and at start. */
  warnings?(config: Static<S>, env: NodeJS.ProcessEnv): string[];
  routes?(app: FastifyInstance, ctx: DetectorContext<Static<S>>): Promise<void> | void;
  start?(ctx: DetectorContext<Static<S>>): Promise<Stop> | Stop;
}

/** The list config parsing and the intake are built from; a detector's config type is its own business. */
export type DetectorList = readonly Detector<any>[];
