import type { Credential } from '../../src/core/credential.js';
import type { DetectorContext } from '../../src/intake/detector.js';
import type { KeyMaterial } from '../../src/intake/exchange-reads.js';
import type { ExchangeConfig } from './config.js';
import { checkDrift } from './drift.js';
import { reportForeign } from './orders.js';

/** What one poll of one credential did. */
export interface PollReport {
  credentialId: string;
  at: number;
  orders: number | null;
  foreign: number;
  drift: string[];
  problems: string[];
}

/**
 * One REST poll of a credential: its open orders read with the watch key (foreign ones reported)
 * and its key's description against the last seen (drift.ts). Each half fails on its own; a
 * failure is a problem in the report, never a conclusion about the key.
 */
export async function pollCredential(ctx: DetectorContext<ExchangeConfig>, credential: Credential, watchKey: (() => Promise<KeyMaterial>) | null, signal?: AbortSignal): Promise<PollReport> {
  const report: PollReport = { credentialId: credential.id, at: ctx.clock.now(), orders: null, foreign: 0, drift: [], problems: [] };
  const caps = ctx.exchange.capabilities(credential);
  let heard = false;
  if (watchKey && caps.listOpenOrders === 'api') {
    try {
      const orders = await ctx.exchange.openOrders(credential, await watchKey(), signal);
      heard = true;
      report.orders = orders.length;
      for (const o of orders) if (await reportForeign(ctx, credential, o, 'poll')) report.foreign++;
    } catch (err) {
      report.problems.push(`${credential.id}: open orders could not be read with the watch key: ${(err as Error).message}`);
    }
  }
  if (caps.queryKey === 'api') {
    try {
      const info = await ctx.exchange.describeCurrent(credential, signal);
      heard = true;
      // Not in the master key's listing: deleted or never there. Revocation is proved elsewhere; this says only what was seen.
      if (info) report.drift = await checkDrift(ctx, credential, info);
      else report.problems.push(`${credential.id}: its key is not in the listing of its account's keys (deleted, or the secret holds another account's key)`);
    } catch (err) {
      report.problems.push(`${credential.id}: its key's description could not be read: ${(err as Error).message}`);
    }
  }
  if (heard) ctx.heard();
  return report;
}
