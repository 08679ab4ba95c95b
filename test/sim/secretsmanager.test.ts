import { readFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { ManualClock } from '../../src/core/clock.js';
import { SecretsManagerSim, type RotationEvent, type SecretsManagerSimOptions } from './aws/secretsmanager.js';
import { clientConfig, recordWire } from './aws/sdk-test-kit.js';
import { templateRotation } from '../fixtures/rotation/template.js';

type Recorded = Record<string, Record<string, unknown>>;
const recorded = JSON.parse(
  readFileSync(new URL('../../../shared/fixtures/aws/secretsmanager-api/localstack-recorded-aws-responses.subset.json', import.meta.url), 'utf8'),
) as Record<string, { 'recorded-content': Recorded }>;
const snapshot = (test: string): Recorded => recorded[`tests/aws/services/secretsmanager/test_secretsmanager.py::TestSecretsManager::${test}`]!['recorded-content'];
/** The members of a recorded response (without botocore's additions) or of an SDK output (without $metadata). */
const members = (o: object): string[] => Object.keys(o).filter((k) => k !== 'ResponseMetadata' && k !== '$metadata').sort();
const errorMessage = (test: string, key: string): string => (snapshot(test)[key] as { Error: { Message: string } }).Error.Message;

const START = Date.UTC(2026, 0, 1);
const NAME = 'prod/bybit/api';
const token = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

async function setup(t: Test, opts: SecretsManagerSimOptions = {}) {
  const clock = new ManualClock(START);
  const sim = new SecretsManagerSim({ clock, ...opts });
  const server = await sim.start();
  const client = new SecretsManagerClient(clientConfig(server.url));
  t.teardown(async () => {
    client.destroy();
    await server.close();
  });
  return { clock, sim, server, client, wire: recordWire(client) };
}

const stagesById = async (client: SecretsManagerClient, includeDeprecated = false) => {
  const out = await client.send(new ListSecretVersionIdsCommand({ SecretId: NAME, IncludeDeprecated: includeDeprecated }));
  return Object.fromEntries((out.Versions ?? []).map((v) => [v.VersionId!, v.VersionStages ?? []]));
};

t.test('CreateSecret, GetSecretValue and DescribeSecret answer as recorded against AWS', async (t) => {
  const { client, wire } = await setup(t);
  const created = await client.send(new CreateSecretCommand({ Name: NAME, SecretString: 'v0', ClientRequestToken: token(1) }));
  t.same(members(created), members(snapshot('test_put_secret_value_with_version_stages').create_secret_rs_0!));
  t.equal(created.VersionId, token(1), 'ClientRequestToken becomes the VersionId');
  t.match(created.ARN, /^arn:aws:secretsmanager:us-east-1:\d{12}:secret:prod\/bybit\/api-[A-Za-z0-9]{6}$/);

  const described = await client.send(new DescribeSecretCommand({ SecretId: NAME }));
  t.same(members(described), members(snapshot('test_first_rotate_secret_with_missing_lambda_arn').describe_secret!));
  t.same(described.VersionIdsToStages, { [token(1)]: ['AWSCURRENT'] });

  const value = await client.send(new GetSecretValueCommand({ SecretId: created.ARN }));
  t.same(members(value), members(snapshot('test_put_secret_value_with_version_stages').get_secret_value_res_0!));
  t.same([value.SecretString, value.VersionId, value.VersionStages], ['v0', token(1), ['AWSCURRENT']]);
  t.equal(value.CreatedDate?.getTime(), START);
  // On the wire: AWS JSON 1.1, timestamps as epoch-second numbers.
  const raw = wire.at(-1)!;
  t.equal(raw.headers['content-type'], 'application/x-amz-json-1.1');
  t.equal(JSON.parse(raw.body).CreatedDate, START / 1000);
});

t.test('a new AWSCURRENT turns the old one into AWSPREVIOUS; older versions are deprecated but kept', async (t) => {
  const { client, sim } = await setup(t);
  await client.send(new CreateSecretCommand({ Name: NAME, SecretString: 'v1', ClientRequestToken: token(1) }));
  const put2 = await client.send(new PutSecretValueCommand({ SecretId: NAME, SecretString: 'v2', ClientRequestToken: token(2) }));
  t.same(put2.VersionStages, ['AWSCURRENT'], 'VersionStages default to AWSCURRENT');
  t.same((await client.send(new DescribeSecretCommand({ SecretId: NAME }))).VersionIdsToStages, {
    [token(1)]: ['AWSPREVIOUS'],
    [token(2)]: ['AWSCURRENT'],
  });
  await client.send(new PutSecretValueCommand({ SecretId: NAME, SecretString: 'v3', ClientRequestToken: token(3) }));
  t.same(await stagesById(client), { [token(2)]: ['AWSPREVIOUS'], [token(3)]: ['AWSCURRENT'] });
  t.same(await stagesById(client, true), { [token(1)]: [], [token(2)]: ['AWSPREVIOUS'], [token(3)]: ['AWSCURRENT'] }, 'v1 is deprecated');
  const listed = await client.send(new ListSecretVersionIdsCommand({ SecretId: NAME, IncludeDeprecated: true }));
  const recordedEntry = (snapshot('test_update_secret_version_stages_current_pending').list_secret_version_ids_res_0!.Versions as object[])[0]!;
  t.same(members(listed.Versions![1]!), members(recordedEntry), 'version entries carry the recorded members');
  t.notOk('VersionStages' in listed.Versions![0]!, 'a deprecated version has no VersionStages');
  t.equal(sim.secret(NAME)!.versions[0]!.secretString, 'v1', 'the deprecated value is still stored');
  const old = await client.send(new GetSecretValueCommand({ SecretId: NAME, VersionId: token(1) }));
  t.same([old.SecretString, old.VersionStages], ['v1', []]);
  t.equal((await client.send(new GetSecretValueCommand({ SecretId: NAME, VersionStage: 'AWSPREVIOUS' }))).SecretString, 'v2');
});

t.test('rollback: UpdateSecretVersionStage moves AWSCURRENT back and AWSPREVIOUS follows', async (t) => {
  const { client } = await setup(t);
  await client.send(new CreateSecretCommand({ Name: NAME, SecretString: 'old', ClientRequestToken: token(1) }));
  await client.send(new PutSecretValueCommand({ SecretId: NAME, SecretString: 'new', ClientRequestToken: token(2) }));
  const out = await client.send(
    new UpdateSecretVersionStageCommand({ SecretId: NAME, VersionStage: 'AWSCURRENT', MoveToVersionId: token(1), RemoveFromVersionId: token(2) }),
  );
  t.same(members(out), members(snapshot('test_update_secret_version_stages_return_type').update_secret_version_stage_res_0!));
  t.same(await stagesById(client), { [token(1)]: ['AWSCURRENT'], [token(2)]: ['AWSPREVIOUS'] });
  t.equal((await client.send(new GetSecretValueCommand({ SecretId: NAME }))).SecretString, 'old');
});

t.test('AWSPENDING leaves AWSCURRENT alone, then the recorded promote sequence', async (t) => {
  // Replays test_update_secret_version_stages_current_pending, recorded against AWS.
  const rec = snapshot('test_update_secret_version_stages_current_pending');
  const ids = [token(1), token(2), token(3)];
  const expected = (key: string) =>
    Object.fromEntries(
      (rec[key]!.Versions as { VersionId: string; VersionStages: string[] }[]).map((v) => [ids[Number(/:(\d+)>/.exec(v.VersionId)![1]) - 1]!, v.VersionStages]),
    );
  const { client } = await setup(t);
  await client.send(new CreateSecretCommand({ Name: NAME, SecretString: 's1', ClientRequestToken: ids[0] }));
  const pending = await client.send(
    new PutSecretValueCommand({ SecretId: NAME, SecretString: 's2', ClientRequestToken: ids[1], VersionStages: ['AWSPENDING'] }),
  );
  t.same(pending.VersionStages, (rec.put_secret_value_res_0 as { VersionStages: string[] }).VersionStages);
  t.equal((await client.send(new GetSecretValueCommand({ SecretId: NAME }))).SecretString, 's1', 'AWSCURRENT unchanged');
  t.equal((await client.send(new GetSecretValueCommand({ SecretId: NAME, VersionStage: 'AWSPENDING' }))).SecretString, 's2');
  t.same(await stagesById(client), expected('list_secret_version_ids_res_0'));
  await client.send(
    new UpdateSecretVersionStageCommand({ SecretId: NAME, VersionStage: 'AWSCURRENT', MoveToVersionId: ids[1], RemoveFromVersionId: ids[0] }),
  );
  t.same(await stagesById(client), expected('list_secret_version_ids_res_1'));
  await client.send(new PutSecretValueCommand({ SecretId: NAME, SecretString: 's3', ClientRequestToken: ids[2] }));
  t.same(await stagesById(client), expected('list_secret_version_ids_res_2'));
});

t.test('PutSecretValue is idempotent on ClientRequestToken', async (t) => {
  const { client, sim } = await setup(t);
  await client.send(new CreateSecretCommand({ Name: NAME, SecretString: 'v1', ClientRequestToken: token(1) }));
  const first = await client.send(new PutSecretValueCommand({ SecretId: NAME, SecretString: 'v2', ClientRequestToken: token(2) }));
  const again = await client.send(new PutSecretValueCommand({ SecretId: NAME, SecretString: 'v2', ClientRequestToken: token(2) }));
  t.equal(again.VersionId, first.VersionId);
  t.same(again.VersionStages, ['AWSCURRENT']);
  t.equal(sim.secret(NAME)!.versions.length, 2, 'the retry made no new version');
  await t.rejects(client.send(new PutSecretValueCommand({ SecretId: NAME, SecretString: 'other', ClientRequestToken: token(2) })), {
    name: 'ResourceExistsException',
    $metadata: { httpStatusCode: 400 },
  });
  t.equal(sim.secret(NAME)!.versions[1]!.secretString, 'v2', 'the version was not modified');
});

t.test('errors carry __type, x-amzn-ErrorType and the messages AWS gives', async (t) => {
  const { client, wire } = await setup(t);
  await t.rejects(client.send(new GetSecretValueCommand({ SecretId: 'missing' })), {
    name: 'ResourceNotFoundException',
    message: errorMessage('test_secret_not_found', 'get_secret_value_not_found_ex'),
    $metadata: { httpStatusCode: 400 },
  });
  const raw = wire.at(-1)!;
  t.equal(raw.status, 400);
  t.equal(raw.headers['x-amzn-errortype'], 'ResourceNotFoundException');
  t.same(JSON.parse(raw.body), { __type: 'ResourceNotFoundException', Message: "Secrets Manager can't find the specified secret." });
  await t.rejects(client.send(new ListSecretVersionIdsCommand({ SecretId: 'missing' })), {
    name: 'ResourceNotFoundException',
    message: errorMessage('test_secret_not_found', 'list_secret_version_ids_not_found_ex'),
  });

  await client.send(new CreateSecretCommand({ Name: NAME, SecretString: 'v1', ClientRequestToken: token(1) }));
  await t.rejects(client.send(new CreateSecretCommand({ Name: NAME, SecretString: 'x' })), {
    name: 'ResourceExistsException',
    message: errorMessage('test_secret_exists_snapshots', 'ex_log').replace('<SecretId-0idx>', NAME),
  });
  await t.rejects(client.send(new GetSecretValueCommand({ SecretId: NAME, VersionStage: 'AWSPREVIOUS' })), {
    name: 'ResourceNotFoundException',
    message: errorMessage('test_get_secret_value_errors', 'error_get_secret_value_non_existing'),
  });
  await t.rejects(client.send(new GetSecretValueCommand({ SecretId: NAME, VersionId: token(1), VersionStage: 'AWSPENDING' })), {
    name: 'InvalidRequestException',
    message: errorMessage('test_get_secret_value_errors', 'mismatch_version_id_and_stage'),
  });
  const notFound = snapshot('test_secret_version_not_found') as unknown as Record<string, string>;
  const sdkMessage = (key: string) => notFound[key]!.replace(/^An error occurred \(\w+\) when calling the \w+ operation: /, '');
  await t.rejects(client.send(new GetSecretValueCommand({ SecretId: NAME, VersionId: token(9) })), {
    name: 'ResourceNotFoundException',
    message: sdkMessage('get_secret_value_version_not_found_ex').replace('<version-id>', token(9)),
  });
  await t.rejects(client.send(new GetSecretValueCommand({ SecretId: NAME, VersionStage: 'AWSPENDING' })), {
    name: 'ResourceNotFoundException',
    message: sdkMessage('get_secret_value_stage_not_found_ex'),
  });
  await t.rejects(client.send(new RotateSecretCommand({ SecretId: NAME })), {
    name: 'InvalidRequestException',
    message: errorMessage('test_first_rotate_secret_with_missing_lambda_arn', 'rotate_secret_no_arn_exc'),
  });
  await t.rejects(client.send(new ListSecretVersionIdsCommand({ SecretId: NAME, NextToken: 'bm90IGEgdG9rZW4=' })), {
    name: 'InvalidNextTokenException',
  });
  await t.rejects(client.send(new PutSecretValueCommand({ SecretId: NAME, SecretString: 'v', ClientRequestToken: 'short' })), {
    name: 'ValidationException',
    message: /Value 'short' at 'clientRequestToken' failed to satisfy constraint: Member must have length greater than or equal to 32/,
  });
});

t.test('UpdateSecretVersionStage refuses what AWS refuses', async (t) => {
  const { client } = await setup(t);
  await client.send(new CreateSecretCommand({ Name: NAME, SecretString: 'v1', ClientRequestToken: token(1) }));
  await client.send(new PutSecretValueCommand({ SecretId: NAME, SecretString: 'v2', ClientRequestToken: token(2), VersionStages: ['AWSPENDING'] }));
  const before = await stagesById(client, true);
  await t.rejects(client.send(new UpdateSecretVersionStageCommand({ SecretId: NAME, VersionStage: 'AWSCURRENT', MoveToVersionId: token(2) })), {
    name: 'InvalidParameterException',
    message: `The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently attached to version ${token(1)}, so you must explicitly reference that version in RemoveFromVersionId.`,
  });
  await t.rejects(
    client.send(new UpdateSecretVersionStageCommand({ SecretId: NAME, VersionStage: 'AWSCURRENT', MoveToVersionId: token(2), RemoveFromVersionId: token(2) })),
    { name: 'InvalidParameterException', message: /RemoveFromVersionId doesn't match.*attached to version 0+-0000-4000-8000-0+1/ },
  );
  await t.rejects(
    client.send(new UpdateSecretVersionStageCommand({ SecretId: NAME, VersionStage: 'AWSCURRENT', MoveToVersionId: token(7), RemoveFromVersionId: token(1) })),
    { name: 'InvalidParameterException', message: `Not a valid version: ${token(7)}` },
  );
  await t.rejects(client.send(new UpdateSecretVersionStageCommand({ SecretId: NAME, VersionStage: 'AWSCURRENT', RemoveFromVersionId: token(1) })), {
    name: 'InvalidParameterException',
  });
  await t.rejects(client.send(new UpdateSecretVersionStageCommand({ SecretId: 'missing', VersionStage: 'X', MoveToVersionId: token(1) })), {
    name: 'ResourceNotFoundException',
  });
  t.same(await stagesById(client, true), before, 'nothing moved');
  // A custom label: added without RemoveFromVersionId, then removed, leaving nothing behind.
  await client.send(new UpdateSecretVersionStageCommand({ SecretId: NAME, VersionStage: 'BLUE', MoveToVersionId: token(1) }));
  t.same((await stagesById(client))[token(1)], ['AWSCURRENT', 'BLUE']);
  await client.send(new UpdateSecretVersionStageCommand({ SecretId: NAME, VersionStage: 'BLUE', RemoveFromVersionId: token(1) }));
  t.same(await stagesById(client, true), before);
});

/** A rotation function like AWS's template, on its own client; its key service makes "rotated-<n>" values. */
function templateFunction(t: Test, url: string, testKey: (value: string) => void = () => {}) {
  const lambda = new SecretsManagerClient(clientConfig(url));
  t.teardown(() => lambda.destroy());
  const created: string[] = [];
  const events: RotationEvent[] = [];
  const inner = templateRotation(lambda, {
    createKey: async () => {
      created.push(`rotated-${created.length + 1}`);
      return created.at(-1)!;
    },
    testKey: async (value) => testKey(value),
  });
  return { lambda, created, events, fn: async (e: RotationEvent) => (events.push(e), inner(e)) };
}

const LAMBDA = 'arn:aws:lambda:us-east-1:111111111111:function:rotate-bybit';

t.test('RotateSecret runs the rotation function in four steps, AWSPENDING until finishSecret', async (t) => {
  const seen: Record<string, Record<string, string[]>> = {};
  const { client, sim, server } = await setup(t);
  const f = templateFunction(t, server.url);
  sim.setRotationFunction(LAMBDA, async (event) => {
    if (event.Step === 'createSecret') seen.createSecret = await stagesById(f.lambda);
    if (event.Step === 'testSecret') seen.testSecret = await stagesById(f.lambda);
    await f.fn(event);
  });
  await client.send(new CreateSecretCommand({ Name: NAME, SecretString: 'original', ClientRequestToken: token(1), Description: 'bybit key' }));
  const out = await client.send(
    new RotateSecretCommand({ SecretId: NAME, RotationLambdaARN: LAMBDA, RotationRules: { AutomaticallyAfterDays: 1 }, ClientRequestToken: token(2) }),
  );
  t.same(members(out), members(snapshot('test_rotate_secret_with_lambda_success[True]').rotate_secret_immediately!));
  t.equal(out.VersionId, token(2));
  const [record] = await sim.rotationsSettled();
  const rotationToken = record!.rotationToken;
  t.same(record, { secret: NAME, token: token(2), rotationToken, attempts: [{ completedSteps: ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] }], outcome: 'succeeded' });
  const arn = sim.secret(NAME)!.arn;
  t.same(
    f.events,
    ['createSecret', 'setSecret', 'testSecret', 'finishSecret'].map((Step) => ({ Step, SecretId: arn, ClientRequestToken: token(2), RotationToken: rotationToken })),
    "every step gets the rotation's RotationToken",
  );
  t.same(seen.createSecret, { [token(1)]: ['AWSCURRENT'], [token(2)]: ['AWSPENDING'] }, 'the version exists, AWSPENDING, before the first step');
  t.same(seen.testSecret, { [token(1)]: ['AWSCURRENT'], [token(2)]: ['AWSPENDING'] }, 'pending while testing');
  t.same(f.created, ['rotated-1']);
  const described = await client.send(new DescribeSecretCommand({ SecretId: NAME }));
  t.same(members(described), members(snapshot('test_rotate_secret_with_lambda_success[True]').describe_secret_rotated!));
  t.same(described.VersionIdsToStages, { [token(1)]: ['AWSPREVIOUS'], [token(2)]: ['AWSCURRENT'] }, 'as recorded: AWSPENDING gone');
  t.same([described.RotationEnabled, described.RotationLambdaARN, described.RotationRules], [true, LAMBDA, { AutomaticallyAfterDays: 1 }]);
  t.equal(described.LastRotatedDate?.getTime(), START);
  t.equal(described.NextRotationDate?.getTime(), START + 86_400_000);
  t.equal((await client.send(new GetSecretValueCommand({ SecretId: NAME }))).SecretString, 'rotated-1');
});

t.test('the version RotateSecret creates is AWSPENDING and empty until the function puts its value', async (t) => {
  const { client, sim } = await setup(t);
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  sim.setRotationFunction(LAMBDA, () => held);
  sim.seedSecret({ name: NAME, rotationLambdaArn: LAMBDA, versions: [{ versionId: token(1), secretString: 'good', stages: ['AWSCURRENT'] }] });
  await client.send(new RotateSecretCommand({ SecretId: NAME, ClientRequestToken: token(2) }));
  t.same(await stagesById(client), { [token(1)]: ['AWSCURRENT'], [token(2)]: ['AWSPENDING'] });
  await t.rejects(client.send(new GetSecretValueCommand({ SecretId: NAME, VersionId: token(2), VersionStage: 'AWSPENDING' })), {
    name: 'ResourceNotFoundException',
    message: `Secrets Manager can't find the specified secret value for VersionId: ${token(2)}`,
  });
  await t.rejects(client.send(new GetSecretValueCommand({ SecretId: NAME, VersionStage: 'AWSPENDING' })), {
    name: 'ResourceNotFoundException',
    message: snapshot('test_secret_version_not_found').get_secret_value_stage_not_found_ex!.toString().replace(/^.*: (?=Secrets Manager)/, ''),
  });
  // PutSecretValue under the token fills that version in; a second, different value is refused.
  const put = await client.send(new PutSecretValueCommand({ SecretId: NAME, ClientRequestToken: token(2), SecretString: 'new', VersionStages: ['AWSPENDING'] }));
  t.same(put.VersionStages, ['AWSPENDING']);
  t.equal((await client.send(new GetSecretValueCommand({ SecretId: NAME, VersionId: token(2), VersionStage: 'AWSPENDING' }))).SecretString, 'new');
  await t.rejects(client.send(new PutSecretValueCommand({ SecretId: NAME, ClientRequestToken: token(2), SecretString: 'other', VersionStages: ['AWSPENDING'] })), { name: 'ResourceExistsException' });
  await t.rejects(client.send(new RotateSecretCommand({ SecretId: NAME, ClientRequestToken: token(3) })), {
    name: 'InvalidRequestException',
    message: "A previous rotation isn't complete. That rotation will be reattempted.",
  });
  release();
  await sim.rotationsSettled();
});

t.test('a failed step: Secrets Manager retries the whole rotation on its own, under the same token', async (t) => {
  const { client, sim, server, clock } = await setup(t, { rotationRetries: { retries: 2, delayMs: 60_000 } });
  let refusals = 1;
  const f = templateFunction(t, server.url, () => {
    if (refusals-- > 0) throw new Error('the exchange does not accept the new key yet');
  });
  sim.setRotationFunction(LAMBDA, f.fn);
  sim.seedSecret({ name: NAME, rotationLambdaArn: LAMBDA, versions: [{ versionId: token(1), secretString: 'good', stages: ['AWSCURRENT'] }] });
  await client.send(new RotateSecretCommand({ SecretId: NAME, ClientRequestToken: token(2) }));
  const settled = sim.rotationsSettled();
  while (sim.rotations[0]?.attempts[0]?.error === undefined) await new Promise((resolve) => setImmediate(resolve));
  // Between the runs: AWSPENDING on the new version, and RotateSecret refuses another rotation.
  t.same(await stagesById(client), { [token(1)]: ['AWSCURRENT'], [token(2)]: ['AWSPENDING'] });
  await t.rejects(client.send(new RotateSecretCommand({ SecretId: NAME, ClientRequestToken: token(3) })), {
    name: 'InvalidRequestException',
    message: "A previous rotation isn't complete. That rotation will be reattempted.",
  });
  await clock.advance(60_000);
  const [record] = await settled;
  t.same(record, {
    secret: NAME,
    token: token(2),
    rotationToken: record!.rotationToken,
    attempts: [
      { completedSteps: ['createSecret', 'setSecret'], error: 'testSecret: the exchange does not accept the new key yet' },
      { completedSteps: ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] },
    ],
    outcome: 'succeeded',
  });
  t.same(f.created, ['rotated-1'], 'the retry reused the pending value: one new key');
  t.same(await stagesById(client), { [token(1)]: ['AWSPREVIOUS'], [token(2)]: ['AWSCURRENT'] });
  t.equal((await client.send(new DescribeSecretCommand({ SecretId: NAME }))).LastRotatedDate?.getTime(), START + 60_000);
});

