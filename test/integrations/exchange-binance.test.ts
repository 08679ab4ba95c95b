import { inspect } from 'node:util';
import t from 'tap';
import { type Clock, ManualClock, systemClock } from '../../src/core/clock.js';
import { Scrubber } from '../../src/core/scrubber.js';
import { IntegrationError } from '../../src/integrations/errors.js';
import { addDecimals, BinanceExchange } from '../../src/integrations/exchanges/binance/exchange.js';
import { ManualCapabilityError } from '../../src/integrations/exchanges/manual.js';
import { BinanceSim } from '../sim/binance/server.js';
import { failure, FAST, material, parked } from './exchange-kit.js';

const UID = 354937868;

async function world(teardown: (fn: () => unknown) => void, clock: Clock = systemClock) {
  const sim = new BinanceSim({ clock });
  await sim.start();
  teardown(() => sim.close());
  const key = sim.addKey({ uid: UID });
  const scrubber = new Scrubber();
  const binance = (ip = '127.0.0.1') => new BinanceExchange({ baseUrl: sim.url, headers: { 'x-sim-client-ip': ip }, pollMs: 200 }, { clock, scrubber, policy: FAST });
  const limit = (symbol: string, price: string) =>
    sim.book.place(UID, { symbol, side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '1', price }, sim.now());
  return { sim, key, keyMaterial: material(key), scrubber, binance, limit };
}

t.test('balance is the "key works" probe: free plus locked per asset, exactly', async (t) => {
  const w = await world(t.teardown);
  w.sim.seed({ balances: [{ uid: UID, asset: 'BTC', free: '1.50000000', locked: '0.25000000' }, { uid: UID, asset: 'USDT', free: '10.1', locked: '0.2' }, { uid: UID, asset: 'ETH', free: '0' }] });
  t.same(await w.binance().balance(w.keyMaterial), { BTC: '1.75', USDT: '10.3' }, 'no float noise, empty assets left out');
  t.equal(w.scrubber.scrub(w.key.secret), '[REDACTED]', 'the secret was registered');
  t.equal(addDecimals('0.1', '0.2'), '0.3');
  t.equal(addDecimals('9.99', '0.01'), '10');
});

t.test('listOpenOrders per symbol in scope (every symbol when none), OCO legs included; cancelAll per symbol leaves none', async (t) => {
  const w = await world(t.teardown);
  const plain = w.limit('BTCUSDT', '0.08');
  w.limit('BTCUSDT', '0.09');
  w.sim.addOco({ uid: UID, symbol: 'BTCUSDT', side: 'BUY', quantity: '0.69', price: '0.008', stopPrice: '0.37', stopLimitPrice: '0.66' });
  w.limit('ETHUSDT', '1');
  const binance = w.binance();
  const btc = { categories: ['spot' as const], settleCoins: [], symbols: ['BTCUSDT'] };

  const listed = await binance.listOpenOrders(w.keyMaterial, btc);
  t.equal(listed.length, 4, 'two plain orders and two OCO legs');
  t.match(listed.find((o) => o.orderId === String(plain.orderId)), { category: 'spot', symbol: 'BTCUSDT', side: 'BUY', price: '0.08', qty: '1', orderFilter: null, orderLinkId: plain.clientOrderId });
  t.equal(listed.filter((o) => o.orderFilter === 'OCO').length, 2);
  t.ok(listed.every((o) => typeof o.createdAt === 'number' && Math.abs(o.createdAt - w.sim.now()) < 60_000), "every order carries its creation time (the exchange's clock)");
  t.equal((await binance.listOpenOrders(w.keyMaterial, { ...btc, symbols: [] })).length, 5, 'no symbols: every open order');

  t.same(await binance.cancelAll(w.keyMaterial, btc), { cancelled: 4, polls: 1 }, 'Binance cancels at once: one look confirms it');
  t.same(w.sim.book.open(UID, 'BTCUSDT'), []);
  t.equal(w.sim.book.open(UID).length, 1, 'ETHUSDT is out of scope and untouched');

  t.same(await binance.cancelAll(w.keyMaterial, { ...btc, symbols: [] }), { cancelled: 1, polls: 2 }, 'no symbols: the symbols seen open are swept');
  t.same(w.sim.book.open(UID), []);
  t.same(await binance.cancelAll(w.keyMaterial, btc), { cancelled: 0, polls: 1 }, 'nothing open (-2011 Unknown order sent) is success');
  t.ok(w.sim.calls.some((c) => c.code === -2011));
});

t.test('-2015 (deleted key, foreign IP) and -2014 are typed invalid-key errors, not retried', async (t) => {
  const w = await world(t.teardown);
  const bound = w.sim.addKey({ uid: UID, ips: ['10.0.0.7'] });
  const fromElsewhere = await failure(w.binance('203.0.113.9').balance(material(bound)));
  t.type(fromElsewhere, IntegrationError);
  t.match(fromElsewhere, { system: 'Binance', kind: 'invalid_key', code: -2015, status: 401, retryable: false, message: /Invalid API-key, IP, or permissions/ });
  t.match(await w.binance('10.0.0.7').balance(material(bound)), {}, 'its own IP works');

  w.sim.deleteKey(w.key.apiKey);
  t.match(await failure(w.binance().listOpenOrders(w.keyMaterial, { categories: ['spot'], settleCoins: [], symbols: ['BTCUSDT'] })), { kind: 'invalid_key', code: -2015 });
  t.match(await failure(w.binance().balance({ apiKey: 'short-key', apiSecret: 'whatever-secret' })), { kind: 'invalid_key', code: -2014 });
  t.equal(w.sim.calls.filter((c) => c.apiKey === w.key.apiKey).length, 1, 'one attempt');
});

