import type { Clock } from '../core/clock.js';
import type { WorkHandler } from '../queue/worker.js';
import type { Store } from '../store/store.js';

/** A job run once per period across every replica sharing the store. */
export interface PeriodicJob {
  /** The work kind; also the prefix of each period's item id. */
  kind: string;
  everyMs: number;
  /** Runs the period starting at `periodStart`; must be idempotent (a crash mid-way runs it again). */
  run(periodStart: number, signal: AbortSignal): Promise<void>;
}

export interface Periodic {
  kind: string;
  /** The work-queue handler of the job's kind. */
  handler: WorkHandler;
  /** Queues the current period's run unless it is queued (every replica calls it at start; one item results). */
  arm(): Promise<void>;
}

/**
 * A durable schedule on the work queue: each period is one item whose id is the period's start,
 * so however many replicas enqueue it there is one, and the queue's claims run it once. The next
 * period is queued before the job runs, so a job that keeps failing is dead-lettered without
 * ending the schedule.
 */
export function periodic(store: Store, clock: Clock, job: PeriodicJob): Periodic {
  const enqueue = (periodStart: number) =>
    store.enqueueWork({ id: `${job.kind}:${periodStart}`, kind: job.kind, payload: { periodStart }, runAt: periodStart, at: clock.now() });
  return {
    kind: job.kind,
    handler: {
      run: async (item, signal) => {
        const periodStart = Number(item.payload.periodStart);
        await enqueue(periodStart + job.everyMs);
        await job.run(periodStart, signal);
        return 'done';
      },
    },
    arm: async () => {
      await enqueue(Math.floor(clock.now() / job.everyMs) * job.everyMs);
    },
  };
}
