import type { StepContext } from '../../src/runner/responder.js';
import { callCtx, credentialOf, exchangeOf } from '../lib/context.js';
import { loadKey, type KeyChoice } from '../lib/keys.js';

/**
 * The runbook's order-placement test, where the credential opts in (verify.tradeTest): a post-only
 * limit order with the key, away from the market at the minimum size, seen resting through the
 * exchange, cancelled at once and seen cancelled. Its client id comes from the step's token, so a
 * test order is always traceable to its attempt.
 */
export async function checkTrade(ctx: StepContext, choice: KeyChoice, pollMs: number) {
  const test = credentialOf(ctx).verify.tradeTest;
  if (!test) return {};
  const exchange = exchangeOf(ctx);
  if (!exchange.testOrder) throw new Error(`${exchange.name} has no order test; remove verify.tradeTest from credential ${credentialOf(ctx).id}`);
  const key = await loadKey(ctx, choice);
  await ctx.checkpoint();
  const r = await exchange.testOrder(key.material, { ...test, orderLinkId: `lgt-${ctx.token.replace(/-/g, '').slice(0, 28)}` }, { ...callCtx(ctx), pollMs });
  await ctx.note('verify.trade', `the ${choice} key ${key.hint} can trade: a post-only ${test.side} of ${r.qty} ${test.symbol} at ${r.price} (order ${r.orderId}) rested and was cancelled, both seen at ${exchange.name}`, { ...r, symbol: test.symbol, side: test.side });
  return { tradeTest: { symbol: test.symbol, side: test.side, ...r, cancelled: true as const } };
}