t.test('-1022 is a typed bad-signature error; nothing of the key reaches the error', async (t) => {
  const w = await world(t.teardown);
  const planted = { apiKey: w.key.apiKey, apiSecret: 'x'.repeat(64) };
  const err = await failure(w.binance().balance(planted));
  t.match(err, { kind: 'bad_signature', code: -1022, retryable: false, message: /Signature for this request is not valid/ });
  const text = inspect(err, { depth: 10 });
  t.notOk(text.includes(w.key.apiKey) || text.includes(planted.apiSecret));
});

t.test('-1021: LeakGuard measures Binance\'s clock via /api/v3/time on the configured URL and retries', async (t) => {
  const w = await world(t.teardown);
  w.sim.clockOffsetMs = 20_000;
  t.same(await w.binance().balance(w.keyMaterial), {});
  t.same(w.sim.calls.map((c) => c.code), [-1021, 0]);
  t.same(w.sim.faults.calls, ['GET /api/v3/account', 'GET /api/v3/time', 'GET /api/v3/account']);
  const time = await w.binance().serverTime();
  t.ok(Math.abs(time - (Date.now() + 20_000)) < 2000, 'serverTime asks the simulator, not api.binance.com');
});

t.test('429 is retried after Retry-After; 418 (IP ban) is typed and not retried', async (t) => {
  const clock = new ManualClock(Date.now());
  const w = await world(t.teardown, clock);
  const weight = { code: -1003, msg: 'Too much request weight used; current limit is 6000 request weight per 1 MINUTE.' };
  w.sim.faults.inject('GET /api/v3/account', { kind: 'error', status: 429, headers: { 'Retry-After': '3' }, body: weight, times: 1 });
  const probe = w.binance().balance(w.keyMaterial);
  await parked(clock);
  // The retry can only come from the clock: its sleeper still pending proves nothing was sent.
  await clock.advance(2999);
  t.equal(clock.pending, 1, 'still waiting');
  t.equal(w.sim.faults.calls.length, 1, 'no retry before Retry-After');
  await clock.advance(1);
  t.same(await probe, {});
  t.equal(w.sim.faults.calls.length, 2);

  w.sim.faults.inject('GET /api/v3/account', { kind: 'error', status: 418, headers: { 'Retry-After': '120' }, body: { code: -1003, msg: 'Way too much request weight used; IP banned until 1700000000000.' }, times: 1 });
  t.match(await failure(w.binance().balance(w.keyMaterial)), { kind: 'banned', status: 418, retryable: false });
});

t.test('key management is manual: capabilities say so and the calls throw instructions for a person', async (t) => {
  const w = await world(t.teardown);
  const binance = w.binance();
  t.same(binance.capabilities, { queryKey: 'manual', createKey: 'manual', revokeKey: 'manual', cancelAll: 'api', listOpenOrders: 'api', positions: 'api', balance: 'api' });
  const spec = { account: String(UID), note: 'lg-inc-9-rotate-1', readOnly: false, permissions: {}, ips: ['10.0.0.7'] };
  const cases: [string, Promise<unknown>, string][] = [
    ['describeKey', binance.describeKey(w.keyMaterial), 'queryKey'],
    ['listKeys', binance.listKeys(w.keyMaterial, String(UID)), 'queryKey'],
    ['createKey', binance.createKey(w.keyMaterial, spec), 'createKey'],
    ['revokeKey', binance.revokeKey({ keyId: w.key.apiKey, master: w.keyMaterial, account: String(UID) }), 'revokeKey'],
    ['revokeKey', binance.revokeKey({ keyId: w.key.apiKey, material: w.keyMaterial }), 'revokeKey'],
  ];
  for (const [operation, p, capability] of cases) {
    const err = await failure(p);
    t.type(err, ManualCapabilityError, operation);
    t.type(err, IntegrationError, 'handled like any other integration error');
    const manual = err as ManualCapabilityError;
    t.match(manual, { operation, capability, retryable: false, code: 'manual' });
    t.match(manual.instructions.join(' '), /API Management/);
    t.notOk(manual.message.includes(w.key.apiKey), 'never the whole key');
  }
  const revoke = (await failure(binance.revokeKey({ keyId: w.key.apiKey, material: w.keyMaterial }))) as ManualCapabilityError;
  t.match(revoke.instructions[0], new RegExp(`delete the key starting ${w.key.apiKey.slice(0, 4)}…`));
  const create = (await failure(binance.createKey(w.keyMaterial, spec))) as ManualCapabilityError;
  t.match(create.instructions.join(' '), /labelled "lg-inc-9-rotate-1".*10\.0\.0\.7/);
  t.same(await binance.positions(), [], 'spot holds no positions');
  t.equal(w.sim.calls.length, 0, 'none of this called Binance');
});
