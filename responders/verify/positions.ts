import type { StepContext } from '../../src/runner/responder.js';
import { alert } from '../lib/alert.js';
import { callCtx, credentialOf, exchangeOf, scopeOf } from '../lib/context.js';
import { lastOutputs } from '../lib/journal.js';
import { loadKey, type KeyChoice } from '../lib/keys.js';
import { freezeOutputs } from '../freeze/outputs.js';
import { revokeOutputs } from '../revoke/outputs.js';

const key = (p: { category: string; symbol: string; side: string; size: string }) => `${p.category}:${p.symbol}:${p.side}:${Number(p.size)}`;

/** Positions now against the freeze's snapshot; a difference pages a human. No snapshot, nothing to compare. */
export async function checkPositions(ctx: StepContext, choice: KeyChoice): Promise<{ positionsMatch: boolean | null; positionsBefore?: string[]; positionsNow?: string[] }> {
  const snapshot = lastOutputs(ctx, revokeOutputs)?.positions ?? lastOutputs(ctx, freezeOutputs)?.positions;
  if (!snapshot) {
    await ctx.note('verify.positions', 'no positions snapshot was taken (no freeze, or it could not read them); nothing to compare');
    return { positionsMatch: null };
  }
  const k = await loadKey(ctx, choice);
  const now = await exchangeOf(ctx).positions(k.material, scopeOf(credentialOf(ctx)), callCtx(ctx));
  const before = snapshot.map(key).sort();
  const after = now.map(key).sort();
  const match = before.length === after.length && before.every((p, i) => p === after[i]);
  if (match) {
    await ctx.note('verify.positions', `positions match the snapshot taken at freeze (${after.length})`);
    return { positionsMatch: true };
  }
  await alert(ctx, 'page', `positions differ from the snapshot taken at freeze: before [${before.join(', ')}], now [${after.join(', ')}]; reconcile them (runbook: Verify Recovery)`, { before, after });
  return { positionsMatch: false, positionsBefore: before, positionsNow: after };
}
