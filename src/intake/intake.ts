import { EventEmitter } from 'node:events';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import type { Credential, SecretRef } from '../core/credential.js';
import type { Scrubber } from '../core/scrubber.js';
import { UNMATCHED, type Signal, type SignalInput } from '../core/signal.js';
import type { WorkHandler } from '../queue/worker.js';
import type { Store } from '../store/store.js';
import type { CodeMeaning, Detector, DetectorContext, DetectorHealth, DetectorList, DetectorSection, Stop } from './detector.js';
import type { KeyCheck } from './key-check.js';
import type { ExchangeReads } from './exchange-reads.js';
import type { CredentialMatcher } from './matcher.js';

/** The work kind that hands a stored signal to the engine (the rules consume it). */
export const SIGNAL_WORK = 'signal.decide';
/** How often silence is looked for. */
const SILENCE_CHECK_MS = 60_000;

export interface IntakeDeps {
  /** The `detectors:` section of the config, validated against each detector's schema. */
  sections: Record<string, unknown>;
  detectors: DetectorList;
  store: Store;
  clock: Clock;
  scrubber: Scrubber;
  logger: Logger;
  matcher: CredentialMatcher;
  checkKey: KeyCheck;
  credentials: readonly Credential[];
  pods: DetectorContext['pods'];
  /** The error map of an exchange's adapter. */
  errorCodes(exchange: string): Readonly<Record<number, CodeMeaning>>;
  exchange: ExchangeReads;
  secret(ref: SecretRef, signal?: AbortSignal): Promise<string>;
  /** Registers the handler of a work kind with the worker that runs the queue. */
  handle(kind: string, handler: WorkHandler): void;
  /** Moves a credential's active incident to needs_attention (the Incidents service); null when it has none. */
  attention(credentialId: string, reason: string): Promise<string | null>;
  /** Tells people (Slack, the log) something is wrong that no incident covers: a silent source. */
  alarm(text: string): void;
}

export interface DetectorStatus extends DetectorHealth {
  name: string;
  title: string;
  /** Heard from nothing for longer than its silentAfterMinutes (counted from the start when never heard). */
  silent: boolean;
}

interface Running {
  detector: Detector;
  /** Typed by its own detector. */
  ctx: DetectorContext<any>;
  health: DetectorHealth;
  silent: boolean;
}

/**
 * The detector API (DESIGN.md): builds each enabled detector's context, registers its routes and
 * starts it, and is the one way a signal comes in: `emit` scrubs the evidence, stores the signal
 * (deduplicated by its dedupKey), and queues it for the engine before it resolves.
 */
export class Intake {
  /** 'signal' (signal, created) after each emit is durable: the console's live view and tests listen. */
  readonly events = new EventEmitter<{ signal: [Signal, boolean] }>();
  readonly #running: Running[] = [];
  #stops: Stop[] = [];
  #startedAt: number | null = null;
  #silence = new AbortController();
  #silenceLoop: Promise<void> | undefined;

  constructor(private readonly deps: IntakeDeps) {
    for (const detector of deps.detectors) {
      const section = (deps.sections[detector.name] ?? { enabled: false }) as DetectorSection;
      if (!section.enabled) continue;
      const running: Running = { detector, ctx: undefined as never, health: { lastHeardAt: null, limits: [], details: {} }, silent: false };
      running.ctx = this.#context(detector, section, running);
      this.#running.push(running);
    }
  }

  /** The enabled detectors, by name. */
  get enabled(): string[] {
    return this.#running.map((r) => r.detector.name);
  }

  /** Stores a signal (scrubbed, deduplicated) and queues it for the engine; resolves once both are durable. */
  async emit(input: SignalInput): Promise<{ signal: Signal; created: boolean }> {
    const { store, clock, scrubber } = this.deps;
    const clean: SignalInput = { ...input, kind: scrubber.scrub(input.kind), dedupKey: scrubber.scrub(input.dedupKey), evidence: scrubber.scrubDeep(input.evidence) };
    const now = clock.now();
    const stored = await store.recordSignal(clean, now);
    const { signal } = stored;
    // Queued whether new or not: a crash between the two writes is repaired when the detector emits again (its work is retried).
    // Unmatched and revoked-key signals are for the audit only: nothing to decide.
    if (!signal.kind.endsWith(UNMATCHED) && !signal.match?.revoked) {
      await store.enqueueWork({ id: `${SIGNAL_WORK}:${signal.id}`, kind: SIGNAL_WORK, payload: { signalId: signal.id }, runAt: now, at: now });
    }
    this.events.emit('signal', signal, stored.created);
    return stored;
  }

  /** Each enabled detector's routes, each in its own encapsulated scope. */
  async routes(app: FastifyInstance): Promise<void> {
    for (const r of this.#running) {
      const routes = r.detector.routes;
      if (routes) await app.register(async (scope) => routes(scope, r.ctx));
    }
  }

