import type { Clock } from '../../core/clock.js';
import { IntegrationError } from '../errors.js';
import type { OpenOrder, Swept } from './exchange.js';

export interface SweepOptions {
  system: string;
  clock: Clock;
  pollMs: number;
  /** Gives up after this much clock time when the caller set no signal. */
  budgetMs: number;
  signal?: AbortSignal;
  /** One cancel round and no look: the pass before a revoke, which must not wait for the cancels to land. */
  once?: boolean;
  /**
   * Asks the exchange to cancel; returns the ids it acknowledged. `open` is null before the
   * first look, then what the last look found.
   */
  cancel(open: OpenOrder[] | null): Promise<string[]>;
  list(): Promise<OpenOrder[]>;
}

export const orderKey = (o: Pick<OpenOrder, 'category' | 'orderId'>): string => `${o.category}:${o.orderId}`;

/**
 * Cancels, then looks until the exchange reports nothing open: a cancel-all answer is only an
 * acknowledgement. An order that was never acknowledged (placed after the cancel, e.g. by
 * whoever holds a leaked key) triggers another cancel round. With `once` it stops after the
 * first round, unproved: the pass before a revoke, which must not keep the key alive; a later
 * sweep with the new key proves nothing is left.
 */
export async function sweep(opts: SweepOptions): Promise<Swept> {
  const acked = new Set<string>();
  const deadline = opts.clock.now() + opts.budgetMs;
  let open: OpenOrder[] = [];
  let polls = 0;
  const giveUp = (why: string, cause?: unknown) =>
    new IntegrationError({
      system: opts.system,
      operation: 'cancelAll',
      kind: 'timeout',
      retryable: false,
      detail: `${why}; ${open.length} order(s) still open after ${polls} look(s): ${open.slice(0, 5).map((o) => `${o.symbol} ${o.orderId}`).join(', ')}`,
      action: `look at the open orders in the ${opts.system} web UI and cancel what is left by hand, or run the cancel step again`,
      cause,
    });
  try {
    for (const id of await opts.cancel(null)) acked.add(id);
    if (opts.once) return { cancelled: acked.size, polls };
    for (;;) {
      open = await opts.list();
      polls++;
      if (open.length === 0) return { cancelled: acked.size, polls };
      if (open.some((o) => !acked.has(orderKey(o)))) for (const id of await opts.cancel(open)) acked.add(id);
      if (opts.clock.now() + opts.pollMs > deadline) throw giveUp(`the cancel did not land within ${opts.budgetMs} ms`);
      await opts.clock.sleep(opts.pollMs, opts.signal);
    }
  } catch (err) {
    if (opts.signal?.aborted && !(err instanceof IntegrationError && err.operation === 'cancelAll')) throw giveUp("the step's time budget ran out", err);
    throw err;
  }
}
