import t from 'tap';
import type { OrderParamsV5 } from 'bybit-api';
import { ManualClock } from '../../src/core/clock.js';
import { bybitFixture, shapeDiff, startBybit } from './bybit/testkit.js';

const limit = (o: Partial<OrderParamsV5> = {}): OrderParamsV5 => ({
  category: 'linear',
  symbol: 'BTCUSDT',
  side: 'Buy',
  orderType: 'Limit',
  qty: '0.01',
  price: '50000',
  ...o,
});

t.test('order/create and order/realtime answer the fixture shapes', async (t) => {
  const w = await startBybit(t.teardown);
  const bot = w.client(w.bot);
  const created = await bot.submitOrder(limit({ orderLinkId: 'bot-1', takeProfit: '60000' }));
  t.equal(created.retCode, 0);
  t.match(created.result, { orderId: /^[0-9a-f-]{36}$/, orderLinkId: 'bot-1' });

  const open = await bot.getActiveOrders({ category: 'linear', symbol: 'BTCUSDT' });
  t.same(shapeDiff(bybitFixture('order-realtime.json').response_example, open, ['.result.list[].cumFeeDetail']), []);
  t.match(open.result.list[0], {
    orderId: created.result.orderId,
    orderLinkId: 'bot-1',
    orderStatus: 'New',
    price: '50000',
    qty: '0.01',
    leavesQty: '0.01',
    leavesValue: '500',
    takeProfit: '60000',
  });
  t.equal(open.result.category, 'linear');

  const dup = await bot.submitOrder(limit({ orderLinkId: 'bot-1' }));
  t.same({ retCode: dup.retCode, retMsg: dup.retMsg }, { retCode: 110072, retMsg: 'OrderLinkedID is duplicate' });
  t.equal((await bot.getActiveOrders({ category: 'linear' })).retCode, 10001, 'linear needs symbol, baseCoin or settleCoin');
  t.equal((await bot.getActiveOrders({ category: 'linear', baseCoin: 'BTC' })).result.list.length, 1);
  t.equal((await bot.getActiveOrders({ category: 'linear', settleCoin: 'USDC' })).result.list.length, 0);
  t.equal(w.sim.orders()[0]?.placedBy, w.bot.apiKey, 'the simulator knows which key placed it');
});

t.test('orders belong to the account: a new key of the same sub-account sees and cancels them', async (t) => {
  const w = await startBybit(t.teardown);
  await w.client(w.bot).submitOrder(limit());
  const next = w.sim.addKey({ uid: w.subUid, permissions: { ContractTrade: ['Order'] } });
  const other = w.sim.addKey({ uid: w.sim.addSubAccount(w.masterUid).uid, permissions: { ContractTrade: ['Order'] } });
  t.equal((await w.client(other).getActiveOrders({ category: 'linear', settleCoin: 'USDT' })).result.list.length, 0);
  const ack = await w.client(next).cancelAllOrders({ category: 'linear', settleCoin: 'USDT' });
  t.equal(ack.result.list.length, 1);
});

