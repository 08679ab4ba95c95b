import { type Clock, ManualClock, systemClock } from '../../src/core/clock.js';
import { Scrubber } from '../../src/core/scrubber.js';
import type { CallPolicy } from '../../src/integrations/call.js';
import { type BybitOptions, BybitExchange } from '../../src/integrations/exchanges/bybit/exchange.js';
import type { KeyMaterial } from '../../src/integrations/exchanges/exchange.js';
import { LEAKGUARD_IP, startBybit } from '../sim/bybit/testkit.js';
import type { BybitSimOptions } from '../sim/bybit/server.js';

/** Real timeouts, tiny backoff: retries happen at once under the system clock. */
export const FAST: CallPolicy = { timeoutMs: 2_000, retries: 3, baseDelayMs: 5, maxDelayMs: 20 };

export const material = (k: { apiKey: string; secret: string }): KeyMaterial => ({ apiKey: k.apiKey, apiSecret: k.secret });

/**
 * The Bybit simulator's world (a master account with LeakGuard's IP-bound master key, a
 * sub-account with the bot's key) and our adapter pointed at it. `bybit()` calls from
 * LeakGuard's IP unless told otherwise; each world has its own fresh Scrubber.
 */
export async function bybitWorld(teardown: (fn: () => unknown) => void, sim: BybitSimOptions = {}, policy: CallPolicy = FAST) {
  const clock: Clock = sim.clock ?? systemClock;
  const w = await startBybit(teardown, { ...sim, clock });
  const scrubber = new Scrubber();
  const bybit = ({ ip = LEAKGUARD_IP, ...o }: BybitOptions & { ip?: string } = {}) =>
    new BybitExchange({ baseUrl: w.sim.url, headers: { 'x-sim-client-ip': ip }, pollMs: 500, ...o }, { clock, scrubber, policy });
  return { ...w, clock, scrubber, bybit, masterKey: material(w.master), botKey: material(w.bot) };
}

/** Resolves `p` while moving a ManualClock on by `stepMs` whenever the code under test sleeps on it. */
export async function drive<T>(clock: ManualClock, p: Promise<T>, stepMs: number, onStep?: (step: number) => void): Promise<T> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let step = 0; !settled; ) {
    if (clock.pending > 0) {
      await clock.advance(stepMs);
      onStep?.(++step);
      // Let real I/O progress even when the step woke nobody.
      await new Promise((r) => setImmediate(r));
    } else {
      await new Promise((r) => setTimeout(r, 1));
    }
  }
  return p;
}

/** Waits until the code under test sleeps on the clock (a retry's backoff, a poll). */
export async function parked(clock: ManualClock): Promise<void> {
  while (clock.pending === 0) await new Promise((r) => setTimeout(r, 1));
}

/** The rejection of `p`, for assertions on a typed error. */
export async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the call to fail');
}