t.test('a rotation that fails every run stops, AWSPENDING left in place', async (t) => {
  const { client, sim, server } = await setup(t);
  const f = templateFunction(t, server.url, () => {
    throw new Error('new key rejected by the exchange');
  });
  sim.setRotationFunction(LAMBDA, f.fn);
  sim.seedSecret({ name: NAME, rotationLambdaArn: LAMBDA, versions: [{ versionId: token(1), secretString: 'good', stages: ['AWSCURRENT'] }] });
  await client.send(new RotateSecretCommand({ SecretId: NAME, ClientRequestToken: token(2) }));
  const [record] = await sim.rotationsSettled();
  const failed = { completedSteps: ['createSecret', 'setSecret'], error: 'testSecret: new key rejected by the exchange' };
  t.same(record, { secret: NAME, token: token(2), rotationToken: record!.rotationToken, attempts: [failed, failed, failed], outcome: 'failed' }, 'the first run and 2 retries');
  t.same(await stagesById(client), { [token(1)]: ['AWSCURRENT'], [token(2)]: ['AWSPENDING'] });
  t.notOk((await client.send(new DescribeSecretCommand({ SecretId: NAME }))).LastRotatedDate);
  await t.rejects(client.send(new RotateSecretCommand({ SecretId: NAME, ClientRequestToken: token(3) })), {
    name: 'InvalidRequestException',
    message: "A previous rotation isn't complete. That rotation will be reattempted.",
  });
});

