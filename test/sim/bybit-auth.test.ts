import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { bybitFixture, shapeDiff, startBybit } from './bybit/testkit.js';

interface Observed {
  examples: { retCode: number; body_json?: Record<string, unknown> }[];
}
const observed = bybitFixture<Observed>('observed-error-responses.json').examples;
const observedBody = (code: number) => observed.find((e) => e.retCode === code && e.body_json)!.body_json!;

t.test('GET /v5/market/time needs no key and answers the fixture shape with the server time', async (t) => {
  const w = await startBybit(t.teardown);
  w.sim.clockOffsetMs = 60_000;
  const res = await w.client({ apiKey: '', secret: '' }).getServerTime();
  t.same(shapeDiff(bybitFixture('market-time.json').response_example, res), []);
  t.ok(Math.abs(Number(res.time) - (Date.now() + 60_000)) < 2000, 'time includes the clock offset');
  t.equal(res.result.timeSecond, String(Math.floor(Number(res.time) / 1000)));
});

t.test('a wrong signature gets 10004 echoing the origin string, API key included', async (t) => {
  const w = await startBybit(t.teardown);
  const res = await w.client({ apiKey: w.bot.apiKey, secret: 'not-the-secret' }).getActiveOrders({ category: 'linear', symbol: 'BTCUSDT' });
  t.equal(res.retCode, 10004);
  t.match(res.retMsg, /^error sign! origin_string\[\d{13}/);
  t.ok(res.retMsg.includes(`${w.bot.apiKey}5000category=linear&symbol=BTCUSDT]`), 'GET origin = ts + key + recv_window + query');
  t.same(Object.keys(res).filter((k) => k !== 'rateLimitApi').sort(), Object.keys(observedBody(10004)).sort());

  const post = await w.client({ apiKey: w.bot.apiKey, secret: 'x' }).cancelAllOrders({ category: 'spot' });
  t.ok(post.retMsg.endsWith(`${w.bot.apiKey}5000{"category":"spot"}]`), 'POST origin = ts + key + recv_window + body');
  t.equal(w.sim.callsBy(w.bot.apiKey).filter((c) => c.retCode === 0).length, 0, 'nothing accepted');
});

t.test('timestamps outside [server - recv_window, server + 1000) get 10002', async (t) => {
  const w = await startBybit(t.teardown);
  const bot = w.client(w.bot);
  w.sim.clockOffsetMs = 6000; // the client is 6 s behind the server
  const stale = await bot.getQueryApiKey();
  t.equal(stale.retCode, 10002);
  t.match(stale.retMsg, /^invalid request, please check your server timestamp or recv_window param\. req_timestamp\[\d+\],server_timestamp\[\d+\],recv_window\[5000\]$/);
  t.equal((await w.client(w.bot, { recv_window: 10_000 }).getQueryApiKey()).retCode, 0, 'a wider recv_window accepts it');
  w.sim.clockOffsetMs = -1500; // the client is 1.5 s ahead
  t.equal((await bot.getQueryApiKey()).retCode, 10002);
  w.sim.clockOffsetMs = -500;
  t.equal((await bot.getQueryApiKey()).retCode, 0, 'less than 1 s ahead is accepted');
});

t.test('with a ManualClock the SDK follows server time via syncTimeBeforePrivateRequests', async (t) => {
  const clock = new ManualClock(Date.now());
  const w = await startBybit(t.teardown, { clock });
  await clock.advance(3_600_000);
  t.equal((await w.client(w.bot).getQueryApiKey()).retCode, 10002, 'Date.now() signing is an hour behind');
  t.equal((await w.client(w.bot, { syncTimeBeforePrivateRequests: true }).getQueryApiKey()).retCode, 0);
});

t.test('missing auth headers get HTTP 401', async (t) => {
  const w = await startBybit(t.teardown);
  const res = await fetch(`${w.sim.url}/v5/user/query-api`, { headers: { 'X-BAPI-API-KEY': w.bot.apiKey } });
  t.equal(res.status, 401);
  t.equal(((await res.json()) as { retCode: number }).retCode, 10007);
});

t.test('unknown and deleted keys get 10003 at once', async (t) => {
  const w = await startBybit(t.teardown);
  const unknown = await w.client({ apiKey: 'XXXXXXXXXXXXXXXXXX', secret: 'y' }).getQueryApiKey();
  t.same({ retCode: unknown.retCode, retMsg: unknown.retMsg }, { retCode: 10003, retMsg: observedBody(10003).retMsg });
  const bot = w.client(w.bot);
  t.equal((await bot.getQueryApiKey()).retCode, 0);
  t.equal((await w.client(w.master).deleteSubApiKey({ apikey: w.bot.apiKey })).retCode, 0);
  t.equal((await bot.getQueryApiKey()).retCode, 10003, 'the very next call fails');
});

t.test('a key bound to IPs refuses other IPs with 10010', async (t) => {
  const w = await startBybit(t.teardown);
  const res = await w.client(w.master, {}, '203.0.113.9').getQueryApiKey();
  t.same({ retCode: res.retCode, retMsg: res.retMsg }, { retCode: 10010, retMsg: "Unmatched IP, please check your API key's bound IP addresses." });
  t.equal((await w.client(w.master).getQueryApiKey()).retCode, 0, 'its own IP works');
  t.equal((await w.client(w.bot, {}, '203.0.113.9').getQueryApiKey()).retCode, 0, 'an unbound key works from anywhere');
});

t.test('an expired key gets 33004 (-2015 on spot)', async (t) => {
  const clock = new ManualClock(Date.now());
  const w = await startBybit(t.teardown, { clock });
  const bot = w.client(w.bot, { syncTimeBeforePrivateRequests: true });
  t.equal(w.bot.expiresAt, w.bot.createdAt + 90 * 86_400_000, 'an unbound key lives 90 days');
  await clock.advance(90 * 86_400_000);
  t.equal((await bot.getActiveOrders({ category: 'linear', settleCoin: 'USDT' })).retCode, 33004);
  t.equal((await bot.getActiveOrders({ category: 'spot' })).retCode, -2015);
  w.sim.setKeyExpiry(w.bot.apiKey, null);
  t.equal((await bot.getActiveOrders({ category: 'spot' })).retCode, 0, 'setKeyExpiry(null) revives it');
});

t.test('a missing permission gets 10005', async (t) => {
  const w = await startBybit(t.teardown);
  const spotOnly = w.sim.addKey({ uid: w.subUid, permissions: { Spot: ['SpotTrade'] } });
  const res = await w.client(spotOnly).submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '1', price: '1' });
  t.same({ retCode: res.retCode, retMsg: res.retMsg }, { retCode: 10005, retMsg: 'Permission denied, please check your API key permissions.' });
  const readOnly = w.sim.addKey({ uid: w.subUid, readOnly: 1, permissions: { Spot: ['SpotTrade'] } });
  t.equal((await w.client(readOnly).cancelAllOrders({ category: 'spot' })).retCode, 10005, 'read-only keys cannot cancel');
  t.equal((await w.client(readOnly).getActiveOrders({ category: 'spot' })).retCode, 0, 'but can read');
});

