import type { Clock } from '../core/clock.js';
import type { RunnerLogger } from '../runner/responder.js';
import type { Store } from '../store/store.js';
import type { PeriodicJob } from './periodic.js';

export const RETENTION_WORK = 'retention';
const DAY_MS = 86_400_000;

/** Prunes what is older than `maxAgeDays` (Store.prune says what that is and what is kept). */
export function retentionJob(deps: { store: Store; clock: Clock; logger: RunnerLogger; maxAgeDays: number; everyMinutes: number }): PeriodicJob {
  return {
    kind: RETENTION_WORK,
    everyMs: deps.everyMinutes * 60_000,
    run: async () => {
      const before = deps.clock.now() - deps.maxAgeDays * DAY_MS;
      const pruned = await deps.store.prune(before);
      deps.logger.info({ ...pruned, before: new Date(before).toISOString() }, 'retention: pruned old signals, done work items and stale baselines');
    },
  };
}