t.test('a signature more than 5 minutes from AWS\'s clock is refused; every answer carries that clock as Date', async (t) => {
  const { sim, server } = await setup(t, { wallClock: new ManualClock(START) });
  sim.seedSecret({ name: NAME, secretString: 'v' });
  // An SDK whose host clock is off by `skewMs` from AWS's (START); maxAttempts 1 so nothing corrects it behind our back.
  const skewed = (skewMs: number) => {
    const c = new SecretsManagerClient({ ...clientConfig(server.url), maxAttempts: 1, systemClockOffset: START + skewMs - Date.now() });
    t.teardown(() => c.destroy());
    return c;
  };
  const behind = skewed(-6 * 60_000);
  const expired = (await behind.send(new GetSecretValueCommand({ SecretId: NAME })).then(
    () => ({}),
    (e: unknown) => e,
  )) as { $response?: { headers: Record<string, string> } };
  t.match(expired, {
    name: 'InvalidSignatureException',
    message: /^Signature expired: 20251231T2354\d\dZ is now earlier than 20251231T235500Z \(20260101T000000Z - 5 min\.\)$/,
    $metadata: { httpStatusCode: 400 },
  });
  t.equal(expired.$response?.headers.date, 'Thu, 01 Jan 2026 00:00:00 GMT', "the refusal's Date is AWS's time");
  // The SDK took its offset from that Date: the next request is signed in time.
  t.equal((await behind.send(new GetSecretValueCommand({ SecretId: NAME }))).SecretString, 'v');
  await t.rejects(skewed(6 * 60_000).send(new GetSecretValueCommand({ SecretId: NAME })), {
    name: 'InvalidSignatureException',
    message: /^Signature not yet current: 20260101T0006\d\dZ is still later than 20260101T000500Z \(20260101T000000Z \+ 5 min\.\)$/,
  });
  t.equal((await skewed(-4 * 60_000).send(new GetSecretValueCommand({ SecretId: NAME }))).SecretString, 'v', '4 minutes off is within the window');
  const ok = await fetch(server.url, { method: 'POST' });
  t.equal(ok.headers.get('date'), 'Thu, 01 Jan 2026 00:00:00 GMT');
});