t.test('a key created with an activation delay answers 10003 until the clock passes it', async (t) => {
  const clock = new ManualClock(Date.now());
  const w = await startBybit(t.teardown, { clock, activationDelayMs: 30_000 });
  const created = await w.client(w.master).createSubUIDAPIKey({ subuid: w.subUid, readOnly: 0, permissions: { Spot: ['SpotTrade'] } });
  const fresh = w.client({ apiKey: created.result.apiKey, secret: created.result.secret }, { syncTimeBeforePrivateRequests: true });
  t.equal((await fresh.getQueryApiKey()).retCode, 10003);
  await clock.advance(30_000);
  t.equal((await fresh.getQueryApiKey()).retCode, 0);
});

t.test('rate limits: 10006 with X-Bapi-Limit headers per UID and endpoint, 403 for an IP ban', async (t) => {
  const clock = new ManualClock(Date.now());
  const w = await startBybit(t.teardown, { clock, apiLimits: { '/v5/user/query-api': 2 }, ipLimit: { max: 8, windowMs: 5000, banMs: 60_000 } });
  const bot = w.client(w.bot, { parseAPIRateLimits: true });
  const first = await bot.getQueryApiKey();
  t.same(first.rateLimitApi, { remainingRequests: 1, maxRequests: 2, resetAtTimestamp: clock.now() + 1000 });
  await bot.getQueryApiKey();
  const third = await bot.getQueryApiKey();
  t.same({ retCode: third.retCode, retMsg: third.retMsg }, { retCode: 10006, retMsg: 'Too many visits. Exceeded the API Rate Limit.' });
  t.equal(third.rateLimitApi?.remainingRequests, 0);
  await clock.advance(1000);
  t.equal((await bot.getQueryApiKey()).retCode, 0, 'the window moves on');

  for (let i = 0; i < 4; i++) await fetch(`${w.sim.url}/v5/market/time`);
  const banned = await fetch(`${w.sim.url}/v5/market/time`);
  t.equal(banned.status, 403);
  t.equal(await banned.text(), 'access too frequent');
  const other = await fetch(`${w.sim.url}/v5/market/time`, { headers: { 'x-sim-client-ip': '198.51.100.1' } });
  t.equal(other.status, 200, 'only that IP is banned');
});

