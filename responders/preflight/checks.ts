import { Type, type Static } from '@sinclair/typebox';
import type { StepContext } from '../../src/runner/responder.js';
import { callCtx, credentialOf, exchangeOf, scopeOf } from '../lib/context.js';
import { ms } from '../lib/define.js';
import { loadKey } from '../lib/keys.js';

const HHMM = Type.String({ pattern: '^\\d{2}:\\d{2}$' });

export const PreflightParams = Type.Object(
  {
    quietSeconds: Type.Integer({ minimum: 0, default: 30 }),
    /** UTC "HH:MM"; a window that ends before it starts runs over midnight. */
    maintenanceWindow: Type.Optional(Type.Object({ start: HHMM, end: HHMM }, { additionalProperties: false })),
    deferMs: ms(60_000, 1),
    maxDeferMs: ms(3_600_000),
  },
  { additionalProperties: false },
);
export type PreflightParams = Static<typeof PreflightParams>;

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
  if (!failed.length && p.quietSeconds > 0) {
    const recent = await recentOrders(ctx, p.quietSeconds * 1000);
    if (recent) failed.push(`${recent} (a trade may be in progress)`);
  }
  return failed;
}

/**
 * Orders placed in the last `ms`, as a sentence, or undefined. When the exchange dates every
 * open order, the check is literal, against the exchange's own clock; otherwise it watches the
 * open orders for `ms` and counts the ones that appear.
 */
async function recentOrders(ctx: StepContext, ms: number): Promise<string | undefined> {
  const exchange = exchangeOf(ctx);
  if (exchange.capabilities.listOpenOrders !== 'api') return undefined;
  const key = await loadKey(ctx, 'target');
  const scope = scopeOf(credentialOf(ctx));
  const list = () => exchange.listOpenOrders(key.material, scope, callCtx(ctx));
  const open = await list();
  if (open.every((o) => o.createdAt !== null)) {
    const now = await exchange.serverTime(callCtx(ctx));
    const placed = open.filter((o) => o.createdAt! > now - ms).length;
    return placed ? `${placed} open order(s) placed in the last ${ms / 1000} s by ${exchange.name}'s clock` : undefined;
  }
  const before = new Set(open.map((o) => `${o.category}:${o.orderId}`));
  await ctx.clock.sleep(ms, ctx.signal);
  const appeared = (await list()).filter((o) => !before.has(`${o.category}:${o.orderId}`)).length;
  return appeared ? `${appeared} new order(s) appeared while watching for ${ms / 1000} s` : undefined;
}
