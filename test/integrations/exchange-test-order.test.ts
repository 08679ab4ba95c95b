import t from 'tap';
import { ManualClock, systemClock } from '../../src/core/clock.js';
import { Scrubber } from '../../src/core/scrubber.js';
import { BinanceExchange } from '../../src/integrations/exchanges/binance/exchange.js';
import { BinanceSim } from '../sim/binance/server.js';
import { bybitWorld, drive, failure, FAST, material } from './exchange-kit.js';

const BINANCE_UID = 354937868;

async function binanceWorld(teardown: (fn: () => unknown) => void) {
  const sim = new BinanceSim();
  await sim.start();
  teardown(() => sim.close());
  const key = sim.addKey({ uid: BINANCE_UID });
  const binance = new BinanceExchange({ baseUrl: sim.url, pollMs: 200 }, { clock: systemClock, scrubber: new Scrubber(), policy: FAST });
  return { sim, key, keyMaterial: material(key), binance };
}

/** BTCUSDT perpetual as Bybit lists it (tick 0.10, qty step 0.001, notional at least 5 USDT). */
const LINEAR = { category: 'linear' as const, symbol: 'BTCUSDT', tickSize: '0.10', minPrice: '0.10', maxPrice: '1999999.80', minOrderQty: '0.001', qtyStep: '0.001', minNotional: '5', priceLimitRatio: '0.05' };

t.test('Bybit: a PostOnly buy away from the market at the minimum size is placed, seen resting, cancelled and seen cancelled', async (t) => {
  const clock = new ManualClock(Date.now());
  const w = await bybitWorld(t.teardown, { clock, cancelLag: { ms: 1000 } });
  w.sim.seed({ markPrices: { BTCUSDT: '60000' }, instruments: [LINEAR], quotes: { BTCUSDT: { bid: '59999.9', ask: '60000.1' } } });
  const bybit = w.bybit();
  const result = await drive(clock, bybit.testOrder!(w.botKey, { category: 'linear', symbol: 'BTCUSDT', side: 'Buy', awayPercent: 2, orderLinkId: 'lg-test-1' }, { pollMs: 200 }), 200);
  t.match(result, { price: '58799.9', qty: '0.001' }, '2% below the bid, on the tick, at the minimum quantity (0.001 × 58799.9 ≥ 5 USDT)');
  const order = w.sim.orders().find((o) => o.orderId === result.orderId)!;
  t.match(order, { timeInForce: 'PostOnly', orderLinkId: 'lg-test-1', orderStatus: 'Cancelled', cancelType: 'CancelByUser' }, 'cancelled by LeakGuard, proved through realtime');
  const paths = w.sim.callsBy(w.bot.apiKey).map((c) => c.path);
  t.same(paths.slice(0, 4), ['/v5/order/create', '/v5/order/realtime', '/v5/order/cancel', '/v5/order/realtime']);
  t.ok(paths.filter((p) => p === '/v5/order/realtime').length >= 3, 'it looked again until the cancel landed');
  t.equal(w.sim.book.executions.length, 0, 'nothing traded');
});

t.test('Bybit: the minimum notional decides the quantity; a side with no room inside the bands is refused before any order', async (t) => {
  const w = await bybitWorld(t.teardown, { cancelLag: {} });
  w.sim.seed({ markPrices: { ETHUSDT: '2000' }, instruments: [{ ...LINEAR, symbol: 'ETHUSDT', tickSize: '0.01', minPrice: '0.01', minOrderQty: '0.01', qtyStep: '0.01', minNotional: '25' }] });
  const result = await w.bybit().testOrder!(w.botKey, { category: 'linear', symbol: 'ETHUSDT', side: 'Sell', awayPercent: 3, orderLinkId: 'lg-test-2' });
  t.match(result, { price: '2060.00', qty: '0.02' }, '25 USDT at 2060 needs 0.02 (0.01 would be 20.60)');
  w.sim.seed({ instruments: [{ ...LINEAR, symbol: 'ETHUSDT', maxPrice: '2000.00', tickSize: '0.01', minPrice: '0.01', minOrderQty: '0.01', qtyStep: '0.01' }] });
  const err = await failure(w.bybit().testOrder!(w.botKey, { category: 'linear', symbol: 'ETHUSDT', side: 'Sell', awayPercent: 3, orderLinkId: 'lg-test-3' }));
  t.match(err, { kind: 'invalid_request', message: /no Sell price on ETHUSDT is both away from the market .* and inside the price bands/ });
  t.equal(w.sim.orders().length, 1, 'no second order');
});

t.test('Binance: a LIMIT_MAKER buy away from the market inside PERCENT_PRICE_BY_SIDE at the minimum notional is placed and cancelled, both read back', async (t) => {
  const w = await binanceWorld(t.teardown);
  w.sim.seed({ symbols: [{ symbol: 'BTCUSDT', tickSize: '0.01', minPrice: '0.01', maxPrice: '1000000.00', stepSize: '0.00001', minQty: '0.00001', minNotional: '5', bidMultiplierUp: '5', bidMultiplierDown: '0.99', askMultiplierUp: '1.01', askMultiplierDown: '0.2', bid: '60000.00', ask: '60000.01', avgPrice: '60000' }] });
  const result = await w.binance.testOrder!(w.keyMaterial, { category: 'spot', symbol: 'BTCUSDT', side: 'Buy', awayPercent: 5, orderLinkId: 'unused' });
  t.match(result, { price: '59400.00', qty: '0.00009' }, "5% would leave the band (avg × 0.99): held at the band's edge; 5 USDT needs 0.00009");
  const order = w.sim.orders().find((o) => String(o.orderId) === result.orderId)!;
  t.match(order, { type: 'LIMIT_MAKER', side: 'BUY', status: 'CANCELED', uid: BINANCE_UID });
  t.same(w.sim.calls.filter((c) => c.path === '/api/v3/order').map((c) => [c.method, c.code]), [['POST', 0], ['GET', 0], ['DELETE', 0], ['GET', 0]]);
});
