import t from 'tap';
import type { Signal } from '../../src/core/signal.js';
import { exchangeSetup, type ExchangeSetup, CREDENTIAL } from '../helpers/exchange.js';

const POLL_MS = 30_000;

const ORDER = 'exchange.unauthorized_order';

/** A resting limit order in the bot's sub-account, far below the market, placed over the simulator's REST API with the bot's key. */
async function place(s: ExchangeSetup, orderLinkId: string): Promise<string> {
  const { bybit, accounts } = s.e2e.world;
  const res = await fetch(`${bybit.url}/v5/order/create`, await signedOrder(bybit.now(), accounts.botKey, { category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.001', price: '59000', orderLinkId }));
  const body = (await res.json()) as { retCode: number; retMsg: string; result: { orderId: string } };
  if (body.retCode !== 0) throw new Error(`order refused: ${body.retMsg}`);
  return body.result.orderId;
}

async function signedOrder(now: number, key: { apiKey: string; secret: string }, params: Record<string, unknown>): Promise<RequestInit> {
  const { createHmac } = await import('node:crypto');
  const body = JSON.stringify(params);
  const ts = String(now);
  const sign = createHmac('sha256', key.secret).update(`${ts}${key.apiKey}5000${body}`).digest('hex');
  return { method: 'POST', headers: { 'content-type': 'application/json', 'x-bapi-api-key': key.apiKey, 'x-bapi-timestamp': ts, 'x-bapi-recv-window': '5000', 'x-bapi-sign': sign, 'x-sim-client-ip': '10.0.1.20' }, body };
}

/** How many polls the detector has finished (its health says; it sleeps on the clock right after saying it). */
const pollsDone = (s: ExchangeSetup) => Number(s.lg.intake.health().find((d) => d.name === 'exchange')?.details.polls ?? 0);

/**
 * Polls, one after the other, until `done()`: LeakGuard's clock moves a poll interval on after
 * each finished poll (the detector sleeps on it right after saying so in its health).
 */
async function pollUntil(s: ExchangeSetup, done: () => boolean): Promise<void> {
  let seen = -1;
  while (!done()) {
    const n = pollsDone(s);
    if (n > seen && n > 0) {
      seen = n;
      await s.clock.advance(POLL_MS);
    } else await new Promise((r) => setImmediate(r));
  }
}

/** The first signal the predicate accepts, polling until it is stored. */
async function polled(s: ExchangeSetup, pred: (x: Signal) => boolean): Promise<Signal> {
  await pollUntil(s, () => s.w.signals.some(pred));
  return s.w.signals.find(pred)!;
}

/** `k` more polls run to their end. */
async function morePolls(s: ExchangeSetup, k: number): Promise<void> {
  const target = pollsDone(s) + k;
  await pollUntil(s, () => pollsDone(s) >= target);
}

t.test("the REST poll: a foreign orderLinkId gives one confirmed signal; the bot's prefix and Bybit's own orders give nothing", async (t) => {
  const s = await exchangeSetup(t);
  await s.lg.start();
  const { bybit, accounts } = s.e2e.world;
  await place(s, 'ltb-own-1');
  // A liquidation Bybit places itself: never the attacker's.
  bybit.book.create(accounts.subUid, 'bybit', { category: 'linear', symbol: 'BTCUSDT', side: 'Sell', orderType: 'Limit', qty: '0.5', price: '61000', orderLinkId: '' }, bybit.now(), 'CreateByLiq');
  const foreignId = await place(s, 'evil-1');
  const sig = await polled(s, (x) => x.kind === ORDER);
  t.match(sig, { credentialId: CREDENTIAL, confidence: 'confirmed', source: 'exchange' });
  t.match(sig.evidence, { via: 'poll', orderId: foreignId, orderLinkId: 'evil-1', createType: 'CreateByUser', expectedPrefix: 'ltb-', symbol: 'BTCUSDT' });
  await morePolls(s, 3);
  t.same(
    s.w.signals.filter((x) => x.kind === ORDER).map((x) => x.evidence.orderId),
    [foreignId],
    "one signal for the foreign order over several polls, none for the bot's or Bybit's",
  );
  t.ok(bybit.callsBy(s.watchKey.apiKey).some((c) => c.path === '/v5/order/realtime' && c.retCode === 0), 'orders were read with the watch key');
  t.notOk(bybit.callsBy(s.watchKey.apiKey).some((c) => c.method === 'POST'), 'the watch key writes nothing');
});

t.test('key drift: an IP list changed or Withdraw added in the simulator gives its signal once, not on every poll; a key about to expire is said once', async (t) => {
  const s = await exchangeSetup(t);
  await s.lg.start();
  const { bybit, accounts } = s.e2e.world;
  const bot = bybit.keys().find((k) => k.apiKey === accounts.botKey.apiKey)!;
  // The first poll learns the key before anything changes.
  await morePolls(s, 1);
  t.same(s.w.signals.filter((x) => x.kind.startsWith('exchange.key.')), [], 'the first description is the baseline: no signal');
  bot.ips = ['203.0.113.66'];
  const ips = await polled(s, (x) => x.kind === 'exchange.key.ips_changed');
  t.match(ips, { credentialId: CREDENTIAL, confidence: 'suspected', evidence: { before: ['10.0.0.7', '10.0.1.20'], now: ['203.0.113.66'] } });
  await morePolls(s, 3);
  t.equal(s.w.signals.filter((x) => x.kind === 'exchange.key.ips_changed').length, 1, 'the IP change is said once');

  bot.ips = ['10.0.1.20', '10.0.0.7'];
  bot.permissions = { ...bot.permissions, Wallet: ['Withdraw'] };
  const perm = await polled(s, (x) => x.kind === 'exchange.key.permission_added');
  t.match(perm, { confidence: 'confirmed', evidence: { added: ['Wallet:Withdraw'], withdraw: true } });
  bybit.setKeyExpiry(bot.apiKey, s.e2e.world.clock.now() + 2 * 86_400_000);
  const expiring = await polled(s, (x) => x.kind === 'exchange.key.expiring');
  t.match(expiring.evidence, { daysLeft: 1 });
  await morePolls(s, 3);
  const kinds = s.w.signals.filter((x) => x.kind.startsWith('exchange.key.')).map((x) => x.kind);
  t.same(kinds, ['exchange.key.ips_changed', 'exchange.key.ips_changed', 'exchange.key.permission_added', 'exchange.key.expiring'], 'each change once: the IPs back, Withdraw, the expiry');
  const stored = JSON.stringify(await s.ts.store.listSignals({}));
  t.notMatch(stored, bot.apiKey, 'no key id in any signal');
  t.notMatch(stored, s.watchKey.apiKey, 'nor the watch key');
});

t.test("a leak of the watch key matches its credential as LeakGuard's own watch key", async (t) => {
  const s = await exchangeSetup(t);
  t.same(await s.lg.matcher.match(s.watchKey.apiKey), [{ credentialId: CREDENTIAL, key: 'watch', field: 'api_key', revoked: false }]);
  t.same(await s.lg.matcher.match(s.watchKey.secret), [{ credentialId: CREDENTIAL, key: 'watch', field: 'api_secret', revoked: false }]);
});
