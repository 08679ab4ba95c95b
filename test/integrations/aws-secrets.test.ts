import t, { type Test } from 'tap';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { systemClock } from '../../src/core/clock.js';
import { Scrubber } from '../../src/core/scrubber.js';
import { SecretsClient, type ExchangeKeySecret } from '../../src/integrations/aws/secrets.js';
import { IntegrationError } from '../../src/integrations/errors.js';
import { SecretsManagerSim } from '../sim/aws/secretsmanager.js';
import { awsOptions, FAST_POLICY } from '../helpers/aws.js';
import { awsClientConfig } from '../../src/integrations/aws/config.js';
import { templateRotation } from '../fixtures/rotation/template.js';

const ID = 'prod/bybit/api';
/** AWS version ids are 32 to 64 characters. */
const OLD = '00000000-0000-4000-8000-000000000001';
const key = (n: number): ExchangeKeySecret => ({ api_key: `APIKEY${n}xxxxxxxx`, api_secret: `SECRET${n}yyyyyyyyyyyy`, api_key_id: `APIKEY${n}xxxxxxxx`, created_at: '2026-01-01T00:00:00Z', created_by: 'test', rotation_reason: 'seed' });

async function setup(t: Test, policy = FAST_POLICY) {
  const sim = new SecretsManagerSim({ clock: systemClock });
  sim.seedSecret({ name: ID, versions: [{ versionId: OLD, secretString: JSON.stringify(key(1)), stages: ['AWSCURRENT'] }] });
  const server = await sim.start();
  const scrubber = new Scrubber();
  const client = new SecretsClient(awsOptions(server.url), systemClock, scrubber, policy);
  t.teardown(async () => {
    client.destroy();
    await server.close();
  });
  return { sim, client, scrubber, url: server.url };
}

const stagesOf = (sim: SecretsManagerSim) => Object.fromEntries(sim.secret(ID)!.versions.map((v) => [v.versionId, v.stages]));

t.test('reads the current key with its version and registers it with the scrubber', async (t) => {
  const { client, scrubber } = await setup(t);
  const current = await client.readKey(ID);
  t.equal(current.versionId, OLD);
  t.same(current.stages, ['AWSCURRENT']);
  t.equal(current.secret.api_key, key(1).api_key);
  t.equal(scrubber.scrub(`x ${key(1).api_secret} ${key(1).api_key}`), 'x [REDACTED] [REDACTED]');
});

t.test('a version is read from Secrets Manager once: its value never changes, its stages are not kept', async (t) => {
  const { sim, client } = await setup(t);
  const first = await client.readVersion(ID, OLD);
  t.equal(first.secret.api_key, key(1).api_key);
  t.notOk('stages' in first, 'no stages: they move');
  t.same(await client.readVersion(ID, OLD), first, 'the same key');
  t.same(sim.faults.calls.filter((c) => c === 'GetSecretValue'), ['GetSecretValue'], 'one read on the wire');
  await t.rejects(client.readVersion(ID, '00000000-0000-4000-8000-00000000dead'), { kind: 'not_found', message: /00000000-0000-4000-8000-00000000dead|not find|not found/i }, 'a version that does not exist');
  await t.rejects(client.readVersion(ID, '00000000-0000-4000-8000-00000000dead'), { kind: 'not_found', message: /00000000-0000-4000-8000-00000000dead|not find|not found/i }, 'a failed read is not kept');
  t.equal(sim.faults.calls.filter((c) => c === 'GetSecretValue').length, 3, 'both missing reads went to Secrets Manager');
});

t.test('a second write with the same token and value yields one version; another value is refused', async (t) => {
  const { sim, client } = await setup(t);
  const a = await client.writeKey(ID, 'inc1-rotate-1-token-000000000000', key(2), 'AWSCURRENT');
  const b = await client.writeKey(ID, 'inc1-rotate-1-token-000000000000', key(2), 'AWSCURRENT');
  t.equal(a, 'inc1-rotate-1-token-000000000000');
  t.equal(b, a);
  t.equal(sim.secret(ID)!.versions.length, 2);
  const err = await client.writeKey(ID, 'inc1-rotate-1-token-000000000000', key(3), 'AWSCURRENT').catch((e: unknown) => e);
  t.type(err, IntegrationError);
  t.match(err, { kind: 'conflict', retryable: false, message: /must use a new attempt/ });
  t.notMatch((err as Error).message, key(3).api_secret);
  t.same(stagesOf(sim), { [OLD]: ['AWSPREVIOUS'], [a]: ['AWSCURRENT'] }, 'the old key is AWSPREVIOUS, not AWSPENDING');
});