t.test('calls without a valid SigV4 signature are refused', async (t) => {
  const { server } = await setup(t);
  const post = (headers: Record<string, string>) =>
    fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.GetSecretValue', ...headers },
      body: JSON.stringify({ SecretId: NAME }),
    });
  const unsigned = await post({});
  t.equal(unsigned.status, 400);
  t.equal(unsigned.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
  t.same(await unsigned.json(), { __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
  const incomplete = await post({ authorization: 'AWS4-HMAC-SHA256 Credential=AKIDLEAKGUARDTEST/20260101/us-east-1/secretsmanager/aws4_request' });
  t.equal(incomplete.status, 400);
  t.match(await incomplete.json(), {
    __type: 'IncompleteSignatureException',
    message: /requires 'Signature' parameter.*requires 'SignedHeaders' parameter.*'X-Amz-Date' or a 'Date' header/,
  });

  const config = clientConfig(server.url);
  const wrongSecret = new SecretsManagerClient({ ...config, credentials: { ...config.credentials, secretAccessKey: 'not-the-secret' } });
  const unknownKey = new SecretsManagerClient({ ...config, credentials: { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: 'x' } });
  const otherRegion = new SecretsManagerClient({ ...config, region: 'eu-west-1' });
  t.teardown(() => [wrongSecret, unknownKey, otherRegion].forEach((c) => c.destroy()));
  await t.rejects(wrongSecret.send(new GetSecretValueCommand({ SecretId: NAME })), {
    name: 'InvalidSignatureException',
    message: /^The request signature we calculated does not match the signature you provided/,
    $metadata: { httpStatusCode: 400 },
  });
  await t.rejects(unknownKey.send(new GetSecretValueCommand({ SecretId: NAME })), {
    name: 'UnrecognizedClientException',
    message: 'The security token included in the request is invalid.',
  });
  await t.rejects(otherRegion.send(new GetSecretValueCommand({ SecretId: NAME })), { name: 'InvalidSignatureException' });
});

t.test('a tampered body fails the signature check', async (t) => {
  const { client, sim } = await setup(t);
  sim.seedSecret({ name: NAME, secretString: 'v1' });
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = (args as { request: { body: string | Uint8Array } }).request;
      request.body = Buffer.from(request.body).toString('utf8').replace(NAME, 'prod/other/api');
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'tamper' },
  );
  await t.rejects(client.send(new GetSecretValueCommand({ SecretId: NAME })), { name: 'InvalidSignatureException' });
});

