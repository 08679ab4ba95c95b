import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { systemClock } from '../../src/core/clock.js';
import { awsClientConfig } from '../../src/integrations/aws/config.js';
import { buildRotationLambda } from '../../infra/aws/rotation-lambda/build.js';
import type { createHandler as CreateHandler } from '../../infra/aws/rotation-lambda/handler.js';
import { SecretsManagerSim, type RotationEvent } from '../sim/aws/secretsmanager.js';
import { LEAKGUARD_IP, startBybit } from '../sim/bybit/testkit.js';
import { AWS_TEST_CREDENTIALS, secretJson } from '../sim/world.js';

const LAMBDA = 'arn:aws:lambda:us-east-1:111111111111:function:bybit-api-key-rotator';
const SECRET = 'prod/bybit/api';
const MASTER = 'prod/leakguard/bybit-master';
const BOT_IP = '10.0.1.20';
const PERMISSIONS = { ContractTrade: ['Order', 'Position'], Spot: ['SpotTrade'] };

// The test runs the bundle, as Lambda would: built once here (esbuild takes well under a second of CPU).
const dir = mkdtempSync(join(tmpdir(), 'leakguard-lambda-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const bundle = (await import(pathToFileURL(await buildRotationLambda(join(dir, 'index.mjs'))).href)) as { createHandler: typeof CreateHandler; handler: unknown };

/** Secrets Manager and Bybit simulators with the runbook's secrets, and the bundled function on them; what it logs is kept. */
async function setup(t: Test) {
  const logs: unknown[][] = [];
  const { log, error } = console;
  console.log = console.error = (...args: unknown[]) => void logs.push(args);
  t.teardown(() => void ((console.log = log), (console.error = error)));
  const by = await startBybit(t.teardown);
  const sm = new SecretsManagerSim({ clock: systemClock });
  sm.seedSecret({ name: MASTER, secretString: secretJson(by.master, 'leakguard master key') });
  sm.seedSecret({ name: SECRET, secretString: secretJson(by.bot) });
  const server = await sm.start();
  t.teardown(() => server.close());
  const lambda = bundle.createHandler(
    {
      AWS_REGION: 'us-east-1',
      LEAKGUARD_SECRETSMANAGER_ENDPOINT: server.url,
      LEAKGUARD_EXCHANGE_BASE_URL: by.sim.url,
      LEAKGUARD_MASTER_KEY_SECRET_ID: MASTER,
      LEAKGUARD_ACCOUNT_UID: String(by.subUid),
      LEAKGUARD_KEY_PERMISSIONS: JSON.stringify(PERMISSIONS),
      LEAKGUARD_KEY_IPS: `${BOT_IP}, ${LEAKGUARD_IP}`,
    },
    // The function's egress IP is the one the master key is bound to.
    { awsCredentials: AWS_TEST_CREDENTIALS, exchangeHeaders: { 'x-sim-client-ip': LEAKGUARD_IP } },
  );
  const owner = new SecretsManagerClient(awsClientConfig({ region: 'us-east-1', endpoint: server.url, credentials: AWS_TEST_CREDENTIALS }));
  t.teardown(() => owner.destroy());
  const events: RotationEvent[] = [];
  const rotate = async (fn: (e: RotationEvent, run: number) => Promise<void>) => {
    let run = 0;
    sm.setRotationFunction(LAMBDA, async (e) => {
      if (e.Step === 'createSecret') run++;
      events.push(e);
      await fn(e, run);
    });
    await owner.send(new RotateSecretCommand({ SecretId: SECRET, RotationLambdaARN: LAMBDA, RotationRules: { AutomaticallyAfterDays: 30 } }));
    const [rotation] = await sm.rotationsSettled();
    return rotation!;
  };
  const keysOf = (note: string) => by.sim.keys().filter((k) => k.note === note);
  const version = (stage: string) => sm.secret(SECRET)!.versions.find((v) => v.stages.includes(stage));
  return { by, sm, lambda, rotate, events, keysOf, version, logs };
}

t.test('the four steps as Secrets Manager invokes them, each called twice with the same token, give one new key', async (t) => {
  const { by, sm, lambda, rotate, events, keysOf, version, logs } = await setup(t);
  const rotation = await rotate(async (e) => {
    await lambda(e);
    await lambda(e);
  });
  t.equal(rotation.outcome, 'succeeded', JSON.stringify(rotation.attempts));
  t.equal(rotation.attempts.length, 1);
  t.same([...new Set(events.map((e) => e.Step))], ['createSecret', 'setSecret', 'testSecret', 'finishSecret']);
  t.ok(events.every((e) => e.SecretId === sm.secret(SECRET)!.arn && e.ClientRequestToken === rotation.token && e.RotationToken === rotation.rotationToken), "AWS's event shape: the secret's ARN and both tokens");
  t.same(sm.rotationTokensPut, [rotation.rotationToken], 'the RotationToken was passed on to PutSecretValue, once');

  const made = keysOf(rotation.token);
  t.equal(made.length, 1, 'one new key, named by the token');
  const current = JSON.parse(version('AWSCURRENT')!.secretString!) as { api_key: string; created_by: string };
  t.equal(version('AWSCURRENT')!.versionId, rotation.token);
  t.equal(current.api_key, made[0]!.apiKey, 'AWSCURRENT holds the new key');
  t.equal(current.created_by, 'leakguard-rotation-lambda');
  t.same(made[0]!.permissions, PERMISSIONS, 'made with the configured permissions');
  t.same([...made[0]!.ips].sort(), [LEAKGUARD_IP, BOT_IP].sort());
  t.equal(made[0]!.uid, by.subUid);
  t.equal(JSON.parse(version('AWSPREVIOUS')!.secretString!).api_key, by.bot.apiKey, 'the old key is AWSPREVIOUS');
  t.equal(keysOf('bot')[0]?.deletedAt, null, 'and still live: LeakGuard deletes it after the grace period');
  const logged = JSON.stringify(logs);
  t.match(logged, 'createSecret: new key');
  for (const secret of [made[0]!.secret, made[0]!.apiKey, by.master.secret, by.bot.secret]) t.notMatch(logged, secret, 'no key in the log');

  // Any step again after the rotation ended changes nothing.
  const before = JSON.stringify(sm.secret(SECRET)!.versions);
  for (const e of events.slice(0, 4)) await lambda(e);
  t.equal(JSON.stringify(sm.secret(SECRET)!.versions), before);
  t.equal(keysOf(rotation.token).length, 1);
});

t.test('a crash between steps: Secrets Manager runs the rotation again and the second run finishes with the first run\'s key', async (t) => {
  const { lambda, rotate, keysOf, version } = await setup(t);
  const rotation = await rotate(async (e, run) => {
    // The first run's container dies once createSecret has stored the key, before setSecret.
    if (run === 1 && e.Step === 'setSecret') throw new Error('Runtime exited without providing a reason');
    await lambda(e);
  });
  t.equal(rotation.outcome, 'succeeded');
  t.equal(rotation.attempts.length, 2);
  t.match(rotation.attempts[0]!.error, /^setSecret: /);
  t.same(rotation.attempts[1]!.completedSteps, ['createSecret', 'setSecret', 'testSecret', 'finishSecret']);
  const made = keysOf(rotation.token);
  t.equal(made.length, 1, 'the retried createSecret made no second key');
  t.equal(JSON.parse(version('AWSCURRENT')!.secretString!).api_key, made[0]!.apiKey);
});

t.test('a crash inside createSecret after the exchange made the key: the next run deletes that unstored key and stores one', async (t) => {
  const { sm, lambda, rotate, keysOf, version } = await setup(t);
  // The key is made, then storing it fails for good (as if the function died before PutSecretValue answered).
  sm.faults.inject('PutSecretValue', { kind: 'error', status: 400, body: { __type: 'AccessDeniedException', Message: 'not now' }, headers: { 'x-amzn-errortype': 'AccessDeniedException' }, times: 1 });
  const rotation = await rotate((e) => lambda(e));
  t.equal(rotation.outcome, 'succeeded', JSON.stringify(rotation.attempts));
  t.match(rotation.attempts[0]!.error, /^createSecret: createSecret failed: /);
  const made = keysOf(rotation.token);
  t.equal(made.length, 2, 'two keys were made under the token');
  t.ok(made[0]!.deletedAt !== null, "the first run's key, whose secret nobody has, is deleted");
  t.equal(made[1]!.deletedAt, null);
  t.equal(JSON.parse(version('AWSCURRENT')!.secretString!).api_key, made[1]!.apiKey);
});

t.test('refuses an event that is not a rotation step, and a secret without rotation, saying what to do', async (t) => {
  const { lambda } = await setup(t);
  await t.rejects(lambda({ Step: 'rotate', SecretId: SECRET, ClientRequestToken: 'x'.repeat(36) }), /not a Secrets Manager rotation event.*invoked by Secrets Manager's RotateSecret only/);
  await t.rejects(lambda({ Step: 'createSecret', SecretId: SECRET, ClientRequestToken: '11111111-1111-4111-8111-111111111111' }), /createSecret failed: rotation is not enabled for prod\/bybit\/api; turn it on with RotateSecret/);
});
