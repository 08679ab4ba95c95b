import type { StepContext } from '../../src/runner/responder.js';
import { callCtx, exchangeOf } from '../lib/context.js';
import { loadKey, type KeyChoice } from '../lib/keys.js';

/** Failure kinds a key that is new but fine may give while the exchange activates it. */
const NOT_YET = new Set(['invalid_key', 'bad_signature']);

/** An authenticated call with the key, tried again while the exchange is still activating it. */
export async function checkKey(ctx: StepContext, choice: KeyChoice, activationWaitMs: number, pollMs: number): Promise<{ keyHint: string; keyWorks: boolean; keyTries: number }> {
  const exchange = exchangeOf(ctx);
  const key = await loadKey(ctx, choice);
  const deadline = ctx.clock.now() + activationWaitMs;
  for (let tries = 1; ; tries++) {
    try {
      // wallet-balance needs no permission beyond a working key, on every exchange.
      await exchange.balance(key.material, callCtx(ctx));
      await ctx.note('verify.key', `the ${choice} key ${key.hint} works (authenticated call ${tries === 1 ? 'at once' : `after ${tries} tries`})`, { keyHint: key.hint, tries });
      return { keyHint: key.hint, keyWorks: true, keyTries: tries };
    } catch (err) {
      const kind = (err as { kind?: string }).kind ?? '';
      if (!NOT_YET.has(kind) || ctx.clock.now() + pollMs > deadline) {
        throw new Error(`the ${choice} key ${key.hint} does not work after ${tries} tries: ${(err as Error).message}`, { cause: err });
      }
      if (tries === 1) await ctx.note('verify.waiting', `the ${choice} key ${key.hint} is not active yet (${kind}); trying again for up to ${activationWaitMs} ms`);
      await ctx.clock.sleep(pollMs, ctx.signal);
    }
  }
}
