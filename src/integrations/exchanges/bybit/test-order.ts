import type { CategoryV5, OrderParamsV5 } from 'bybit-api';
import type { Clock } from '../../../core/clock.js';
import { IntegrationError } from '../../errors.js';
import type { KeyMaterial, SweepContext, TestOrderResult, TestOrderSpec } from '../exchange.js';
import { testOrderTerms } from '../test-order.js';
import type { BybitClient } from './client.js';
import { BYBIT } from './errors.js';

/** The fields of instruments-info LeakGuard reads: linear has qtyStep and minNotionalValue, spot basePrecision and minOrderAmt. */
interface InstrumentRules {
  priceFilter: { tickSize: string; minPrice?: string; maxPrice?: string };
  lotSizeFilter: { minOrderQty: string; qtyStep?: string; basePrecision?: string; minNotionalValue?: string; minOrderAmt?: string };
}

interface Ticker {
  bid1Price: string;
  ask1Price: string;
  markPrice?: string;
  lastPrice: string;
}

const fail = (detail: string, action: string) => new IntegrationError({ system: BYBIT, operation: 'test order', kind: 'failed', retryable: false, detail, action });

/**
 * The runbook's order-placement test on Bybit: a PostOnly limit order away from the market at the
 * minimum size. Bybit accepts a PostOnly that would take liquidity and then cancels it itself
 * (EC_PostOnlyWillTakeLiquidity), so "placed" is proved by order/realtime showing it New, and
 * "cancelled" by order/realtime showing it Cancelled after our cancel.
 */
export async function bybitTestOrder(client: BybitClient, clock: Clock, key: KeyMaterial, spec: TestOrderSpec, pollMs: number, ctx?: SweepContext): Promise<TestOrderResult> {
  const category = spec.category as CategoryV5;
  const { symbol, side } = spec;
  const [info, tickers] = await Promise.all([
    client.request('instruments-info', null, ctx, (sdk) => sdk.getInstrumentsInfo({ category, symbol }) as never as Promise<{ retCode: number; retMsg: string; result: { list: InstrumentRules[] } }>),
    client.request('tickers', null, ctx, (sdk) => sdk.getTickers({ category, symbol } as never) as never as Promise<{ retCode: number; retMsg: string; result: { list: Ticker[] } }>),
  ]);
  const instrument = info.list[0];
  const ticker = tickers.list[0];
  if (!instrument || !ticker) throw fail(`${category} ${symbol} is not listed`, "fix verify.tradeTest's category and symbol in the credential");
  const tick = instrument.priceFilter.tickSize;
  const best = side === 'Buy' ? Math.min(Number(ticker.bid1Price), Number(ticker.markPrice ?? ticker.lastPrice)) : Math.max(Number(ticker.ask1Price), Number(ticker.markPrice ?? ticker.lastPrice));
  const lot = instrument.lotSizeFilter;
  const { price, qty } = testOrderTerms(BYBIT, spec, best, {
    tickSize: tick,
    minPrice: Number(instrument.priceFilter.minPrice ?? tick),
    maxPrice: Number(instrument.priceFilter.maxPrice ?? Infinity),
    qtyStep: lot.qtyStep ?? lot.basePrecision ?? lot.minOrderQty,
    minQty: Number(lot.minOrderQty),
    minNotional: Number(lot.minNotionalValue ?? lot.minOrderAmt ?? 0),
  });

  const order: OrderParamsV5 = { category, symbol, side, orderType: 'Limit', qty, price, timeInForce: 'PostOnly', orderLinkId: spec.orderLinkId };
  const { orderId } = await client.request('order/create', key, ctx, (sdk) => sdk.submitOrder(order));
  const look = async () => (await client.request('order/realtime', key, ctx, (sdk) => sdk.getActiveOrders({ category, symbol, orderId }))).list[0];
  const placed = await look();
  if (placed?.orderStatus !== 'New') {
    throw fail(
      `the test order ${orderId} on ${symbol} is ${placed ? `${placed.orderStatus} (${placed.rejectReason})` : 'not found'} instead of resting${placed?.rejectReason === 'EC_PostOnlyWillTakeLiquidity' ? ': it would have taken liquidity, so Bybit cancelled it and nothing traded' : ''}`,
      'retry the verify step (the market may have moved); if it persists raise verify.tradeTest.awayPercent',
    );
  }
  await client.request('order/cancel', key, ctx, (sdk) => sdk.cancelOrder({ category, symbol, orderId }));
  // A cancel is an acknowledgement: look until Bybit shows it Cancelled.
  const deadline = clock.now() + 10_000;
  for (;;) {
    const now = await look();
    if (now?.orderStatus === 'Cancelled') return { orderId, price, qty };
    if (clock.now() + pollMs > deadline) throw fail(`the test order ${orderId} on ${symbol} is still ${now?.orderStatus ?? 'unknown'} after its cancel`, `cancel order ${orderId} in the Bybit web UI (it is far from the market at the minimum size)`);
    await clock.sleep(pollMs, ctx?.signal);
  }
}