t.test('pending, promote, roll back', async (t) => {
  const { sim, client } = await setup(t);
  const pending = await client.writeKey(ID, 'tok-pending-0000000000000000000000', key(2), 'AWSPENDING');
  t.same(stagesOf(sim), { [OLD]: ['AWSCURRENT'], [pending]: ['AWSPENDING'] }, 'AWSCURRENT untouched by a pending write');
  t.equal((await client.readKey(ID, { stage: 'AWSPENDING' })).secret.api_key, key(2).api_key);
  const { previousVersionId } = await client.promote(ID, pending);
  t.equal(previousVersionId, OLD);
  t.same(stagesOf(sim), { [OLD]: ['AWSPREVIOUS'], [pending]: ['AWSCURRENT'] });
  await client.promote(ID, pending);
  t.same(stagesOf(sim), { [OLD]: ['AWSPREVIOUS'], [pending]: ['AWSCURRENT'] }, 'promote is idempotent');
  const back = await client.rollback(ID);
  t.same(back, { currentVersionId: OLD, replacedVersionId: pending });
  t.same((await client.versionAt(ID, 'AWSCURRENT'))?.versionId, OLD);
  t.ok((await client.findVersion(ID, pending))?.stages.includes('AWSPREVIOUS'));
  const listed = await client.listVersions(ID);
  t.equal(listed.length, 2);
  t.ok(listed.every((v) => typeof v.createdAt === 'number'));
});

t.test('clearPending removes AWSPENDING from an abandoned version', async (t) => {
  const { sim, client } = await setup(t);
  const pending = await client.writeKey(ID, 'tok-abandon-000000000000000000000', key(2), 'AWSPENDING');
  await client.clearPending(ID, pending);
  t.same(stagesOf(sim)[pending] ?? [], []);
  await client.clearPending(ID, pending);
  await t.rejects(client.promote(ID, 'no-such-version'), { kind: 'not_found', message: /not in prod\/bybit\/api/ });
});