  /** Starts every enabled detector and the silence watch. A detector that fails to start is logged and retried by nothing: the others run. */
  async start(): Promise<void> {
    this.#startedAt = this.deps.clock.now();
    for (const r of this.#running) {
      if (!r.detector.start) continue;
      try {
        this.#stops.push(await r.detector.start(r.ctx));
      } catch (err) {
        this.deps.logger.error({ err, detector: r.detector.name }, `detector ${r.detector.name} failed to start; it takes no input until LeakGuard restarts with this fixed`);
        r.health.limits.push(`failed to start: ${this.deps.scrubber.scrub((err as Error).message)}`);
      }
    }
    this.#silenceLoop ??= this.#watchSilence();
  }

  async stop(): Promise<void> {
    this.#silence.abort();
    const stops = this.#stops;
    this.#stops = [];
    await Promise.all(stops.map((s) => s()));
    await this.#silenceLoop;
  }

  health(): DetectorStatus[] {
    return this.#running.map((r) => ({ name: r.detector.name, title: r.detector.title, ...r.health, silent: r.silent }));
  }

  #context(detector: Detector, section: DetectorSection, running: Running): DetectorContext<DetectorSection> {
    const { store, clock, scrubber, matcher, checkKey, exchange } = this.deps;
    const kind = (k: string) => `${detector.name}.${k}`;
    return {
      name: detector.name,
      config: section,
      clock,
      logger: this.deps.logger.child({ detector: detector.name }),
      scrubber,
      emit: (input) => this.emit(input),
      match: matcher,
      checkKey,
      credentials: this.deps.credentials,
      pods: this.deps.pods,
      activeResponse: async (credentialId) => {
        const incident = await store.getActiveIncident(credentialId);
        if (!incident) return null;
        const runs = await store.listStepRuns(incident.id);
        return { incidentId: incident.id, stepsRunning: runs.filter((r) => r.status === 'running').map((r) => r.step) };
      },
      errorCodes: (exchange) => this.deps.errorCodes(exchange),
      exchange,
      heard: (at = clock.now()) => {
        running.health.lastHeardAt = Math.max(running.health.lastHeardAt ?? 0, at);
        if (running.silent) {
          running.silent = false;
          this.deps.logger.info({ detector: detector.name }, `${detector.title} is heard from again`);
        }
      },
      report: ({ limits, details }) => {
        if (limits) running.health.limits = limits.map((l) => scrubber.scrub(l));
        if (details) running.health.details = scrubber.scrubDeep({ ...running.health.details, ...details });
      },
      health: () => ({ ...running.health }),
      work: {
        enqueue: async (k, id, payload, opts = {}) => {
          const now = clock.now();
          const { created } = await store.enqueueWork({ id: `${kind(k)}:${id}`, kind: kind(k), payload, runAt: opts.runAt ?? now, at: now, ...(opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}) });
          return { created };
        },
        handle: (k, handler) => this.deps.handle(kind(k), handler),
      },
      state: {
        get: (key) => store.getBaseline(detector.name, key),
        put: (key, value) => store.putBaseline(detector.name, key, value, clock.now()),
      },
      secret: (ref, signal) => this.deps.secret(ref, signal),
      ownCall: (requestId) => store.getOwnCall(requestId),
      attention: (credentialId, reason) => this.deps.attention(credentialId, scrubber.scrub(reason)),
    };
  }

  /** Once a minute: a detector heard from nothing for longer than its silentAfterMinutes raises an alarm, once per silence. */
  async #watchSilence(): Promise<void> {
    const { clock } = this.deps;
    while (!this.#silence.signal.aborted) {
      await clock.sleep(SILENCE_CHECK_MS, this.#silence.signal).catch(() => {});
      if (this.#silence.signal.aborted) return;
      this.checkSilence();
    }
  }

  /** Marks and alarms the detectors silent for too long now (the watch calls it; tests may too). */
  checkSilence(): void {
    const now = this.deps.clock.now();
    for (const r of this.#running) {
      const minutes = r.ctx.config.silentAfterMinutes;
      if (!minutes || r.silent) continue;
      const since = r.health.lastHeardAt ?? this.#startedAt ?? now;
      if (now - since < minutes * 60_000) continue;
      r.silent = true;
      const heard = r.health.lastHeardAt === null ? 'nothing since LeakGuard started' : `nothing since ${new Date(r.health.lastHeardAt).toISOString()}`;
      this.deps.alarm(
        `${r.detector.title} is silent: ${heard} (more than ${minutes} min). Leaks it should report may go unseen: check that the source still sends to LeakGuard (its webhook or rule, and their delivery logs).`,
      );
    }
  }
}
