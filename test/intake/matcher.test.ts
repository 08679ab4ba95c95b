import t, { type Test } from 'tap';
import { CredentialMatcher, MatchIncomplete } from '../../src/intake/matcher.js';
import { fingerprint } from '../../src/core/fingerprint.js';
import { secretJson, WORLD } from '../sim/world.js';
import { startE2E } from '../helpers/e2e.js';

async function setup(t: Test, revoked: string[] = []) {
  const e2e = await startE2E();
  t.teardown(() => e2e.close());
  const matcher = new CredentialMatcher({ credentials: e2e.config.credentials, clients: e2e.clients, revokedFingerprints: async () => new Set(revoked) });
  return { e2e, matcher, sm: e2e.world.secretsManager };
}

const listCalls = (sm: { faults: { calls: string[] } }) => sm.faults.calls.filter((c) => c === 'ListSecretVersionIds').length;

t.test('each of the key pair matches, with its stage and version; an unknown value matches nothing once the versions were read again', async (t) => {
  const { e2e, matcher, sm } = await setup(t);
  const key = e2e.world.accounts.botKey;
  const version = sm.secret(WORLD.secretId)!.versions[0]!.versionId;
  t.same(await matcher.match(key.apiKey), [{ credentialId: 'bybit-prod-trading', key: 'credential', stage: 'AWSCURRENT', versionId: version, field: 'api_key', revoked: false }]);
  t.same((await matcher.match(` ${key.secret}\n`)).map((m) => m.field), ['api_secret'], 'surrounding whitespace of a pasted value is ignored');
  const before = listCalls(sm);
  t.same(await matcher.match('not-ours-0123456789'), []);
  t.equal(listCalls(sm), before + 1, 'an unmatched value made the matcher read the versions again first');
});

t.test('questions that find nothing at the same moment share one read of the versions', async (t) => {
  const { matcher, sm } = await setup(t);
  await matcher.refresh();
  const before = listCalls(sm);
  const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => matcher.match(`unknown-value-${i}-abcdef`)));
  t.same(answers, Array.from({ length: 10 }, () => []));
  t.ok(listCalls(sm) - before <= 2, `one load (or one more for questions asked during it), not ten: ${listCalls(sm) - before}`);
});

t.test('a key proved revoked matches as revoked (audit only)', async (t) => {
  const e2e = await startE2E();
  t.teardown(() => e2e.close());
  const key = e2e.world.accounts.botKey;
  const matcher = new CredentialMatcher({ credentials: e2e.config.credentials, clients: e2e.clients, revokedFingerprints: async () => new Set([fingerprint(key.apiKey)]) });
  t.same((await matcher.match(key.apiKey)).map((m) => m.revoked), [true]);
});

t.test('Secrets Manager unreachable: a value it cannot check is never called "not ours"; what was known before still matches', async (t) => {
  const { e2e, matcher, sm } = await setup(t);
  const key = e2e.world.accounts.botKey;
  await matcher.refresh();
  sm.faults.inject('ListSecretVersionIds', { kind: 'error', status: 500, body: { __type: 'InternalServiceError', message: 'down' }, times: 100 });
  const problems = await matcher.refresh();
  t.match(problems, [{ credentialId: 'bybit-prod-trading', problem: /versions could not be listed/ }]);
  t.equal((await matcher.match(key.apiKey)).length, 1, 'the key read before still matches');
  await t.rejects(matcher.match('maybe-ours-0123456789'), MatchIncomplete, 'an unknown value cannot be called unmatched');
  sm.faults.clear();
  t.same(await matcher.match('maybe-ours-0123456789'), [], 'once it can read again, the answer is a real "not ours"');
});

t.test('the other identifiers: secret id, name or ARN, the workload, the account UID', async (t) => {
  const { e2e, matcher, sm } = await setup(t);
  await matcher.refresh();
  const arn = sm.secret(WORLD.secretId)!.arn;
  const one = [{ credentialId: 'bybit-prod-trading' }];
  t.match(matcher.matchSecret(WORLD.secretId), one);
  t.match(matcher.matchSecret(arn), one, 'the ARN (as CloudTrail names it)');
  t.match(matcher.matchSecret(`arn:aws:secretsmanager:us-east-1:111122223333:secret:${WORLD.secretId}-Zz9Yy8`), one, 'an ARN of that name, before the matcher read it');
  t.same(matcher.matchSecret('prod/other/api'), []);
  t.match(matcher.matchWorkload(WORLD.namespace, WORLD.deployment), [{ credentialId: 'bybit-prod-trading', field: 'workload' }]);
  t.same(matcher.matchWorkload(WORLD.namespace, 'other-bot'), []);
  t.match(matcher.matchUid('bybit', String(e2e.world.accounts.subUid)), [{ credentialId: 'bybit-prod-trading', field: 'uid' }]);
  t.same(matcher.matchUid('binance', String(e2e.world.accounts.subUid)), [], 'a UID is per exchange');
});

t.test('a rotation under way: the AWSPENDING key matches as such; a Lambda\'s AWSPENDING version without a value yet is skipped, not a problem', async (t) => {
  const { e2e, matcher } = await setup(t);
  const pending = { apiKey: 'PENDINGkey0123456789', secret: 'PENDINGsecret0123456789' };
  await e2e.clients.secrets.writeKey(WORLD.secretId, '00000000-0000-4000-8000-00000000aaaa', JSON.parse(secretJson(pending)), 'AWSPENDING');
  t.match(await matcher.match(pending.secret), [{ stage: 'AWSPENDING', field: 'api_secret' }]);
  // RotateSecret labels the new version AWSPENDING before the function's createSecret step puts a value in it.
  const lambdaOwned = { ...e2e.credential, id: 'bybit-lambda', secretId: 'prod/bybit/lambda-api' };
  e2e.world.secretsManager.seedSecret({ name: lambdaOwned.secretId, versions: [{ secretString: secretJson(e2e.world.accounts.botKey), stages: ['AWSCURRENT'] }, { stages: ['AWSPENDING'] }] });
  const lambda = new CredentialMatcher({ credentials: [lambdaOwned], clients: e2e.clients, revokedFingerprints: async () => new Set() });
  t.same(await lambda.refresh(), [], 'no problem to report');
  t.match(await lambda.match(e2e.world.accounts.botKey.apiKey), [{ credentialId: 'bybit-lambda', stage: 'AWSCURRENT' }]);
});
