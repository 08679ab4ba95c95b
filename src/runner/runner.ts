import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { systemClock, type Clock } from '../core/clock.js';
import type { Credential } from '../core/credential.js';
import { StaleFenceError, type Store, type WorkItem } from '../store/store.js';
import { drive } from './execute.js';
import { LeaseKeeper, LeaseLostError, ShutdownError } from './lease.js';
import { abortRequest } from './progress.js';
import type { Clients, ResponderRegistry, RunnerLogger } from './responder.js';
import { Worker, type WorkHandler, type WorkHandlers, type WorkOutcome } from '../queue/worker.js';
import { Session, type RunnerEnv, type RunnerEvent } from './session.js';
import { STEP_TIMER } from './step-context.js';
import { fireTimer } from './timers.js';

export interface RunnerOptions {
  store: Store;
  responders: ResponderRegistry;
  clock?: Clock;
  clients?: Clients;
  credentials?: (credentialId: string) => Credential | undefined;
  logger?: RunnerLogger;
  /** Unique per process: a restarted or stalled process must never pass for the live one. */
  holder?: string;
  leaseTtlMs?: number;
  pollMs?: number;
  /** Incidents worked on at once by this runner, and as many work items besides. */
  maxConcurrent?: number;
  /** Handlers of work-queue kinds besides the runner's own step timers. */
  handlers?: WorkHandlers;
  onEvent?: (e: RunnerEvent) => void;
  /** Told when a run of a work item ended (tests wait on it). */
  onWork?: (item: WorkItem, outcome: WorkOutcome) => void;
}

const quiet: RunnerLogger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Claims unfinished incidents and due timers from the store and works on each while it holds
 * its lease. Every poll looks at every active incident, so work resumes after a crash, a
 * takeover or the end of a wait without anyone telling it to.
 */
export class Runner {
  readonly holder: string;
  readonly #env: RunnerEnv;
  readonly #pollMs: number;
  readonly #maxConcurrent: number;
  /** incident id -> its session once claimed (undefined while claiming); one piece of work per incident here. */
  readonly #busy = new Map<string, Session | undefined>();
  readonly #work = new Set<Promise<void>>();
  readonly #worker: Worker;
  #wake = new AbortController();
  #loop: Promise<void> | undefined;
  #stopping = false;