t.test('spot cancel-all without orderFilter leaves TP/SL, conditional and OCO orders open', async (t) => {
  const w = await startBybit(t.teardown, { cancelLag: {} });
  const bot = w.client(w.bot);
  const spot = (orderFilter?: 'Order' | 'tpslOrder' | 'StopOrder', extra: Partial<OrderParamsV5> = {}) =>
    bot.submitOrder(limit({ category: 'spot', qty: '1', price: '30000', orderFilter, ...extra }));
  const plain = await spot();
  await spot('tpslOrder', { triggerPrice: '29000' });
  await spot('StopOrder', { triggerPrice: '31000' });
  await bot.submitOrder({ ...limit({ category: 'spot', qty: '1', price: '30000', triggerPrice: '32000' }), orderFilter: 'OcoOrder' } as unknown as OrderParamsV5);
  t.equal((await spot('tpslOrder')).retCode, 10001, 'a TP/SL order needs triggerPrice');

  const ack = await bot.cancelAllOrders({ category: 'spot' });
  t.same(shapeDiff(bybitFixture('order-cancel-all.json').response_example, ack), []);
  t.same(ack.result.list, [{ orderId: plain.result.orderId, orderLinkId: '' }]);
  t.match(plain.result.orderId, /^\d{19}$/, 'spot order ids are numeric strings');

  const left = await bot.getActiveOrders({ category: 'spot' });
  t.same(left.result.list.map((o) => o.stopOrderType).sort(), ['OcoOrder', 'Stop', 'tpslOrder']);
  t.same(left.result.list.map((o) => o.orderStatus), ['Untriggered', 'Untriggered', 'Untriggered']);

  for (const orderFilter of ['tpslOrder', 'StopOrder', 'OcoOrder'] as const) {
    // The SDK's OrderFilterV5 lacks OcoOrder, which cancel-all.mdx lists for spot.
    t.equal((await bot.cancelAllOrders({ category: 'spot', orderFilter: orderFilter as never })).result.list.length, 1, orderFilter);
  }
  t.same((await bot.getActiveOrders({ category: 'spot' })).result.list, []);
  const closed = await bot.getActiveOrders({ category: 'spot', openOnly: 1 });
  t.same(closed.result.list.map((o) => [o.orderStatus, o.cancelType]), Array(4).fill(['Cancelled', 'CancelByUser']));
  t.equal((await bot.cancelAllOrders({ category: 'spot', orderFilter: 'Bogus' as never })).retCode, 170201);
});

t.test('linear and inverse cancel-all need symbol, baseCoin or settleCoin', async (t) => {
  const w = await startBybit(t.teardown, { cancelLag: {} });
  const bot = w.client(w.bot);
  await bot.submitOrder(limit());
  await bot.submitOrder(limit({ triggerPrice: '52000', triggerDirection: 1 }));
  await bot.submitOrder(limit({ category: 'inverse', symbol: 'BTCUSD', qty: '100' }));
  for (const category of ['linear', 'inverse'] as const) {
    const refused = await bot.cancelAllOrders({ category });
    t.same(
      { retCode: refused.retCode, list: refused.result },
      { retCode: 10001, list: {} },
      `${category} without symbol, baseCoin or settleCoin`,
    );
  }
  t.equal(w.sim.orders().filter((o) => o.orderStatus !== 'Cancelled').length, 3, 'nothing cancelled');
  const stops = await bot.cancelAllOrders({ category: 'linear', symbol: 'BTCUSDT', orderFilter: 'StopOrder' });
  t.equal(stops.result.list.length, 1, 'orderFilter=StopOrder takes the conditional order only');
  const all = await bot.cancelAllOrders({ category: 'linear', settleCoin: 'USDT' });
  t.equal(all.result.list.length, 1, 'then the plain one');
  t.equal((await bot.cancelAllOrders({ category: 'inverse', baseCoin: 'BTC' })).result.list.length, 1);
});

t.test('cancel-all is an acknowledgement: orders leave realtime only after the lag', async (t) => {
  const clock = new ManualClock(Date.now());
  const w = await startBybit(t.teardown, { clock, cancelLag: { ms: 2000 } });
  const bot = w.client(w.bot, { syncTimeBeforePrivateRequests: true });
  await bot.submitOrder(limit());
  const ack = await bot.cancelAllOrders({ category: 'linear', symbol: 'BTCUSDT' });
  t.equal(ack.result.list.length, 1);
  for (let i = 0; i < 3; i++) {
    const still = await bot.getActiveOrders({ category: 'linear', symbol: 'BTCUSDT' });
    t.equal(still.result.list[0]?.orderStatus, 'New', `still open in realtime call ${i + 1}`);
  }
  t.equal((await bot.cancelAllOrders({ category: 'linear', symbol: 'BTCUSDT' })).result.list.length, 0, 'not acknowledged twice');
  await clock.advance(2000);
  t.same((await bot.getActiveOrders({ category: 'linear', symbol: 'BTCUSDT' })).result.list, []);

  w.sim.book.cancelLag = { realtimeCalls: 2 };
  await bot.submitOrder(limit());
  await bot.cancelAllOrders({ category: 'linear', symbol: 'BTCUSDT' });
  t.equal((await bot.getActiveOrders({ category: 'linear', symbol: 'BTCUSDT' })).result.list.length, 1);
  t.equal((await bot.getActiveOrders({ category: 'linear', symbol: 'BTCUSDT' })).result.list.length, 1);
  t.equal((await bot.getActiveOrders({ category: 'linear', symbol: 'BTCUSDT' })).result.list.length, 0, 'gone on the third call');
});

