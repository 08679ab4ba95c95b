import type { StepContext } from '../../src/runner/responder.js';
import type { FreezeOutputs } from '../freeze/outputs.js';
import { callCtx, credentialOf, exchangeOf, scopeOf } from './context.js';
import { loadKey, type KeyChoice } from './keys.js';

/** Positions once nothing trades any more (after the freeze, or just before the revoke), read with `choice`; verify compares against them. */
export async function snapshotPositions(ctx: StepContext, choice: KeyChoice, step: 'freeze' | 'revoke'): Promise<Pick<FreezeOutputs, 'positions' | 'positionsError'>> {
  const exchange = exchangeOf(ctx);
  if (exchange.capabilities.positions !== 'api') return { positions: null, positionsError: `${exchange.name} positions are not read over the API` };
  try {
    const key = await loadKey(ctx, choice);
    const positions = await exchange.positions(key.material, scopeOf(credentialOf(ctx)), callCtx(ctx));
    await ctx.note(`${step}.positions`, `positions snapshot: ${positions.length} open position(s)`, { positions });
    return { positions };
  } catch (err) {
    // A snapshot is evidence, not containment: the freeze stands without it.
    await ctx.note(`${step}.positions_failed`, `positions could not be read: ${(err as Error).message}`);
    return { positions: null, positionsError: (err as Error).message };
  }
}
