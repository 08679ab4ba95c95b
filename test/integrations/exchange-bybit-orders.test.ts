import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import type { TradeScope } from '../../src/integrations/exchanges/exchange.js';
import type { Params } from '../sim/bybit/params.js';
import { bybitWorld, drive, failure, material, parked } from './exchange-kit.js';

/** A bot trading spot, USDT perpetuals and BTC-settled inverse contracts. */
const SCOPE: TradeScope = { categories: ['spot', 'linear', 'inverse'], settleCoins: ['USDT', 'BTC'], symbols: [] };

type World = Awaited<ReturnType<typeof bybitWorld>>;

/** Places an order straight into the simulator's book (as the bot or an attacker would have). */
function place(w: World, p: Params) {
  return w.sim.book.create(w.subUid, w.bot.apiKey, { side: 'Buy', orderType: 'Limit', qty: '1', price: '100', ...p }, w.sim.now());
}

/** Every kind of open order Bybit keeps apart: spot plain, TP/SL, conditional, OCO, bidirectional TP/SL; linear plain and conditional; inverse. */
function placeEveryKind(w: World) {
  place(w, { category: 'spot', symbol: 'BTCUSDT' });
  place(w, { category: 'spot', symbol: 'BTCUSDT', orderFilter: 'tpslOrder', triggerPrice: '90' });
  place(w, { category: 'spot', symbol: 'ETHUSDT', orderFilter: 'StopOrder', triggerPrice: '110' });
  place(w, { category: 'spot', symbol: 'BTCUSDT', orderFilter: 'OcoOrder', triggerPrice: '120' });
  place(w, { category: 'spot', symbol: 'BTCUSDT', orderFilter: 'BidirectionalTpslOrder', triggerPrice: '95' });
  place(w, { category: 'linear', symbol: 'BTCUSDT', orderLinkId: 'bot-1' });
  place(w, { category: 'linear', symbol: 'ETHUSDT', triggerPrice: '130' });
  place(w, { category: 'inverse', symbol: 'BTCUSD', qty: '100' });
}

const open = (w: World) => w.sim.orders().filter((o) => ['New', 'PartiallyFilled', 'Untriggered'].includes(o.orderStatus));

t.test('listOpenOrders finds every spot kind, linear and inverse by settle coin, paging by cursor', async (t) => {
  const w = await bybitWorld(t.teardown);
  placeEveryKind(w);
  // More linear orders than one page (50).
  for (let i = 0; i < 55; i++) place(w, { category: 'linear', symbol: 'SOLUSDT', orderLinkId: `grid-${i}` });
  const orders = await w.bybit().listOpenOrders(w.botKey, SCOPE);
  t.equal(orders.length, 63);
  t.same(
    orders.filter((o) => o.category === 'spot').map((o) => o.orderFilter).sort(),
    ['BidirectionalTpslOrder', 'OcoOrder', 'Order', 'StopOrder', 'tpslOrder'],
  );
  t.match(orders.find((o) => o.orderLinkId === 'bot-1'), { category: 'linear', symbol: 'BTCUSDT', side: 'Buy', qty: '1', price: '100', orderFilter: null });
  t.ok(orders.every((o) => typeof o.createdAt === 'number' && Math.abs(o.createdAt - w.sim.now()) < 60_000), "every order carries its creation time (the exchange's clock)");
  t.equal(orders.filter((o) => o.category === 'inverse').length, 1);
  t.equal(new Set(orders.map((o) => o.orderId)).size, 63, 'no order twice');
  const realtime = w.sim.callsBy(w.bot.apiKey).filter((c) => c.path === '/v5/order/realtime');
  t.same(realtime.filter((c) => c.params.category === 'linear' && c.params.settleCoin === 'USDT').map((c) => Boolean(c.params.cursor)), [false, true], 'two pages of linear');
});