t.test('realtime pages by cursor, newest first', async (t) => {
  const clock = new ManualClock(Date.now());
  const w = await startBybit(t.teardown, { clock });
  const bot = w.client(w.bot, { syncTimeBeforePrivateRequests: true });
  for (let i = 0; i < 3; i++) {
    await bot.submitOrder(limit({ orderLinkId: `o${i}` }));
    await clock.advance(10);
  }
  const p1 = await bot.getActiveOrders({ category: 'linear', symbol: 'BTCUSDT', limit: 2 });
  const p2 = await bot.getActiveOrders({ category: 'linear', symbol: 'BTCUSDT', limit: 2, cursor: p1.result.nextPageCursor });
  t.same([...p1.result.list, ...p2.result.list].map((o) => o.orderLinkId), ['o2', 'o1', 'o0']);
  t.equal(p2.result.nextPageCursor, '');
});

t.test('a cursor whose order left the list since (cancelled between pages) resumes after its place; a forged one is refused', async (t) => {
  const w = await startBybit(t.teardown);
  const bot = w.client(w.bot);
  for (let i = 0; i < 5; i++) await bot.submitOrder(limit({ orderLinkId: `o${i}` }));
  const p1 = await bot.getActiveOrders({ category: 'linear', symbol: 'BTCUSDT', limit: 2 });
  t.same(p1.result.list.map((o) => o.orderLinkId), ['o4', 'o3']);
  // The bot cancels the order the cursor points at while LeakGuard pages.
  t.equal((await bot.cancelOrder({ category: 'linear', symbol: 'BTCUSDT', orderLinkId: 'o3' })).retCode, 0);
  await bot.getActiveOrders({ category: 'linear', symbol: 'BTCUSDT' });
  t.notOk((await bot.getActiveOrders({ category: 'linear', symbol: 'BTCUSDT' })).result.list.some((o) => o.orderLinkId === 'o3'), 'o3 has left the open orders');
  t.same(
    await bot.cancelOrder({ category: 'linear', symbol: 'BTCUSDT', orderLinkId: 'o3' }).then((r) => [r.retCode, r.retMsg]),
    [110001, 'Order does not exist'],
    'and cannot be cancelled twice',
  );
  const p2 = await bot.getActiveOrders({ category: 'linear', symbol: 'BTCUSDT', limit: 2, cursor: p1.result.nextPageCursor });
  t.equal(p2.retCode, 0);
  t.same(p2.result.list.map((o) => o.orderLinkId), ['o2', 'o1'], 'the next page starts after the cancelled order');
  const p3 = await bot.getActiveOrders({ category: 'linear', symbol: 'BTCUSDT', limit: 2, cursor: p2.result.nextPageCursor });
  t.same(p3.result.list.map((o) => o.orderLinkId), ['o0']);
  const forged = await bot.getActiveOrders({ category: 'linear', symbol: 'BTCUSDT', limit: 2, cursor: Buffer.from('no-such-order').toString('base64url') });
  t.same({ retCode: forged.retCode, retMsg: forged.retMsg }, { retCode: 10001, retMsg: 'params error: cursor invalid' });
});