t.test('a throttle fault answers Bybit 10006; the call log records who called what', async (t) => {
  const w = await startBybit(t.teardown);
  w.sim.faults.inject('POST /v5/order/cancel-all', { kind: 'throttle', perSecond: 1 });
  const bot = w.client(w.bot);
  t.equal((await bot.cancelAllOrders({ category: 'spot' })).retCode, 0);
  t.equal((await bot.cancelAllOrders({ category: 'spot' })).retCode, 10006);
  await w.client({ apiKey: w.bot.apiKey, secret: 'bad' }).getQueryApiKey();
  const calls = w.sim.callsBy(w.bot.apiKey);
  t.same(
    calls.map((c) => [c.method, c.path, c.retCode, c.uid]),
    [
      ['POST', '/v5/order/cancel-all', 0, w.subUid],
      ['GET', '/v5/user/query-api', 10004, w.subUid],
    ],
    'throttled calls never reach the handler; refused ones are logged with their retCode',
  );
  t.same(calls[0]?.params, { category: 'spot' });
});

t.test('the /_sim control API seeds accounts and keys and shows state', async (t) => {
  const w = await startBybit(t.teardown);
  const seeded = (await (
    await fetch(`${w.sim.url}/_sim/seed`, {
      method: 'POST',
      body: JSON.stringify({
        accounts: [{ uid: 777, parentUid: w.masterUid }],
        keys: [{ uid: 777, permissions: { Spot: ['SpotTrade'] } }],
        clockOffsetMs: 0,
      }),
    })
  ).json()) as { keys: { apiKey: string; secret: string }[] };
  const key = seeded.keys[0]!;
  t.equal((await w.client(key).getQueryApiKey()).result.userID, 777);
  await fetch(`${w.sim.url}/_sim/seed`, { method: 'POST', body: JSON.stringify({ keyExpiry: [{ apiKey: key.apiKey, expiresAt: 0 }] }) });
  t.equal((await w.client(key).getQueryApiKey()).retCode, 33004);
  const state = (await (await fetch(`${w.sim.url}/_sim/state`)).json()) as { keys: unknown[]; calls: unknown[] };
  t.equal(state.keys.length, 3);
  t.equal(state.calls.length, 2);
});