t.test('cancelAll leaves no spot TP/SL, conditional, OCO or linear order behind, and waits for the acknowledged cancels to land', async (t) => {
  const clock = new ManualClock(Date.now());
  const w = await bybitWorld(t.teardown, { clock, cancelLag: { ms: 2000 } });
  placeEveryKind(w);
  const start = clock.now();
  let sneaked = false;
  const result = await drive(clock, w.bybit().cancelAll(w.botKey, SCOPE), 500, (step) => {
    // Whoever holds a leaked key places another order while LeakGuard is still looking.
    if (step === 1) {
      place(w, { category: 'spot', symbol: 'BTCUSDT', orderLinkId: 'attacker' });
      sneaked = true;
    }
  });
  t.ok(sneaked);
  t.same(open(w), [], 'nothing open in the simulator');
  t.same(result, { cancelled: 9, polls: 5 }, 'eight orders, then the one placed during the sweep; five looks');
  t.ok(clock.now() - start >= 2000, 'it looked until the 2 s acknowledgement lag had passed');
  const calls = w.sim.callsBy(w.bot.apiKey);
  const cancels = calls.filter((c) => c.path === '/v5/order/cancel-all');
  const target = (c: (typeof calls)[number]) => `${String(c.params.category)} ${String(c.params.orderFilter ?? c.params.settleCoin ?? c.params.symbol)}`;
  const round = ['spot Order', 'spot tpslOrder', 'spot StopOrder', 'spot OcoOrder', 'spot BidirectionalTpslOrder', 'linear USDT', 'linear BTC', 'inverse USDT', 'inverse BTC'];
  // A round's calls go out together: which arrives first is not fixed.
  t.same(cancels.filter((c) => c.at === start).map(target).sort(), [...round].sort(), 'spot once per order kind, linear and inverse once per settle coin');
  const accepted = cancels.filter((c) => c.retCode === 0);
  t.same(accepted.slice(round.length).map(target).sort(), [...round].sort(), 'a second full round for the order nobody had acknowledged');
  t.same([...new Set(cancels.filter((c) => c.retCode !== 0).map((c) => c.retCode))], [10006], 'the second round ran into the 10/s cancel-all limit...');
  t.equal(accepted.length, 2 * round.length, '...and waited for the reset instead of giving up');
  t.ok(calls.findIndex((c) => c.path === '/v5/order/realtime') > calls.findIndex((c) => c.path === '/v5/order/cancel-all'), 'cancel first, then look');
});

t.test('cancelAll once: one cancel round over every kind, no look, without waiting', async (t) => {
  const clock = new ManualClock(Date.now());
  const w = await bybitWorld(t.teardown, { clock, cancelLag: { ms: 2000 } });
  placeEveryKind(w);
  const start = clock.now();
  const result = await w.bybit().cancelAll(w.botKey, SCOPE, { once: true });
  t.same(result, { cancelled: 8, polls: 0 }, 'every order acknowledged, no look taken');
  t.notOk(w.sim.callsBy(w.bot.apiKey).some((c) => c.path === '/v5/order/realtime'), 'no listing of open orders');
  t.equal(open(w).length, 8, 'none landed yet');
  t.equal(clock.now(), start, 'no wait for the cancels to land');
  const kinds = w.sim.callsBy(w.bot.apiKey).filter((c) => c.path === '/v5/order/cancel-all').map((c) => String(c.params.orderFilter ?? c.params.settleCoin));
  t.same(kinds.sort(), ['BTC', 'BTC', 'BidirectionalTpslOrder', 'OcoOrder', 'Order', 'StopOrder', 'USDT', 'USDT', 'tpslOrder'], 'the one round covered every spot kind and both settle coins of linear and inverse');
  await clock.advance(2000);
  t.same(open(w), [], 'and they land on their own');
});

t.test('cancelAll gives up with a clear error when the step budget (signal) runs out', async (t) => {
  const clock = new ManualClock(Date.now());
  const w = await bybitWorld(t.teardown, { clock, cancelLag: { ms: 3_600_000 } });
  place(w, { category: 'linear', symbol: 'BTCUSDT' });
  const budget = new AbortController();
  const pending = w.bybit().cancelAll(w.botKey, { categories: ['linear'], settleCoins: ['USDT'], symbols: [] }, { signal: budget.signal, pollMs: 1000 });
  await parked(clock); // the first look found the order still there
  await clock.advance(1000);
  await parked(clock); // and the second
  budget.abort();
  const err = await failure(pending);
  t.match(err, { name: 'IntegrationError', kind: 'timeout', retryable: false, operation: 'cancelAll' });
  t.match(err.message, /time budget ran out; 1 order\(s\) still open after 2 look\(s\): BTCUSDT /);
  t.match(err.message, /cancel what is left by hand/);
});

t.test('cancelAll gives up by itself after its own budget when no signal is given', async (t) => {
  const clock = new ManualClock(Date.now());
  const w = await bybitWorld(t.teardown, { clock, cancelLag: { ms: 3_600_000 } });
  place(w, { category: 'spot', symbol: 'BTCUSDT' });
  const err = await failure(drive(clock, w.bybit({ cancelBudgetMs: 5000 }).cancelAll(w.botKey, { categories: ['spot'], settleCoins: [], symbols: [] }), 500));
  t.match(err, { kind: 'timeout', message: /did not land within 5000 ms/ });
});