t.test('tests seed secrets and read the raw state, in process and over /_sim', async (t) => {
  const { client, sim, server } = await setup(t);
  const seeded = sim.seedSecret({
    name: NAME,
    versions: [
      { versionId: token(1), secretString: 'old', stages: ['AWSPREVIOUS'] },
      { versionId: token(2), secretString: 'current', stages: ['AWSCURRENT'] },
      { versionId: token(3), secretString: 'ancient' },
    ],
  });
  t.equal((await client.send(new GetSecretValueCommand({ SecretId: seeded.arn }))).SecretString, 'current');
  t.same(await stagesById(client, true), { [token(1)]: ['AWSPREVIOUS'], [token(2)]: ['AWSCURRENT'], [token(3)]: [] });
  t.throws(() => sim.seedSecret({ name: NAME }), /already exists/);

  const seed = await fetch(`${server.url}/_sim/seed`, { method: 'POST', body: JSON.stringify({ secrets: [{ name: 'prod/binance/api', secretString: 'b1' }] }) });
  t.equal(seed.status, 200);
  t.equal((await client.send(new GetSecretValueCommand({ SecretId: 'prod/binance/api' }))).SecretString, 'b1');
  const state = (await (await fetch(`${server.url}/_sim/state`)).json()) as { secrets: { name: string; versions: { stages: string[]; secretString: string }[] }[] };
  t.same(
    state.secrets.map((s) => [s.name, s.versions.map((v) => [v.secretString, v.stages])]),
    [
      [NAME, [['old', ['AWSPREVIOUS']], ['current', ['AWSCURRENT']], ['ancient', []]]],
      ['prod/binance/api', [['b1', ['AWSCURRENT']]]],
    ],
  );
});

t.test('ListSecretVersionIds pages with MaxResults and NextToken', async (t) => {
  const { client, sim } = await setup(t);
  sim.seedSecret({ name: NAME, versions: [1, 2, 3].map((n) => ({ versionId: token(n), secretString: `v${n}`, stages: [`S${n}`] })) });
  const ids: string[] = [];
  let NextToken: string | undefined;
  let pages = 0;
  do {
    const page = await client.send(new ListSecretVersionIdsCommand({ SecretId: NAME, MaxResults: 2, NextToken }));
    ids.push(...page.Versions!.map((v) => v.VersionId!));
    NextToken = page.NextToken;
    pages++;
  } while (NextToken);
  t.equal(pages, 2);
  t.same(ids, [token(1), token(2), token(3)]);
});
