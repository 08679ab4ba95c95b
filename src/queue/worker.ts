import type { Clock } from '../core/clock.js';
import type { Store, WorkItem } from '../store/store.js';

/** What a handler says about an item it ran: done, or handed back untried to be claimed again from `retryAt`. */
export type WorkResult = 'done' | { retryAt: number };

/**
 * Runs one claimed item of its kind. Throwing fails the item (retried with backoff, then
 * dead-lettered); it must be idempotent, since a worker that dies mid-way leaves its claim to
 * lapse and another runs the item again.
 */
export interface WorkHandler {
  /** `signal` aborts when the claim is lost (taken over after it lapsed): stop, another worker runs the item. */
  run(item: WorkItem, signal: AbortSignal): Promise<WorkResult>;
  /** The wait after the n-th failure; the queue's exponential default when absent. */
  retryInMs?(failures: number): number;
}

/** kind -> handler: the next kinds (webhook deliveries, signal decisions, alerts) are added here, not as a second queue. */
export type WorkHandlers = Record<string, WorkHandler>;

/** How a run of an item ended: done, handed back, failed (retried later), dead-lettered, or its claim was lost. */
export type WorkOutcome = 'done' | 'released' | 'failed' | 'dead' | 'lost';

export interface WorkerLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * The one place that claims due work and runs it. It has no loop of its own: whoever owns the
 * wake-ups (the runner, whose step timers need its per-incident exclusivity) calls pass() when
 * woken or polled, and sleeps no longer than nextDueAt() so a due item starts on time.
 */
export class Worker {
  readonly #running = new Set<Promise<void>>();
  readonly #handlers: WorkHandlers;
  #kinds: string[];

  constructor(
    private readonly opts: {
      store: Store;
      clock: Clock;
      holder: string;
      handlers: WorkHandlers;
      claimTtlMs: number;
      maxConcurrent: number;
      logger: WorkerLogger;
      /** Told when a run of an item ended (tests wait on it). */
      onEnd?: (item: WorkItem, outcome: WorkOutcome) => void;
    },
  ) {
    this.#handlers = { ...opts.handlers };
    this.#kinds = Object.keys(this.#handlers);
  }

  /** Adds the handler of a kind (a detector's, registered when it starts); items of that kind queued before are claimed from now on. */
  handle(kind: string, handler: WorkHandler): void {
    if (this.#handlers[kind]) throw new Error(`work kind ${kind} already has a handler`);
    this.#handlers[kind] = handler;
    this.#kinds = Object.keys(this.#handlers);
  }

  /** Claims what is due (as much as there is room for) and starts each item; resolves once claimed, not when the work ends. */
  async pass(): Promise<void> {
    const { store, clock, holder, claimTtlMs, maxConcurrent } = this.opts;
    const limit = maxConcurrent - this.#running.size;
    for (const item of await store.claimWork(holder, { kinds: this.#kinds, now: clock.now(), claimTtlMs, limit })) {
      const p = this.#run(item).finally(() => this.#running.delete(p));
      this.#running.add(p);
    }
  }

  nextDueAt(): Promise<number | undefined> {
    return this.opts.store.nextWorkAt(this.#kinds);
  }

  /** Resolves once every item started so far has ended. */
  async settled(): Promise<void> {
    await Promise.all([...this.#running]);
  }

  async #run(item: WorkItem): Promise<void> {
    const { store, clock, logger } = this.opts;
    const handler = this.#handlers[item.kind]!;
    const at = { workId: item.id, kind: item.kind, incidentId: item.incidentId };
    const claim = this.#keepClaim(item);
    let outcome: WorkOutcome = 'lost';
    try {
      let result: WorkResult;
      try {
        result = await handler.run(item, claim.lost);
      } catch (err) {
        const failed = await store.failWork(item, err instanceof Error ? err.message : String(err), clock.now(), handler.retryInMs?.(item.attempts + 1));
        if (failed?.status === 'dead') logger.error({ ...at, err, attempts: failed.attempts }, `work item dead-lettered after ${failed.attempts} failures`);
        else if (failed) logger.warn({ ...at, err, retryAt: failed.runAt }, 'work item failed; it is retried');
        else logger.warn({ ...at, err }, 'work item failed after its claim was taken over; the new claimer runs it');
        if (failed) outcome = failed.status === 'dead' ? 'dead' : 'failed';
        return;
      }
      const kept = result === 'done' ? await store.completeWork(item, clock.now()) : await store.releaseWork(item, result.retryAt);
      if (!kept) logger.warn(at, 'work item finished after its claim was taken over; the new claimer runs it again (handlers are idempotent)');
      else outcome = result === 'done' ? 'done' : 'released';
    } catch (err) {
      // The store is unreachable: the claim lapses and the item is claimed again.
      logger.error({ ...at, err }, 'could not record the end of a work item; it is run again once its claim lapses');
    } finally {
      await claim.stop();
      this.opts.onEnd?.(item, outcome);
    }
  }

  /**
   * Extends the item's claim every third of its time to live while the handler runs, so a
   * long handler (a fetch retried with backoff) is not run a second time beside itself; a
   * refused extension means another worker has it, and the handler's signal says so.
   */
  #keepClaim(item: WorkItem): { lost: AbortSignal; stop(): Promise<void> } {
    const { store, clock, claimTtlMs, logger } = this.opts;
    const done = new AbortController();
    const lost = new AbortController();
    const loop = (async () => {
      for (;;) {
        await clock.sleep(claimTtlMs / 3, done.signal).catch(() => {});
        if (done.signal.aborted) return;
        // A store that does not answer proves nothing: try again; the claim may lapse meanwhile, and handlers are idempotent.
        const kept = await store.extendWork(item, clock.now() + claimTtlMs).catch(() => true);
        if (!kept) {
          logger.warn({ workId: item.id, kind: item.kind }, 'lost the claim on a work item while running it; another worker runs it');
          return lost.abort(new Error(`the claim on work item ${item.id} was taken over`));
        }
      }
    })();
    return { lost: lost.signal, stop: () => (done.abort(), loop) };
  }
}
