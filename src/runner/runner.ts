import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { systemClock, type Clock } from '../core/clock.js';
import type { Credential } from '../core/credential.js';
import type { Actor } from '../core/incident.js';
import { StaleFenceError, type Store } from '../store/store.js';
import { drive } from './execute.js';
import { LeaseKeeper, LeaseLostError, ShutdownError } from './lease.js';
import type { Plan } from './playbook.js';
import { abortRequest } from './progress.js';
import type { Clients, ResponderRegistry, RunnerLogger } from './responder.js';
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
  /** Incidents (and timers) worked on at once by this runner. */
  maxConcurrent?: number;
  onEvent?: (e: RunnerEvent) => void;
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
  }

  /** Polls until stop(); work runs in the background. */
  start(): void {
    this.#loop ??= (async () => {
      while (!this.#stopping) {
        try {
          await this.#poll();
        } catch (err) {
          this.#env.logger.error({ err }, 'runner poll failed; trying again');
        }
        await this.#env.clock.sleep(this.#pollMs, this.#wake.signal).catch(() => {});
        this.#wake = new AbortController();
      }
    })();
  }

  /** One poll, waiting for all the work it started (and any already running) to end. For tests and one-shot use. */
  async tick(): Promise<void> {
    await this.#poll();
    await Promise.all([...this.#work]);
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
    const all = Promise.all([...this.#work]);
    await Promise.race([all, this.#env.clock.sleep(graceMs, grace.signal).catch(() => {})]);
    grace.abort();
    for (const s of this.#busy.values()) s?.keeper.lose(new ShutdownError());
    await all;
    await this.#loop;
  }

  /** Something changed (a new incident, an operator's request): look now instead of at the next poll. */
  wake(): void {
    this.#wake.abort();
  }

  // ---- internals

  /** Starts work on due timers and claimable incidents; resolves once it has looked (not when the work ends). */
  async #poll(): Promise<void> {
    const { store, clock, leaseTtlMs } = this.#env;
    await this.#propagateAborts();
    const free = () => this.#maxConcurrent - this.#busy.size;
    for (const timer of await store.claimDueTimers(this.holder, clock.now(), leaseTtlMs * 2, Math.max(0, free()))) {
      // Other kinds belong to other components; a skipped claim lapses and is taken again later.
      if (timer.kind !== STEP_TIMER || !timer.incidentId || this.#busy.has(timer.incidentId)) continue;
      this.#claim(timer.incidentId, (s) => fireTimer(s, timer).then(() => {}));
    }
    for (const incident of await store.listIncidents({ active: true, limit: 1000 })) {
      if (this.#stopping || free() <= 0) break;
      if (!this.#busy.has(incident.id)) this.#claim(incident.id, drive);
    }
  }

  /** An abort written by an operator on another replica reaches the step running here. */
  async #propagateAborts(): Promise<void> {
    for (const [id, s] of this.#busy) {
      if (s && !s.operator.signal.aborted && abortRequest(await this.#env.store.listTimeline(id))) s.operator.abort(new Error('aborted by an operator'));
    }
  }

  #claim(incidentId: string, work: (s: Session) => Promise<void>): void {
    this.#busy.set(incidentId, undefined);
    const p = this.#run(incidentId, work)
      .catch((err) => this.#env.logger.error({ err, incidentId }, 'runner failed on an incident; it is retried at the next poll'))
      .finally(() => {
        this.#busy.delete(incidentId);
        this.#work.delete(p);
      });
    this.#work.add(p);
  }

  async #run(incidentId: string, work: (s: Session) => Promise<void>): Promise<void> {
    const { store, clock, leaseTtlMs, logger } = this.#env;
    const name = `incident:${incidentId}`;
    const lease = await store.acquireLease(name, this.holder, leaseTtlMs, clock.now());
    if (!lease) return;
    const incident = await store.getIncident(incidentId);
    const keeper = new LeaseKeeper(store, clock, { lease: name, holder: this.holder, token: lease.fence }, leaseTtlMs, lease.expiresAt, logger);
    if (!incident) return keeper.stop();
    const s = new Session(this.#env, incident, keeper);
    s.stopping = this.#stopping;
    this.#busy.set(incidentId, s);
    s.emit('claimed');
    try {
      await work(s);
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
      return;
    }
    await store.releaseLease(keeper.fence);
    s.emit('released');
  }
}
