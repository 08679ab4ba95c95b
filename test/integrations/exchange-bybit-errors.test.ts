import { inspect } from 'node:util';
import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/http/logger.js';
import { IntegrationError } from '../../src/integrations/errors.js';
import { captureLog } from '../helpers/logs.js';
import { bybitWorld, failure, FAST, parked } from './exchange-kit.js';

const envelope = (retCode: number, retMsg: string) => ({ retCode, retMsg, result: {}, retExtInfo: {}, time: Date.now() });

t.test('a 5xx is retried, then the call succeeds; a 5xx that persists ends in a clear error', async (t) => {
  const w = await bybitWorld(t.teardown);
  w.sim.faults.inject('GET /v5/user/query-api', { kind: 'error', status: 502, body: '<html>502 Bad Gateway</html>', times: 1 });
  t.match(await w.bybit().describeKey(w.botKey), { keyId: w.bot.apiKey });
  t.same(w.sim.faults.calls, ['GET /v5/user/query-api', 'GET /v5/user/query-api']);

  w.sim.faults.inject('GET /v5/account/wallet-balance', { kind: 'error', status: 200, body: envelope(10016, 'Server error.'), times: 10 });
  const err = await failure(w.bybit().balance(w.botKey));
  t.match(err, { kind: 'unavailable', code: 10016, retryable: false, message: /still failing after 4 attempts/ });
  t.equal(w.sim.faults.calls.filter((op) => op.endsWith('wallet-balance')).length, 1 + FAST.retries);
});

t.test('rate limited (10006): waits until the limit resets, then succeeds', async (t) => {
  const clock = new ManualClock(Date.now());
  const w = await bybitWorld(t.teardown, { clock, apiLimits: { '/v5/user/query-api': 1 } });
  const bybit = w.bybit();
  await bybit.describeKey(w.botKey);
  const second = bybit.describeKey(w.botKey);
  await parked(clock);
  t.same(w.sim.callsBy(w.bot.apiKey).map((c) => c.retCode), [0, 10006]);
  // The retry can only come from the clock: its sleeper still pending proves nothing was sent.
  await clock.advance(999);
  t.equal(clock.pending, 1, 'still waiting');
  t.equal(w.sim.callsBy(w.bot.apiKey).length, 2, 'no retry before X-Bapi-Limit-Reset-Timestamp');
  await clock.advance(1);
  t.match(await second, { keyId: w.bot.apiKey });
  t.same(w.sim.callsBy(w.bot.apiKey).map((c) => c.retCode), [0, 10006, 0]);
});

t.test('a 10006 answered without limit headers (a throttle fault) is retried with backoff', async (t) => {
  const w = await bybitWorld(t.teardown);
  w.sim.faults.inject('GET /v5/order/realtime', { kind: 'error', status: 200, body: envelope(10006, 'Too many visits. Exceeded the API Rate Limit.'), times: 2 });
  t.same(await w.bybit().listOpenOrders(w.botKey, { categories: ['linear'], settleCoins: ['USDT'], symbols: [] }), []);
  t.equal(w.sim.faults.calls.length, 3);
});

t.test('a timestamp outside recv_window (10002): LeakGuard measures Bybit\'s clock and retries', async (t) => {
  const w = await bybitWorld(t.teardown);
  w.sim.clockOffsetMs = 30_000;
  t.match(await w.bybit().describeKey(w.botKey), { keyId: w.bot.apiKey });
  t.same(w.sim.callsBy(w.bot.apiKey).map((c) => c.retCode), [10002, 0]);
  t.same(w.sim.faults.calls, ['GET /v5/user/query-api', 'GET /v5/market/time', 'GET /v5/user/query-api']);
});

t.test('a call that hangs past the per-attempt timeout is abandoned and retried', async (t) => {
  const w = await bybitWorld(t.teardown, {}, { ...FAST, timeoutMs: 300 });
  w.sim.faults.inject('GET /v5/user/query-api', { kind: 'latency', ms: 600, times: 1 });
  t.match(await w.bybit().describeKey(w.botKey), { keyId: w.bot.apiKey });
  // Had it waited for the slow answer, that one answer would have been the only call.
  t.same(w.sim.faults.delayed, ['GET /v5/user/query-api'], 'the first call was held back');
  t.same(w.sim.faults.calls, ['GET /v5/user/query-api', 'GET /v5/user/query-api'], 'and given up on: the answer came from the retry');
});