t.test('throttling, then success; 5xx past the budget is a clear error', async (t) => {
  const { sim, client } = await setup(t);
  sim.faults.inject('GetSecretValue', { kind: 'error', status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' }, headers: { 'x-amzn-errortype': 'ThrottlingException' }, times: 2 });
  t.equal((await client.readKey(ID)).versionId, OLD);
  sim.faults.inject('GetSecretValue', { kind: 'error', status: 500, body: { __type: 'InternalServiceError', Message: 'boom' }, times: 10 });
  const err = (await client.readKey(ID).catch((e: unknown) => e)) as IntegrationError;
  t.equal(err.retryable, false);
  t.match(err.message, /AWS Secrets Manager GetSecretValue failed \(unavailable\): still failing after 4 attempts/);
});

t.test('the timeout holds', async (t) => {
  const { sim, client } = await setup(t, { ...FAST_POLICY, timeoutMs: 100, retries: 0 });
  sim.faults.inject('GetSecretValue', { kind: 'latency', ms: 400, times: 1 });
  await t.rejects(client.readKey(ID), { kind: 'timeout', message: /no answer within 100 ms/ });
});

t.test('a missing secret and a malformed one say what to do', async (t) => {
  const { sim, client } = await setup(t);
  await t.rejects(client.readKey('prod/nope'), { kind: 'not_found', retryable: false, message: /check the credential's secretId/ });
  sim.seedSecret({ name: 'prod/plain', secretString: 'not-json-but-secret-value' });
  await t.rejects(client.readKey('prod/plain'), { message: /does not hold JSON/ });
  sim.seedSecret({ name: 'prod/partial', secretString: JSON.stringify({ api_key: 'only-a-key-here' }) });
  await t.rejects(client.readKey('prod/partial'), { message: /lacks api_key or api_secret/ });
});

const LAMBDA = 'arn:aws:lambda:us-east-1:111111111111:function:bybit-rotate';
const tok = (n: number) => `rot-token-000000000000000000000000${n}`;

/** prod/lambda, owned by a rotation function written like AWS's template; `testKey` may refuse a key. */
function lambdaOwned(sim: SecretsManagerSim, url: string, t: Test, testKey: () => void = () => {}) {
  sim.seedSecret({ name: 'prod/lambda', rotationLambdaArn: LAMBDA, versions: [{ versionId: OLD, secretString: JSON.stringify(key(1)), stages: ['AWSCURRENT'] }] });
  const lambda = new SecretsManagerClient(awsClientConfig(awsOptions(url)));
  t.teardown(() => lambda.destroy());
  const created: number[] = [];
  sim.setRotationFunction(LAMBDA, templateRotation(lambda, {
    createKey: async () => {
      created.push(9 + created.length);
      return JSON.stringify(key(created.at(-1)!));
    },
    testKey: async () => testKey(),
  }));
  return { created };
}

t.test('lambda rotation: RotateSecret, then wait until the token version is AWSCURRENT', async (t) => {
  const { sim, client, url } = await setup(t);
  const { created } = lambdaOwned(sim, url, t);
  const versionId = await client.rotate('prod/lambda', tok(1), { pollMs: 20 });
  t.equal(versionId, tok(1));
  t.equal((await client.readKey('prod/lambda')).secret.api_key, key(9).api_key);
  t.same(created, [9]);
});

t.test('lambda rotation: a failed first run is retried by Secrets Manager, and LeakGuard waits for it', async (t) => {
  const { sim, client, url } = await setup(t);
  let refusals = 1;
  const { created } = lambdaOwned(sim, url, t, () => {
    if (refusals-- > 0) throw new Error('key not active yet');
  });
  t.equal(await client.rotate('prod/lambda', tok(1), { pollMs: 20 }), tok(1));
  const [record] = await sim.rotationsSettled();
  t.same(record?.attempts.map((a) => a.error ?? 'ok'), ['testSecret: key not active yet', 'ok']);
  t.same(created, [9], 'one new key');
  t.equal((await client.readKey('prod/lambda')).secret.api_key, key(9).api_key);
});

t.test("lambda rotation: a step run again waits on its own pending version; another's is said so", async (t) => {
  const { sim, client, url } = await setup(t);
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const { created } = lambdaOwned(sim, url, t, () => held);
  // Attempt 1 started the rotation, then its step was cut short (a crash, the budget).
  const ac = new AbortController();
  const first = client.rotate('prod/lambda', tok(1), { pollMs: 20, signal: ac.signal });
  while (!sim.rotations.length) await new Promise((resolve) => setImmediate(resolve));
  ac.abort(new Error('step budget over'));
  await t.rejects(first, { message: 'step budget over' });
  // Attempt 2 knows attempt 1's token: it starts nothing and waits for that version.
  const second = client.rotate('prod/lambda', tok(2), { ours: [tok(1)], pollMs: 20 });
  release();
  t.equal(await second, tok(1));
  t.equal(sim.rotations.length, 1, 'one rotation');
  t.same(created, [9]);

  // Someone else's rotation holds AWSPENDING: no new rotation, and the operator is told how to end it.
  sim.seedSecret({ name: 'prod/other', rotationLambdaArn: LAMBDA, versions: [{ versionId: OLD, secretString: JSON.stringify(key(1)), stages: ['AWSCURRENT'] }, { versionId: tok(7), stages: ['AWSPENDING'] }] });
  await t.rejects(client.rotate('prod/other', tok(3), { pollMs: 20 }), {
    kind: 'conflict',
    message: new RegExp(`version ${tok(7)} is AWSPENDING.*Next: wait for it to finish.*--remove-from-version-id ${tok(7)}`),
  });
});

t.test('lambda rotation: a rotation whose AWSPENDING was removed is reported, not waited for', async (t) => {
  const { sim, client, url } = await setup(t);
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  lambdaOwned(sim, url, t, () => held);
  t.teardown(() => release());
  const rotating = client.rotate('prod/lambda', tok(1), { pollMs: 20 });
  while (!sim.rotations.length) await new Promise((resolve) => setImmediate(resolve));
  await client.clearPending('prod/lambda', tok(1));
  await t.rejects(rotating, { kind: 'failed', message: /was abandoned: that version is no longer AWSPENDING/ });
});

t.test("a host clock 10 minutes behind AWS's: the SDK corrects it from the refusal's Date, the call is retried", async (t) => {
  const sim = new SecretsManagerSim({ clock: systemClock, wallClock: { now: () => Date.now() + 10 * 60_000, sleep: systemClock.sleep } });
  sim.seedSecret({ name: ID, versions: [{ versionId: OLD, secretString: JSON.stringify(key(1)), stages: ['AWSCURRENT'] }] });
  const server = await sim.start();
  t.teardown(() => server.close());
  const client = new SecretsClient(awsOptions(server.url), systemClock, new Scrubber(), FAST_POLICY);
  t.teardown(() => client.destroy());
  t.equal((await client.readKey(ID)).secret.api_key, key(1).api_key);
  t.same(sim.faults.calls, ['GetSecretValue', 'GetSecretValue'], 'refused once (Signature expired), then signed in time');
  t.equal((await client.listVersions(ID)).length, 1, 'later calls are signed in time at once');
  t.equal(sim.faults.calls.length, 3);

  // Without a retry left, the operator is told what is wrong and what to fix.
  const once = new SecretsClient(awsOptions(server.url), systemClock, new Scrubber(), { ...FAST_POLICY, retries: 0 });
  t.teardown(() => once.destroy());
  await t.rejects(once.readKey(ID), { kind: 'expired', message: /Signature expired.*Next: LeakGuard's host clock is more than 5 minutes off AWS's.*NTP/ });
});

t.test('no AWS credentials at all says how to provide them', async (t) => {
  const { SecretsClient: Client } = await import('../../src/integrations/aws/secrets.js');
  const saved = { ...process.env };
  for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
  process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent';
  process.env.AWS_CONFIG_FILE = '/nonexistent';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  t.teardown(() => {
    process.env = saved;
  });
  const client = new Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' }, systemClock, new Scrubber(), { ...FAST_POLICY, retries: 0 });
  await t.rejects(client.readKey(ID), { kind: 'invalid_key', message: /no AWS credentials found\. Next: give LeakGuard AWS credentials/ });
});