t.test('a market order fills at the mark price and shows in execution/list', async (t) => {
  const w = await startBybit(t.teardown);
  w.sim.seed({ markPrices: { BTCUSDT: '61000' } });
  const bot = w.client(w.bot);
  const res = await bot.submitOrder(limit({ orderType: 'Market', price: undefined, orderLinkId: 'm1' }));
  t.same((await bot.getActiveOrders({ category: 'linear', symbol: 'BTCUSDT' })).result.list, [], 'a market order does not rest');
  const execs = await bot.getExecutionList({ category: 'linear' });
  t.equal(execs.retCode, 0);
  t.match(execs.result.list[0], { orderId: res.result.orderId, orderLinkId: 'm1', execPrice: '61000', execQty: '0.01', execValue: '610' });
  t.equal(execs.result.category, 'linear');
});

t.test('position/list and wallet-balance answer the fixture shapes', async (t) => {
  const w = await startBybit(t.teardown);
  w.sim.seed({
    positions: [{ uid: w.subUid, category: 'inverse', symbol: 'BTCUSD', side: 'Sell', size: '300', avgPrice: '27464.5' }],
    balances: [
      { uid: w.subUid, coin: 'USDT', walletBalance: '1000' },
      { uid: w.subUid, coin: 'BTC', walletBalance: '0.5', usdValue: '30000' },
      { uid: w.subUid, coin: 'ETH', walletBalance: '0' },
    ],
  });
  const bot = w.client(w.bot);
  const pos = await bot.getPositionInfo({ category: 'inverse', symbol: 'BTCUSD' });
  t.same(shapeDiff(bybitFixture('position-list.json').response_example, pos), []);
  t.match(pos.result.list[0], { symbol: 'BTCUSD', side: 'Sell', size: '300' });
  const flat = await bot.getPositionInfo({ category: 'linear', symbol: 'ETHUSDT' });
  t.match(flat.result.list, [{ symbol: 'ETHUSDT', size: '0', side: '' }], 'a symbol query returns a row even when flat');
  t.same((await bot.getPositionInfo({ category: 'linear', settleCoin: 'USDT' })).result.list, [], 'settleCoin lists open positions only');
  t.equal((await bot.getPositionInfo({ category: 'linear' })).retCode, 10001);

  const bal = await bot.getWalletBalance({ accountType: 'UNIFIED' });
  t.same(shapeDiff(bybitFixture('account-wallet-balance.json').response_example, bal), []);
  t.same(bal.result.list[0]?.coin.map((c) => c.coin), ['USDT', 'BTC'], 'zero balances are left out');
  t.equal(bal.result.list[0]?.totalEquity, '31000');
  t.same((await bot.getWalletBalance({ accountType: 'UNIFIED', coin: 'ETH' })).result.list[0]?.coin.map((c) => c.walletBalance), ['0']);
  t.equal((await bot.getWalletBalance({ accountType: 'CONTRACT' })).retCode, 10001);
});