t.test('a key deleted mid-test gets the typed invalid-key error at once, without retries', async (t) => {
  const w = await bybitWorld(t.teardown);
  const bybit = w.bybit();
  const scope = { categories: ['linear' as const], settleCoins: ['USDT'], symbols: [] };
  t.same(await bybit.listOpenOrders(w.botKey, scope), []);
  w.sim.keys().find((k) => k.apiKey === w.bot.apiKey)!.deletedAt = w.sim.now();
  const err = await failure(bybit.listOpenOrders(w.botKey, scope));
  t.type(err, IntegrationError);
  t.match(err, { system: 'Bybit', operation: 'order/realtime', kind: 'invalid_key', code: 10003, retryable: false, message: /API key is invalid/ });
  t.equal(w.sim.callsBy(w.bot.apiKey).length, 2);
});

t.test('a call from an IP not on the key\'s list gets the typed IP error', async (t) => {
  const w = await bybitWorld(t.teardown);
  const err = await failure(w.bybit({ ip: '203.0.113.9' }).describeKey(w.masterKey));
  t.match(err, { kind: 'ip_not_allowed', code: 10010, retryable: false, message: /not on the key's IP list/ });
});

t.test('an expired key gets the typed expired error (33004 for derivatives, -2015 for spot)', async (t) => {
  const clock = new ManualClock(Date.now());
  const w = await bybitWorld(t.teardown, { clock });
  await clock.advance(90 * 86_400_000);
  const bybit = w.bybit();
  t.match(await failure(bybit.listOpenOrders(w.botKey, { categories: ['linear'], settleCoins: ['USDT'], symbols: [] })), { kind: 'expired', code: 33004 });
  t.match(await failure(bybit.listOpenOrders(w.botKey, { categories: ['spot'], settleCoins: [], symbols: [] })), { kind: 'expired', code: -2015 });
});

t.test('an IP ban (HTTP 403) is typed and not retried', async (t) => {
  const w = await bybitWorld(t.teardown, { ipLimit: { max: 1, windowMs: 60_000, banMs: 60_000 } });
  await w.bybit().serverTime();
  const err = await failure(w.bybit().serverTime());
  t.match(err, { kind: 'banned', status: 403, retryable: false, message: /access too frequent/ });
  t.equal(w.sim.faults.calls.length, 2);
});

t.test('the API key Bybit echoes in a bad-signature error reaches neither the error nor the log', async (t) => {
  const w = await bybitWorld(t.teardown);
  const log = captureLog();
  const logger = createLogger(w.scrubber, { destination: log.stream });
  // The scrubber starts empty: only the adapter's registration (before the call) protects the key.
  t.equal(w.scrubber.size, 0);
  const planted = { apiKey: w.bot.apiKey, apiSecret: 'not-the-secret-of-this-key' };
  const err = await failure(w.bybit().cancelAll(planted, { categories: ['spot'], settleCoins: [], symbols: [] }));
  t.match(err, { kind: 'bad_signature', code: 10004, retryable: false });
  t.equal(w.sim.callsBy(w.bot.apiKey)[0]?.retCode, 10004, 'Bybit did answer 10004, whose text holds the key');
  t.match(err.message, /error sign! origin_string\[\d+\[REDACTED\]5000\{"category":"spot","orderFilter":"Order"\}\]/);
  for (const text of [err.message, err.stack ?? '', inspect(err, { depth: 10 }), JSON.stringify(err)]) {
    t.notOk(text.includes(w.bot.apiKey), 'no API key');
    t.notOk(text.includes(planted.apiSecret), 'no secret');
  }
  logger.error({ err }, 'cancel failed');
  logger.flush();
  await new Promise((r) => setImmediate(r));
  t.match(log.text(), /error sign! origin_string/, 'the error was logged');
  t.notOk(log.text().includes(w.bot.apiKey));
});