t.test('a linear scope without settle coin or symbol is refused before any call', async (t) => {
  const w = await bybitWorld(t.teardown);
  const err = await failure(w.bybit().listOpenOrders(w.botKey, { categories: ['linear'], settleCoins: [], symbols: [] }));
  t.match(err, { kind: 'invalid_request', message: /trades\.settleCoins/ });
  t.equal(w.sim.callsBy(w.bot.apiKey).length, 0);
});

t.test('positions, balance and server time', async (t) => {
  const w = await bybitWorld(t.teardown);
  w.sim.seed({
    positions: [
      { uid: w.subUid, category: 'linear', symbol: 'BTCUSDT', side: 'Buy', size: '0.5', avgPrice: '60000' },
      { uid: w.subUid, category: 'inverse', symbol: 'BTCUSD', side: 'Sell', size: '300', avgPrice: '27464.5' },
    ],
    balances: [
      { uid: w.subUid, coin: 'USDT', walletBalance: '1000.12345678' },
      { uid: w.subUid, coin: 'BTC', walletBalance: '0.5', usdValue: '30000' },
    ],
  });
  const bybit = w.bybit();
  t.same(await bybit.positions(w.botKey, { ...SCOPE, symbols: ['BTCUSD', 'ETHUSDT'] }), [
    { category: 'linear', symbol: 'BTCUSDT', side: 'Buy', size: '0.5' },
    { category: 'inverse', symbol: 'BTCUSD', side: 'Sell', size: '300' },
  ], 'open positions only (ETHUSDT answers a flat row); spot has none');
  t.same(await bybit.balance(w.botKey), { USDT: '1000.12345678', BTC: '0.5' });
  w.sim.clockOffsetMs = 120_000;
  const time = await bybit.serverTime();
  t.ok(Math.abs(time - (Date.now() + 120_000)) < 2000, 'the server time, not ours');
});

t.test('option: orders, cancelAll and positions without a coin; a second option cancel-all round waits for its 1/s slot instead of a 10006', async (t) => {
  const clock = new ManualClock(Date.now());
  const w = await bybitWorld(t.teardown, { clock, cancelLag: {} });
  const scope: TradeScope = { categories: ['option'], settleCoins: [], symbols: [] };
  const option = (orderLinkId: string, symbol = 'BTC-27DEC24-60000-C') => place(w, { category: 'option', symbol, orderLinkId, price: '1200', qty: '0.1' });
  option('o-1');
  option('o-2', 'ETH-27DEC24-3000-P');
  place(w, { category: 'linear', symbol: 'BTCUSDT' });
  const bybit = w.bybit();
  const trader = w.sim.addKey({ uid: w.subUid, note: 'options', permissions: { Options: ['OptionsTrade'] } });
  const key = material(trader);
  t.same((await bybit.listOpenOrders(key, scope)).map((o) => [o.category, o.orderLinkId]).sort(), [['option', 'o-1'], ['option', 'o-2']]);

  // Someone places another option order while LeakGuard takes its first look.
  const realtime = w.sim.book.realtime.bind(w.sim.book);
  let sneaked = false;
  w.sim.book.realtime = (uid, p, now) => {
    if (!sneaked && p.category === 'option') {
      sneaked = true;
      option('attacker');
    }
    return realtime(uid, p, now);
  };
  const start = clock.now();
  const swept = await drive(clock, bybit.cancelAll(key, scope, { pollMs: 100 }), 100);
  t.same(swept, { cancelled: 3, polls: 2 });
  const cancels = w.sim.callsBy(trader.apiKey).filter((c) => c.path === '/v5/order/cancel-all');
  t.same(cancels.map((c) => [c.params.category, c.retCode]), [['option', 0], ['option', 0]], 'two rounds, none over the limit');
  t.ok(cancels[1]!.at - start >= 1000, 'the second round waited for the 1 request/s option limit');
  t.equal(w.sim.orders().filter((o) => o.category === 'linear' && o.orderStatus === 'New').length, 1, 'outside the scope, untouched');

  w.sim.positions.push({ uid: w.subUid, category: 'option', symbol: 'BTC-27DEC24-60000-C', side: 'Sell', size: '0.3', avgPrice: '1000' });
  t.same(await bybit.positions(key, scope), [{ category: 'option', symbol: 'BTC-27DEC24-60000-C', side: 'Sell', size: '0.3' }]);
});
