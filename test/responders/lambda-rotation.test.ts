import t from 'tap';
import { RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Credential } from '../../src/core/credential.js';
import { awsClientConfig } from '../../src/integrations/aws/config.js';
import { envelope } from '../sim/bybit/errors.js';
import { AWS_TEST_CREDENTIALS, secretJson, WORLD } from '../sim/world.js';
import { templateRotation } from '../fixtures/rotation/template.js';
import { fastPlan, responderWorld, why, worldSecrets } from './harness.js';

t.setTimeout(240_000);

const LAMBDA = 'arn:aws:lambda:us-east-1:111111111111:function:bybit-key-rotation';

t.test('rotationOwner lambda: emergency through a template rotation function whose first run fails', async (t) => {
  const env = await responderWorld(t);
  const { world, clients } = env;
  const credential: Credential = { ...env.credential, rotationOwner: 'lambda' };
  env.addCredential(credential);
  const old = world.accounts.botKey;
  await env.botTrading(old.apiKey.slice(0, 4));

  // The rotation function, on its own Secrets Manager client; its exchange side uses the master key.
  const lambda = new SecretsManagerClient(awsClientConfig({ region: 'us-east-1', endpoint: world.urls.secretsmanager, credentials: AWS_TEST_CREDENTIALS }));
  t.teardown(() => lambda.destroy());
  const exchange = clients.exchanges.exchangeFor(credential);
  const created: string[] = [];
  world.secretsManager.setRotationFunction(
    LAMBDA,
    templateRotation(lambda, {
      async createKey(token) {
        const master = await clients.masterKey(credential);
        const key = await exchange.createKey(master, { account: credential.account.uid!, note: token, readOnly: false, permissions: old.permissions, ips: old.ips });
        created.push(key.material.apiKey);
        // The first run's testSecret meets a key Bybit does not accept yet: the rotation fails there.
        if (created.length === 1) world.bybit.faults.inject('GET /v5/user/query-api', { kind: 'error', status: 200, body: envelope(10003, 'API key is invalid.', {}, Date.now()), times: 1 });
        return secretJson({ apiKey: key.material.apiKey, secret: key.material.apiSecret }, 'rotation function');
      },
      async testKey(pending) {
        const { api_key, api_secret } = JSON.parse(pending) as { api_key: string; api_secret: string };
        await exchange.describeKey({ apiKey: api_key, apiSecret: api_secret });
      },
    }),
  );
  // The secret's owner configured rotation as AWS has it done: RotateSecret with the function, not at once.
  await lambda.send(new RotateSecretCommand({ SecretId: WORLD.secretId, RotationLambdaARN: LAMBDA, RotateImmediately: false }));

  const incident = await env.open(fastPlan('emergency'), { credential });
  env.runner.start();
  const done = await env.waitForState(incident.id, ['resolved', 'needs_attention', 'aborted'], 90_000);
  t.equal(done.state, 'resolved', await why(env, incident.id));

  const [rotation, ...more] = await world.secretsManager.rotationsSettled();
  t.same(more, [], 'one rotation');
  t.equal(rotation?.attempts.length, 2, 'two runs of the four steps');
  t.match(rotation?.attempts[0]?.error, /^testSecret: /, 'the first run failed at testSecret');
  t.equal(rotation?.outcome, 'succeeded', 'Secrets Manager retried it on its own');
  t.equal(created.length, 1, 'the retry reused the pending version: one new key');

  const versions = world.secretsManager.secret(WORLD.secretId)!.versions;
  const current = versions.find((v) => v.stages.includes('AWSCURRENT'))!;
  t.equal(current.versionId, rotation?.token, "AWSCURRENT is the rotation's version, its id the step's token");
  t.equal(versions.find((v) => v.stages.includes('AWSPREVIOUS'))?.versionId, incident.target?.versionId, 'the old key is AWSPREVIOUS');
  t.notOk(versions.some((v) => v.stages.includes('AWSPENDING')), 'AWSPENDING is cleared');
  t.equal((JSON.parse(current.secretString!) as { api_key: string }).api_key, created[0]);
  const live = world.bybit.keys().filter((k) => k.uid === world.accounts.subUid && !k.deletedAt);
  t.same(live.map((k) => k.apiKey), created, 'one live key: the rotation function made it, the old one is revoked');

  const runs = await env.store.listStepRuns(incident.id);
  t.equal(runs.find((r) => r.step === 'rotate')?.outputs.newVersionId, rotation?.token);
  const timeline = await env.store.listTimeline(incident.id);
  const everything = JSON.stringify({ timeline, runs }) + env.log.text();
  t.notOk(worldSecrets(env).some((s) => everything.includes(s)), 'no key or secret in the store, the timeline or the log');
});