  constructor(opts: RunnerOptions) {
    this.holder = opts.holder ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    const logger = opts.logger ?? quiet;
    this.#env = {
      store: opts.store,
      clock: opts.clock ?? systemClock,
      responders: opts.responders,
      clients: opts.clients ?? {},
      credentials: opts.credentials ?? (() => undefined),
      logger,
      holder: this.holder,
      leaseTtlMs: opts.leaseTtlMs ?? 15_000,
      onEvent: opts.onEvent ?? ((e) => logger.debug(e, `runner ${e.type}`)),
    };
    this.#pollMs = opts.pollMs ?? 1_000;
    this.#maxConcurrent = opts.maxConcurrent ?? 8;
    // The runner's loop drives the worker: step timers need its per-incident exclusivity, and one set of wake-ups serves both.
    this.#worker = new Worker({
      store: opts.store,
      clock: this.#env.clock,
      holder: this.holder,
      handlers: { ...opts.handlers, [STEP_TIMER]: this.#stepTimers() },
      claimTtlMs: this.#env.leaseTtlMs * 2,
      maxConcurrent: this.#maxConcurrent,
      logger,
      ...(opts.onWork ? { onEnd: opts.onWork } : {}),
    });
  }

  /** Adds the handler of another work kind (a detector's); the next pass claims its items. */
  handle(kind: string, handler: WorkHandler): void {
    this.#worker.handle(kind, handler);
    this.#wake.abort();
  }

  /**
   * Works until stop(), in the background: woken at once by every hint the store passes on (a
   * new incident, an operator request, claimable work; from other replicas too on PostgreSQL),
   * by the next work item coming due, and else every pollMs, the fallback for lost hints.
   */
  start(): void {
    this.#loop ??= (async () => {
      const hints = this.#env.store.onWake(() => this.#wake.abort());
      // Listening first: whatever is written after this is hinted, whatever before the first poll finds.
      await hints.ready;
      while (!this.#stopping) {
        this.#wake = new AbortController();
        const lookedAt = this.#env.clock.now();
        try {
          await this.#poll();
        } catch (err) {
          this.#env.logger.error({ err }, 'runner poll failed; trying again');
        }
        this.#polled();
        await this.#env.clock.sleep(await this.#idleMs(lookedAt), this.#wake.signal).catch(() => {});
      }
      hints.close();
    })();
  }

  #polled!: () => void;
  /** Resolves once the started runner listens for hints and has looked at the store once. */
  readonly ready: Promise<void> = new Promise((resolve) => (this.#polled = resolve));

  /** Until the next work item comes due, if that is before the next poll. */
  async #idleMs(lookedAt: number): Promise<number> {
    const next = await this.#worker.nextDueAt().catch(() => undefined);
    // Due when the poll looked, yet not claimed (no room here, or claimed elsewhere): the next poll comes back for it.
    if (next === undefined || next <= lookedAt) return this.#pollMs;
    return Math.max(0, Math.min(this.#pollMs, next - this.#env.clock.now()));
  }

  /** One poll, waiting for all the work it started (and any already running) to end. For tests and one-shot use. */
  async tick(): Promise<void> {
    await this.#poll();
    await Promise.all([...this.#work, this.#worker.settled()]);
  }

  /**
   * Graceful shutdown: no new claims; each incident stops at its next step boundary and its
   * lease is released. After `graceMs` running steps are aborted and handed back unfinished
   * (the next holder re-runs them with the same key).
   */
  async stop(graceMs = this.#env.leaseTtlMs): Promise<void> {
    this.#stopping = true;
    this.#wake.abort();
    for (const s of this.#busy.values()) if (s) s.stopping = true;
    const grace = new AbortController();
    const all = Promise.all([...this.#work, this.#worker.settled()]);
    await Promise.race([all, this.#env.clock.sleep(graceMs, grace.signal).catch(() => {})]);
    grace.abort();
    for (const s of this.#busy.values()) s?.keeper.lose(new ShutdownError());
    await all;
    await this.#loop;
  }

  /**
   * Something changed (a new incident, an operator's request): every runner looks now, this one
   * and, on PostgreSQL, those of the other replicas (for one incident, or a scan when the request
   * names none, e.g. a pause of a credential).
   */
  wake(incidentId?: string): void {
    this.#wake.abort();
    void this.#env.store.wake(incidentId ? { topic: 'incident', id: incidentId } : { topic: 'scan' }).catch((err: unknown) => this.#env.logger.warn({ err }, 'could not wake the other replicas; their poll finds the request'));
  }

  // ---- internals

  /** Starts work on due work items and claimable incidents; resolves once it has looked (not when the work ends). */
  async #poll(): Promise<void> {
    const { store } = this.#env;
    await this.#propagateAborts();
    await this.#worker.pass();
    for (const incident of await store.listIncidents({ active: true, limit: 1000 })) {
      if (this.#stopping || this.#maxConcurrent - this.#busy.size <= 0) break;
      if (!this.#busy.has(incident.id)) this.#claim(incident.id, drive);
    }
  }

  /** A due step timer runs under its incident's lease; while the incident is worked on (here or elsewhere) it waits a poll. */
  #stepTimers(): WorkHandler {
    return {
      run: async (item) => {
        if (!item.incidentId) throw new Error(`step timer ${item.id} names no incident`);
        const later = { retryAt: this.#env.clock.now() + this.#pollMs };
        if (this.#busy.has(item.incidentId)) return later;
        return (await this.#exclusive(item.incidentId, (s) => fireTimer(s, item))) ? 'done' : later;
      },
    };
  }

  /** An abort written by an operator on another replica reaches the step running here. */
  async #propagateAborts(): Promise<void> {
    for (const [id, s] of this.#busy) {
      if (s && !s.operator.signal.aborted && abortRequest(await this.#env.store.listRequests(id))) s.operator.abort(new Error('aborted by an operator'));
    }
  }

  #claim(incidentId: string, work: (s: Session) => Promise<void>): void {
    const p = this.#exclusive(incidentId, work)
      .then(
        () => {},
        (err) => this.#env.logger.error({ err, incidentId }, 'runner failed on an incident; it is retried at the next poll'),
      )
      .finally(() => this.#work.delete(p));
    this.#work.add(p);
  }

  /** One piece of work per incident in this runner (its lease alone would let this holder in twice). */
  async #exclusive<T>(incidentId: string, work: (s: Session) => Promise<T>): Promise<T | undefined> {
    this.#busy.set(incidentId, undefined);
    try {
      return await this.#run(incidentId, work);
    } finally {
      this.#busy.delete(incidentId);
    }
  }

  /** Runs `work` under the incident's lease; undefined when the lease is held elsewhere or was lost. */
  async #run<T>(incidentId: string, work: (s: Session) => Promise<T>): Promise<T | undefined> {
    const { store, clock, leaseTtlMs, logger } = this.#env;
    const name = `incident:${incidentId}`;
    const lease = await store.acquireLease(name, this.holder, leaseTtlMs, clock.now());
    if (!lease) return undefined;
    const incident = await store.getIncident(incidentId);
    const keeper = new LeaseKeeper(store, clock, { lease: name, holder: this.holder, token: lease.fence }, leaseTtlMs, lease.expiresAt, logger);
    if (!incident) return void keeper.stop();
    const s = new Session(this.#env, incident, keeper);
    s.stopping = this.#stopping;
    this.#busy.set(incidentId, s);
    s.emit('claimed');
    let result: T | undefined;
    try {
      result = await work(s);
    } catch (err) {
      if (!(err instanceof StaleFenceError)) throw err;
      keeper.lose(new LeaseLostError(keeper.fence, 'a write was refused'));
    } finally {
      keeper.stop();
    }
    if (keeper.signal.aborted && !(keeper.signal.reason instanceof ShutdownError)) {
      // Not ours any more: write nothing, not even the release.
      logger.warn({ incidentId, reason: (keeper.signal.reason as Error).message }, 'stopped working on an incident: lease lost');
      s.emit('lease.lost');
      return undefined;
    }
    await store.releaseLease(keeper.fence);
    s.emit('released');
    return result;
  }
}
