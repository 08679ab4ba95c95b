import t, { type Test } from 'tap';
import { systemClock } from '../../src/core/clock.js';
import { Scrubber } from '../../src/core/scrubber.js';
import { BinanceExchange } from '../../src/integrations/exchanges/binance/exchange.js';
import { WorkloadClient } from '../../src/integrations/kubernetes/workload.js';
import { FAST_POLICY } from '../helpers/aws.js';
import { BinanceSim } from '../sim/binance/server.js';
import { startSim } from '../sim/kubernetes/testing.js';
import { bybitWorld, failure, FAST, material } from './exchange-kit.js';

/**
 * Error bodies are cut to 200 characters for messages. A secret another system echoes across
 * the cut must go whole: scrubbed first, then cut, so not even its first part is left.
 */
const SECRET = 'PLANTEDsecretACROSStheCUT0123456789';
/** A body whose text, cut at 200 characters, would be cut in the middle of SECRET; `lead`: what the message puts before the body. */
const acrossTheCut = (before: string, lead = '') => `${before}${'x'.repeat(190 - lead.length - before.length)}${SECRET} and more text after it`;
const noPartOf = (t: Test, text: string) => {
  t.notOk(text.includes(SECRET.slice(0, 8)), 'not even the first part of the secret');
  t.match(text, '[REDACTED]', 'it was there, and was removed');
};

t.test('Bybit: a non-JSON error body', async (t) => {
  const w = await bybitWorld(t.teardown);
  w.scrubber.register(SECRET);
  w.sim.faults.inject('GET /v5/user/query-api', { kind: 'error', status: 400, body: acrossTheCut('<html>', 'HTTP 400: '), times: 1 });
  const err = await failure(w.bybit().describeKey(w.botKey));
  t.match(err.message, 'HTTP 400: <html>xxx');
  noPartOf(t, err.message);
});

t.test('Binance: a non-JSON error body', async (t) => {
  const sim = new BinanceSim();
  await sim.start();
  t.teardown(() => sim.close());
  const key = sim.addKey({ uid: 354937868 });
  const scrubber = new Scrubber();
  scrubber.register(SECRET);
  sim.faults.inject('GET /api/v3/account', { kind: 'error', status: 400, body: acrossTheCut('<html>', 'HTTP 400: '), times: 1 });
  const binance = new BinanceExchange({ baseUrl: sim.url, headers: { 'x-sim-client-ip': '127.0.0.1' } }, { clock: systemClock, scrubber, policy: FAST });
  const err = await failure(binance.balance(material(key)));
  t.match(err.message, 'HTTP 400: <html>xxx');
  noPartOf(t, err.message);
});

t.test('Kubernetes: a Status message quoting the object', async (t) => {
  const env = await startSim(t);
  env.seedNginx(1);
  const scrubber = new Scrubber();
  scrubber.register(SECRET);
  const message = acrossTheCut('Secret "bot-api" is invalid: data[api_secret]: ');
  env.sim.faults.inject('get deployments', { kind: 'error', status: 422, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Invalid', code: 422, message }, times: 1 });
  const client = new WorkloadClient(env.kc, env.clock, scrubber, FAST_POLICY);
  const err = await failure(client.read({ namespace: 'edit-test', deployment: 'nginx', selector: 'app=nginx' }));
  t.match(err, { kind: 'invalid_request', message: /422 Secret "bot-api" is invalid/ });
  noPartOf(t, err.message);
  t.notMatch(err.message, 'more text after it', 'and the message is cut');
});
