import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { MainClient, type RestClientOptions } from 'binance';
import { BinanceSim } from './binance/server.js';

const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../../../shared/fixtures/binance/${name}`, import.meta.url), 'utf8')) as T;
const observed = fixture<{ examples: { code: number; body: { code: number; msg: string } }[] }>('observed-error-responses.json').examples;
const observedBody = (code: number) => observed.find((e) => e.code === code)!.body;

/** The SDK rejects non-2xx answers with {code, message, body, ...} (no HTTP status: raw fetch checks that). */
async function failure(p: Promise<unknown>): Promise<{ code: number; body: { code: number; msg: string } }> {
  try {
    await p;
  } catch (e) {
    return e as { code: number; body: { code: number; msg: string } };
  }
  throw new Error('expected the call to fail');
}

async function start(teardown: (fn: () => unknown) => void) {
  const sim = new BinanceSim();
  await sim.start();
  teardown(() => sim.close());
  const key = sim.addKey({ uid: 354937868 });
  sim.seed({ balances: [{ uid: 354937868, asset: 'BTC', free: '1.5' }, { uid: 354937868, asset: 'ETH', free: '0' }] });
  const client = (k: { apiKey: string; secret: string } = key, o: RestClientOptions = {}, ip?: string) =>
    new MainClient(
      { api_key: k.apiKey, api_secret: k.secret, baseUrl: sim.url, ...o },
      // The simulator reads the caller's IP from this header.
      ip ? { headers: { 'x-sim-client-ip': ip } } : {},
    );
  return { sim, key, client };
}

t.test('ping, time and account', async (t) => {
  const { sim, key, client } = await start(t.teardown);
  const c = client();
  t.same(await c.testConnectivity(), {});
  // MainClient.getServerTime() ignores baseUrl (it always asks api.binance.com), so ask directly.
  sim.clockOffsetMs = 60_000;
  const { serverTime } = (await (await fetch(`${sim.url}/api/v3/time`)).json()) as { serverTime: number };
  t.ok(Math.abs(serverTime - (Date.now() + 60_000)) < 2000, 'server time includes the offset');
  sim.clockOffsetMs = 0;
  const account = await c.getAccountInformation({ omitZeroBalances: true });
  t.match(account, { accountType: 'SPOT', canTrade: true, uid: 354937868, permissions: ['SPOT'] });
  t.same(account.balances, [{ asset: 'BTC', free: '1.5', locked: '0.00000000' }]);
  t.equal(sim.calls.filter((x) => x.apiKey === key.apiKey && x.code === 0).length, 1);
});

t.test('new orders, open orders, and DELETE openOrders in the fixture shape incl. an OCO list', async (t) => {
  const { sim, key, client } = await start(t.teardown);
  const c = client();
  const placed = await c.submitNewOrder({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: 0.178622, price: 0.089853 });
  t.match(placed, { symbol: 'BTCUSDT', status: 'NEW', type: 'LIMIT', orderListId: -1, fills: [] });
  await c.submitNewOrder({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: 0.178622, price: 0.09043 });
  const market = await c.submitNewOrder({ symbol: 'BTCUSDT', side: 'SELL', type: 'MARKET', quantity: 0.001 });
  t.equal(market.status, 'FILLED');
  sim.addOco({ uid: key.uid, symbol: 'BTCUSDT', side: 'BUY', quantity: '0.690354', price: '0.008791', stopPrice: '0.378131', stopLimitPrice: '0.668611' });
  await c.submitNewOrder({ symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: 1, price: 1 });

  const open = await c.getOpenOrders({ symbol: 'BTCUSDT' });
  t.equal(open.length, 4, 'two plain orders and two OCO legs; the market order filled');

  const expected = fixture<{ response_example: Record<string, unknown>[] }>('cancel-all-open-orders.json').response_example;
  const cancelled = (await c.cancelAllSymbolOrders({ symbol: 'BTCUSDT' })) as unknown as Record<string, unknown>[];
  t.same(cancelled.map((x) => Object.keys(x).sort()), expected.map((x) => Object.keys(x).filter((k) => k !== 'icebergQty').sort()));
  t.match(cancelled[0], { symbol: 'BTCUSDT', orderId: placed.orderId, origClientOrderId: placed.clientOrderId, status: 'CANCELED' });
  t.match(cancelled[2], { contingencyType: 'OCO', listStatusType: 'ALL_DONE', orders: [{ symbol: 'BTCUSDT' }, { symbol: 'BTCUSDT' }] });
  t.same(
    (cancelled[2]!.orderReports as Record<string, unknown>[]).map((r) => [r.type, r.stopPrice]),
    [['STOP_LOSS_LIMIT', '0.378131'], ['LIMIT_MAKER', undefined]],
  );
  t.same(await c.getOpenOrders({ symbol: 'BTCUSDT' }), [], 'Binance cancels synchronously');
  t.equal((await c.getOpenOrders()).length, 1, 'other symbols are untouched');

  const none = await failure(c.cancelAllSymbolOrders({ symbol: 'BTCUSDT' }));
  t.same(none.body, { code: -2011, msg: 'Unknown order sent.' });
  const noSymbol = await failure(c.cancelAllSymbolOrders({} as never));
  t.same(noSymbol.body, { code: -1102, msg: "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed." });
});

t.test('a wrong signature gets -1022 with HTTP 400', async (t) => {
  const { sim, key, client } = await start(t.teardown);
  const err = await failure(client({ apiKey: key.apiKey, secret: 'x'.repeat(64) }).getAccountInformation());
  t.equal(err.code, -1022);
  t.same(err.body, observedBody(-1022));

  // The signature covers query string ⧺ body and ignores hex case (signed-request-rule.txt).
  const query = `symbol=BTCUSDT&timestamp=${Date.now()}`;
  const body = 'side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=2';
  const sig = createHmac('sha256', key.secret).update(query + body).digest('hex').toUpperCase();
  const res = await fetch(`${sim.url}/api/v3/order?${query}&signature=${sig}`, {
    method: 'POST',
    headers: { 'X-MBX-APIKEY': key.apiKey, 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  t.equal(res.status, 200);
  t.match(await res.json(), { symbol: 'BTCUSDT', type: 'LIMIT', price: '2' });
});

t.test('timestamps outside recvWindow get -1021', async (t) => {
  const { client } = await start(t.teardown);
  const behind = client();
  behind.setTimeOffset(-6000);
  const stale = await failure(behind.getAccountInformation());
  t.same(stale.body, { code: -1021, msg: 'Timestamp for this request is outside of the recvWindow.' });
  t.match(await client(undefined, { recvWindow: 10_000 }).getAccountInformation(), { accountType: 'SPOT' }, 'a wider recvWindow accepts it');
  const ahead = client();
  ahead.setTimeOffset(1500);
  t.equal((await failure(ahead.getAccountInformation())).body.msg, "Timestamp for this request was 1000ms ahead of the server's time.");
  const tooWide = await failure(client(undefined, { recvWindow: 60_001 }).getAccountInformation());
  t.equal(tooWide.code, -1102, 'recvWindow is at most 60000');
});

t.test('-2014 for a malformed key, -2015 for an unknown key, a foreign IP or a missing permission, with HTTP 401', async (t) => {
  const { sim, key, client } = await start(t.teardown);
  const malformed = await failure(client({ apiKey: 'short', secret: key.secret }).getAccountInformation());
  t.same(malformed.body, observedBody(-2014));
  const unknown = await failure(client({ apiKey: 'A'.repeat(64), secret: key.secret }).getAccountInformation());
  t.same(unknown.body, observedBody(-2015));

  const bound = sim.addKey({ uid: key.uid, ips: ['10.0.0.7'] });
  t.same((await failure(client(bound, {}, '203.0.113.9').getAccountInformation())).body, observedBody(-2015));
  t.match(await client(bound, {}, '10.0.0.7').getAccountInformation(), { uid: key.uid });

  const readOnly = sim.addKey({ uid: key.uid, canTrade: false });
  t.match(await client(readOnly).getOpenOrders(), [], 'a read-only key reads');
  t.same((await failure(client(readOnly).cancelAllSymbolOrders({ symbol: 'BTCUSDT' }))).body, observedBody(-2015));

  sim.deleteKey(key.apiKey);
  t.same((await failure(client().getAccountInformation())).body, observedBody(-2015), 'a deleted key');

  const raw = await fetch(`${sim.url}/api/v3/account?timestamp=1`, { headers: { 'X-MBX-APIKEY': 'short' } });
  t.equal(raw.status, 401);
  const rawUnknown = await fetch(`${sim.url}/api/v3/account?timestamp=1`, { headers: { 'X-MBX-APIKEY': 'A'.repeat(64) } });
  t.equal(rawUnknown.status, 401);
});

t.test('a throttle fault answers 429 with Retry-After; /_sim seeds keys', async (t) => {
  const { sim } = await start(t.teardown);
  const seeded = (await (
    await fetch(`${sim.url}/_sim/seed`, { method: 'POST', body: JSON.stringify({ keys: [{ uid: 9 }], balances: [{ uid: 9, asset: 'USDT', free: '5' }] }) })
  ).json()) as { keys: { apiKey: string; secret: string }[] };
  const c = new MainClient({ api_key: seeded.keys[0]!.apiKey, api_secret: seeded.keys[0]!.secret, baseUrl: sim.url });
  t.match(await c.getAccountInformation(), { uid: 9, balances: [{ asset: 'USDT', free: '5' }] });
  sim.faults.inject('GET /api/v3/account', { kind: 'throttle', perSecond: 1 });
  await c.getAccountInformation();
  const res = await fetch(`${sim.url}/api/v3/account`);
  t.equal(res.status, 429);
  t.equal(res.headers.get('retry-after'), '60');
  t.equal(((await res.json()) as { code: number }).code, -1003);
});

t.test('a LIMIT_MAKER that would trade at once is rejected (-2010); PRICE_FILTER, PERCENT_PRICE_BY_SIDE, LOT_SIZE and NOTIONAL are enforced', async (t) => {
  const { sim, client } = await start(t.teardown);
  sim.seed({ symbols: [{ symbol: 'BTCUSDT', tickSize: '0.01', minPrice: '0.01', maxPrice: '1000000.00', stepSize: '0.00001', minQty: '0.00001', minNotional: '5', bidMultiplierUp: '5', bidMultiplierDown: '0.8', askMultiplierUp: '1.2', askMultiplierDown: '0.2', bid: '60000.00', ask: '60000.01', avgPrice: '60000' }] });
  const c = client();
  const order = (o: Record<string, unknown>) => c.submitNewOrder({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT_MAKER', quantity: 0.001, price: 59000, ...o } as never);
  t.match((await failure(order({ price: 60000.01 }))).body, { code: -2010, msg: 'Order would immediately match and take.' }, 'a maker buy at the ask is refused at once');
  t.match((await failure(order({ side: 'SELL', price: 60000 }))).body, { code: -2010 }, 'a maker sell at the bid too');
  t.equal(sim.orders().length, 0, 'and never placed');
  t.match((await failure(order({ price: 59000.001 }))).body, { code: -1013, msg: 'Filter failure: PRICE_FILTER' }, 'off the tick');
  t.match((await failure(order({ price: 47000 }))).body, { code: -1013, msg: 'Filter failure: PERCENT_PRICE_BY_SIDE' }, 'below avg × bidMultiplierDown');
  t.match((await failure(order({ quantity: 0.000015 }))).body, { code: -1013, msg: 'Filter failure: LOT_SIZE' });
  t.match((await failure(order({ quantity: 0.00001 }))).body, { code: -1013, msg: 'Filter failure: NOTIONAL' }, '0.59 USDT is under the minimum notional');
  const placed = (await order({})) as { orderId: number };
  t.match(await c.getOrder({ symbol: 'BTCUSDT', orderId: placed.orderId }), { status: 'NEW', type: 'LIMIT_MAKER' });
  t.match(await c.cancelOrder({ symbol: 'BTCUSDT', orderId: placed.orderId }), { status: 'CANCELED' });
  t.match(await c.getOrder({ symbol: 'BTCUSDT', orderId: placed.orderId }), { status: 'CANCELED' });
  t.match(await c.getAvgPrice({ symbol: 'BTCUSDT' }), { mins: 5, price: '60000' });
  t.match(await c.getSymbolOrderBookTicker({ symbol: 'BTCUSDT' }), { bidPrice: '60000.00', askPrice: '60000.01' });
});
