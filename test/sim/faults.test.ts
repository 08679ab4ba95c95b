import t, { type Test } from 'tap';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ManualClock } from '../../src/core/clock.js';
import { SecretsManagerSim } from './aws/secretsmanager.js';
import { clientConfig, recordWire } from './aws/sdk-test-kit.js';

// The shared fault module (test/sim/faults.ts), driven through the Secrets Manager
// simulator with the real AWS SDK client.

const NAME = 'prod/bybit/api';
const get = new GetSecretValueCommand({ SecretId: NAME });

async function setup(t: Test, config: Record<string, unknown> = {}) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const sim = new SecretsManagerSim({ clock });
  sim.seedSecret({ name: NAME, secretString: 'v1' });
  const server = await sim.start();
  const client = new SecretsManagerClient(clientConfig(server.url, config));
  t.teardown(async () => {
    client.destroy();
    await server.close();
  });
  return { clock, sim, server, client, wire: recordWire(client) };
}

t.test('latency delays the answer, enough for a client timeout to fire', async (t) => {
  const { sim, client } = await setup(t, { requestHandler: { requestTimeout: 100, throwOnRequestTimeout: true } });
  sim.faults.inject('GetSecretValue', { kind: 'latency', ms: 300, times: 1 });
  // The SDK's own TimeoutError is the proof that the answer came later than its 100 ms.
  await t.rejects(client.send(get), { name: 'TimeoutError' });
  sim.faults.inject('GetSecretValue', { kind: 'latency', ms: 50, times: 1 });
  t.equal((await client.send(get)).SecretString, 'v1', 'latency under the timeout only slows the call');
  t.same(sim.faults.delayed, ['GetSecretValue', 'GetSecretValue'], 'both calls were held back');
});

t.test('an error answer for the next N calls, then normal service', async (t) => {
  const { sim, client } = await setup(t);
  const body = { __type: 'InternalServiceError', Message: 'An error occurred on the server side.' };
  sim.faults.inject('GetSecretValue', { kind: 'error', status: 500, body, headers: { 'x-amzn-errortype': 'InternalServiceError' }, times: 2 });
  for (let i = 0; i < 2; i++) {
    await t.rejects(client.send(get), { name: 'InternalServiceError', $fault: 'server', $metadata: { httpStatusCode: 500 } });
  }
  t.equal((await client.send(get)).SecretString, 'v1');
  t.same(sim.faults.calls, ['GetSecretValue', 'GetSecretValue', 'GetSecretValue']);
});

t.test('the SDK retries a 5xx on its own when allowed to', async (t) => {
  const { sim, client } = await setup(t, { maxAttempts: 3 });
  sim.faults.inject('GetSecretValue', { kind: 'error', status: 500, body: { __type: 'InternalServiceError' }, times: 1 });
  const out = await client.send(get);
  t.equal(out.$metadata.attempts, 2);
});

t.test('a dropped connection is a network error, which the SDK retries', async (t) => {
  const { sim, client, server } = await setup(t);
  sim.faults.inject('GetSecretValue', { kind: 'drop', times: 1 });
  await t.rejects(client.send(get), { code: 'ECONNRESET', message: 'socket hang up', $metadata: { attempts: 1 } });
  const retrying = new SecretsManagerClient(clientConfig(server.url, { maxAttempts: 2 }));
  t.teardown(() => retrying.destroy());
  sim.faults.inject('GetSecretValue', { kind: 'drop', times: 1 });
  const out = await retrying.send(get);
  t.equal(out.SecretString, 'v1');
  t.equal(out.$metadata.attempts, 2);
  t.same(sim.faults.calls, ['GetSecretValue', 'GetSecretValue', 'GetSecretValue']);
});

t.test('throttling answers ThrottlingException beyond N calls per second of the clock', async (t) => {
  const { sim, client, clock, wire } = await setup(t);
  sim.faults.inject('*', { kind: 'throttle', perSecond: 2 });
  await client.send(get);
  await client.send(get);
  await t.rejects(client.send(get), { name: 'ThrottlingException', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
  const raw = wire.at(-1)!;
  t.equal(raw.headers['x-amzn-errortype'], 'ThrottlingException');
  t.equal(raw.headers['content-type'], 'application/x-amz-json-1.1');
  t.same(JSON.parse(raw.body), { __type: 'ThrottlingException', message: 'Rate exceeded' });
  await clock.advance(1000);
  t.equal((await client.send(get)).SecretString, 'v1', 'a new second, a new allowance');
  sim.faults.clear();
  await client.send(get);
  await client.send(get);
  t.pass('cleared faults no longer throttle');
});

t.test('faults are armed and cleared over /_sim by another process', async (t) => {
  const { client, server } = await setup(t);
  const arm = await fetch(`${server.url}/_sim/faults`, {
    method: 'POST',
    body: JSON.stringify({ op: 'GetSecretValue', fault: { kind: 'error', status: 400, body: { __type: 'AccessDeniedException', Message: 'no' }, times: 5 } }),
  });
  t.equal(arm.status, 200);
  await t.rejects(client.send(get), { name: 'AccessDeniedException' });
  t.equal((await fetch(`${server.url}/_sim/faults`, { method: 'DELETE' })).status, 200);
  t.equal((await client.send(get)).SecretString, 'v1');
});
