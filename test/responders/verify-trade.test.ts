import t from 'tap';
import { parseConfig } from '../../src/config/load.js';
import type { Credential } from '../../src/core/credential.js';
import { fastPlan, responderWorld, why } from './harness.js';

t.setTimeout(120_000);

const BTCUSDT = { category: 'linear' as const, symbol: 'BTCUSDT', tickSize: '0.10', minPrice: '0.10', maxPrice: '1999999.80', minOrderQty: '0.001', qtyStep: '0.001', minNotional: '5', priceLimitRatio: '0.05' };

/** rotate, then verify's key check only (no rollout to check here). */
const rotateThenVerify = () =>
  fastPlan('break-glass', (p) => {
    p.steps = p.steps.filter((s) => ['rotate', 'verify'].includes(s.step) && s.id === s.step);
    p.steps.find((s) => s.step === 'verify')!.params = { ...p.steps.find((s) => s.step === 'verify')!.params, key: 'new', checks: ['key'] };
    p.onFailure = [];
  });

t.test('verify.tradeTest: the new key places a post-only order away from the market and cancels it, both seen at Bybit; without the opt-in no order is placed', async (t) => {
  const env = await responderWorld(t);
  const { bybit } = env.world;
  bybit.seed({ instruments: [BTCUSDT], quotes: { BTCUSDT: { bid: '59999.9', ask: '60000.1' } } });
  const withTest = parseConfig({ ...env.config, credentials: [{ ...env.credential, verify: { tradeTest: { category: 'linear', symbol: 'BTCUSDT' } } }] }).credentials[0] as Credential;
  env.addCredential(withTest);

  const incident = await env.open(rotateThenVerify(), { credential: withTest });
  env.runner.start();
  const done = await env.waitForState(incident.id, ['resolved', 'needs_attention', 'aborted', 'failed'], 60_000);
  t.equal(done.state, 'resolved', await why(env, incident.id));
  const verify = (await env.store.listStepRuns(incident.id)).find((r) => r.step === 'verify' && r.status === 'succeeded');
  t.match(verify?.outputs, { tradeTest: { symbol: 'BTCUSDT', side: 'Buy', price: '58799.9', qty: '0.001', cancelled: true } });
  const fresh = bybit.keys().find((k) => k.uid === env.world.accounts.subUid && k.apiKey !== env.world.accounts.botKey.apiKey && !k.deletedAt)!;
  const tests = bybit.orders().filter((o) => o.placedBy === fresh.apiKey);
  t.equal(tests.length, 1, 'one test order, placed with the new key');
  t.match(tests[0], { timeInForce: 'PostOnly', orderStatus: 'Cancelled', cancelType: 'CancelByUser', orderLinkId: /^lgt-/ });
  t.match((await env.store.listTimeline(incident.id)).find((e) => e.type === 'verify.trade')?.message, /the new key .{4}… can trade: a post-only Buy of 0\.001 BTCUSDT at 58799\.9 .* rested and was cancelled, both seen at bybit/);
});

t.test('an order test the exchange refuses fails verify with what to change', async (t) => {
  const env = await responderWorld(t);
  env.world.bybit.seed({ instruments: [BTCUSDT] });
  const unlisted = parseConfig({ ...env.config, credentials: [{ ...env.credential, verify: { tradeTest: { category: 'linear', symbol: 'NOPEUSDT' } } }] }).credentials[0] as Credential;
  env.addCredential(unlisted);
  const incident = await env.open(rotateThenVerify(), { credential: unlisted });
  env.runner.start();
  const done = await env.waitForState(incident.id, ['resolved', 'needs_attention', 'aborted', 'failed'], 60_000);
  t.not(done.state, 'resolved');
  t.match(await why(env, incident.id), /linear NOPEUSDT is not listed.*fix verify\.tradeTest's category and symbol/);
});