t.test('option: orders need an orderLinkId and OptionsTrade; realtime, cancel-all and position/list need no coin; cancel-all for option is 1 request/s', async (t) => {
  const clock = new ManualClock(Date.now());
  const w = await startBybit(t.teardown, { clock, cancelLag: {} });
  const trader = w.sim.addKey({ uid: w.subUid, note: 'options', permissions: { Options: ['OptionsTrade'], ContractTrade: ['Order', 'Position'] } });
  const opt = w.client(trader, { syncTimeBeforePrivateRequests: true });
  const call = { category: 'option' as const, symbol: 'BTC-27DEC24-60000-C', side: 'Buy' as const, orderType: 'Limit' as const, qty: '0.1', price: '1200' };
  t.equal((await opt.submitOrder(call)).retCode, 10001, 'an option order without orderLinkId is refused');
  t.equal((await w.client(w.bot, { syncTimeBeforePrivateRequests: true }).submitOrder({ ...call, orderLinkId: 'o-0' })).retCode, 10005, 'a key without OptionsTrade cannot place one');
  t.equal((await opt.submitOrder({ ...call, orderLinkId: 'o-1' })).retCode, 0);
  t.equal((await opt.submitOrder({ ...call, symbol: 'ETH-27DEC24-3000-P', orderLinkId: 'o-2' })).retCode, 0);
  t.equal((await opt.submitOrder({ ...call, orderLinkId: 'l-1', category: 'linear', symbol: 'BTCUSDT' })).retCode, 0);
  const listed = await opt.getActiveOrders({ category: 'option' });
  t.same(listed.result.list.map((o) => o.orderLinkId).sort(), ['o-1', 'o-2'], 'every option order without a coin');
  t.same((await opt.getActiveOrders({ category: 'option', baseCoin: 'ETH' })).result.list.map((o) => o.orderLinkId), ['o-2']);

  w.sim.positions.push({ uid: w.subUid, category: 'option', symbol: 'BTC-27DEC24-60000-C', side: 'Buy', size: '0.5', avgPrice: '1100' });
  const positions = await opt.getPositionInfo({ category: 'option' });
  t.same(positions.result.list.map((p) => [p.symbol, p.size]), [['BTC-27DEC24-60000-C', '0.5']], 'option positions without a coin');

  const first = await opt.cancelAllOrders({ category: 'option' });
  t.same(first.result.list.map((o) => o.orderLinkId).sort(), ['o-1', 'o-2'], 'option cancel-all without a coin cancels every option order');
  t.equal((await opt.cancelAllOrders({ category: 'option' })).retCode, 10006, 'a second option cancel-all within the second is over the limit');
  t.equal((await opt.cancelAllOrders({ category: 'linear', settleCoin: 'USDT' })).retCode, 0, 'linear cancel-all keeps its own, larger budget');
  await clock.advance(1000);
  t.equal((await opt.cancelAllOrders({ category: 'option' })).retCode, 0, 'the window moves on');
});

t.test('a PostOnly that would take liquidity is accepted, then cancelled by Bybit (EC_PostOnlyWillTakeLiquidity); price band, tick, minimum quantity and notional are enforced', async (t) => {
  const w = await startBybit(t.teardown, { cancelLag: {} });
  w.sim.seed({
    markPrices: { BTCUSDT: '60000' },
    quotes: { BTCUSDT: { bid: '59999.9', ask: '60000.1' } },
    instruments: [{ category: 'linear', symbol: 'BTCUSDT', tickSize: '0.10', minPrice: '0.10', maxPrice: '1999999.80', minOrderQty: '0.001', qtyStep: '0.001', minNotional: '5', priceLimitRatio: '0.05' }],
  });
  const bot = w.client(w.bot);
  const crossing = await bot.submitOrder(limit({ price: '60000.1', timeInForce: 'PostOnly', orderLinkId: 'cross' }));
  t.equal(crossing.retCode, 0, 'accepted');
  const [seen] = (await bot.getActiveOrders({ category: 'linear', symbol: 'BTCUSDT', orderId: crossing.result.orderId })).result.list;
  t.match(seen, { orderStatus: 'Cancelled', rejectReason: 'EC_PostOnlyWillTakeLiquidity', timeInForce: 'PostOnly' }, 'then cancelled by Bybit');
  t.same((await bot.getActiveOrders({ category: 'linear', symbol: 'BTCUSDT' })).result.list, [], 'never open');
  t.same(
    [
      (await bot.submitOrder(limit({ price: '63000.1' }))).retCode,
      (await bot.submitOrder(limit({ side: 'Sell', price: '56999.9' }))).retCode,
      (await bot.submitOrder(limit({ price: '50000.05' }))).retCode,
      (await bot.submitOrder(limit({ qty: '0.0005' }))).retCode,
      (await bot.submitOrder(limit({ qty: '0.0001', price: '40000' }))).retCode,
    ],
    [110003, 110003, 10001, 10001, 10001],
    'a buy over the band, a sell under it, a price off the tick, a quantity under the minimum',
  );
  t.equal((await bot.submitOrder(limit({ qty: '0.001', price: '4000.0' }))).retCode, 110094, '4 USDT is under the 5 USDT minimum notional');
  t.equal((await bot.submitOrder(limit({ qty: '0.001', price: '58000.0', timeInForce: 'PostOnly' }))).retCode, 0, 'a PostOnly away from the market rests');
  t.match(w.sim.orders().at(-1), { orderStatus: 'New', rejectReason: 'EC_NoError' });
});
