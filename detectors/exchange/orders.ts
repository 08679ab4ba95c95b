import type { Credential } from '../../src/core/credential.js';
import type { DetectorContext } from '../../src/intake/detector.js';
import type { OpenOrder } from '../../src/intake/exchange-reads.js';
import type { ExchangeConfig } from './config.js';

export const UNAUTHORIZED_ORDER = 'exchange.unauthorized_order';
/** Bybit's createType of an order placed through the API or the UI (v5/enum#createtype); every other value is Bybit's own doing. */
const BY_USER = 'CreateByUser';

/**
 * An order (or one of its executions) as the stream or the poll saw it: an open order's fields. A
 * createType absent (Bybit spot's REST listing, Binance) means a user placed it.
 */
export type SeenOrder = Pick<OpenOrder, 'symbol' | 'orderId' | 'orderLinkId' | 'side' | 'qty' | 'price' | 'createType' | 'createdAt'> & { category: string };

/**
 * Placed by someone who is not the bot: a user order whose client id lacks the bot's prefix.
 * Orders the exchange makes itself (liquidation, ADL, take-profit and stop-loss, settlement) never
 * are. The prefix is a hint, not proof: whoever holds the key can use it too.
 */
export function isForeign(order: Pick<SeenOrder, 'orderLinkId' | 'createType'>, credential: Pick<Credential, 'orderLinkPrefix'>): boolean {
  if (order.createType !== undefined && order.createType !== BY_USER) return false;
  return !order.orderLinkId.startsWith(credential.orderLinkPrefix);
}

/** One confirmed signal per foreign order, whichever path saw it first (the stream and the poll share its dedupKey). */
export async function reportForeign(ctx: DetectorContext<ExchangeConfig>, credential: Credential, order: SeenOrder, via: 'stream' | 'poll', what: 'order' | 'execution' = 'order'): Promise<boolean> {
  if (!isForeign(order, credential)) return false;
  await ctx.emit({
    source: 'exchange',
    kind: UNAUTHORIZED_ORDER,
    credentialId: credential.id,
    confidence: 'confirmed',
    observedAt: order.createdAt ?? ctx.clock.now(),
    evidence: {
      via,
      seenAs: what,
      exchange: credential.exchange,
      category: order.category,
      symbol: order.symbol,
      orderId: order.orderId,
      orderLinkId: order.orderLinkId,
      side: order.side,
      qty: order.qty,
      price: order.price,
      createType: order.createType ?? null,
      expectedPrefix: credential.orderLinkPrefix,
    },
    dedupKey: `${UNAUTHORIZED_ORDER}:${credential.id}:${order.category}:${order.orderId}`,
    match: { key: 'credential', field: 'uid', revoked: false },
  });
  return true;
}
