import type { StepContext } from '../../src/runner/responder.js';
import { callCtx, credentialOf, exchangeOf, scopeOf } from '../lib/context.js';
import { loadKey } from '../lib/keys.js';

export interface PreflightParams {
  quietSeconds: number;
  /** UTC "HH:MM"; a window that ends before it starts runs over midnight. */
  maintenanceWindow?: { start: string; end: string };
  deferMs: number;
  maxDeferMs: number;
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The checklist items that fail now, as sentences; empty when rotation may go ahead. */
export async function failedChecks(ctx: StepContext, p: PreflightParams): Promise<string[]> {
  const failed: string[] = [];
  if (p.maintenanceWindow) {
    const d = new Date(ctx.clock.now());
    const now = d.getUTCHours() * 60 + d.getUTCMinutes();
    const [start, end] = [minutes(p.maintenanceWindow.start), minutes(p.maintenanceWindow.end)];
    const inside = start <= end ? now >= start && now < end : now >= start || now < end;
    if (!inside) failed.push(`outside the maintenance window ${p.maintenanceWindow.start}-${p.maintenanceWindow.end} UTC`);
  }
  if (!failed.length && (p.quietSeconds ?? 0) > 0) {
    const placed = await newOrders(ctx, p.quietSeconds * 1000);
    if (placed) failed.push(`${placed} new order(s) in the last ${p.quietSeconds} s (a trade may be in progress)`);
  }
  return failed;
}

/** Orders that appeared while watching the open orders for `ms`: the exchange gives no order times here. */
async function newOrders(ctx: StepContext, ms: number): Promise<number> {
  const exchange = exchangeOf(ctx);
  if (exchange.capabilities.listOpenOrders !== 'api') return 0;
  const key = await loadKey(ctx, 'target');
  const scope = scopeOf(credentialOf(ctx));
  const ids = async () => new Set((await exchange.listOpenOrders(key.material, scope, callCtx(ctx))).map((o) => `${o.category}:${o.orderId}`));
  const before = await ids();
  await ctx.clock.sleep(ms, ctx.signal);
  return [...(await ids())].filter((id) => !before.has(id)).length;
}
