import t from 'tap';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { checkCredentials } from '../../src/checks/credentials.js';
import { startE2E } from '../helpers/e2e.js';
import { AWS_TEST_CREDENTIALS, secretJson, WORLD } from '../sim/world.js';

t.test('a well set-up credential passes; every problem names the credential and what to change', async (t) => {
  const e = await startE2E({ replicas: 1 });
  t.teardown(() => e.close());
  t.same(await checkCredentials(e.config.credentials, e.clients), []);

  // A second egress IP that neither key is bound to.
  const problems = await checkCredentials(e.config.credentials, { ...e.clients, egressIps: [WORLD.leakguardIp, '192.0.2.50'] });
  t.equal(problems.length, 2);
  t.ok(problems.every((p) => p.credentialId === 'bybit-prod-trading'));
  t.match(problems[0]!.problem, /its key .{4}… is bound to IPs that leave out LeakGuard's egress IP\(s\) 192\.0\.2\.50; add them to the key at bybit/);
  t.match(problems[1]!.problem, /LeakGuard's master key .{4}… is not bound to LeakGuard's egress IP\(s\) 192\.0\.2\.50/);

  // A master key that can withdraw, and one that cannot create keys.
  const sm = new SecretsManagerClient({ endpoint: e.world.urls.secretsmanager, region: 'us-east-1', credentials: AWS_TEST_CREDENTIALS });
  t.teardown(() => sm.destroy());
  const risky = e.world.bybit.addKey({ uid: e.world.accounts.masterUid, permissions: { Wallet: ['AccountTransfer', 'Withdraw'] }, ips: [WORLD.leakguardIp] });
  await sm.send(new PutSecretValueCommand({ SecretId: WORLD.masterSecretId, SecretString: secretJson(risky) }));
  const withdraw = await checkCredentials(e.config.credentials, e.clients);
  t.match(withdraw, [{ credentialId: 'bybit-prod-trading', problem: /holds the Withdrawal permission; create a master key without it/ }]);
  const weak = e.world.bybit.addKey({ uid: e.world.accounts.masterUid, permissions: { Spot: ['SpotTrade'] }, ips: [WORLD.leakguardIp] });
  await sm.send(new PutSecretValueCommand({ SecretId: WORLD.masterSecretId, SecretString: secretJson(weak) }));
  t.match(await checkCredentials(e.config.credentials, e.clients), [{ problem: /lacks Wallet AccountTransfer or SubMemberTransfer/ }]);
  t.notMatch(JSON.stringify(await checkCredentials(e.config.credentials, e.clients)), weak.secret);
});

t.test('a key the exchange refuses is reported, not thrown', async (t) => {
  const e = await startE2E({ replicas: 1 });
  t.teardown(() => e.close());
  e.world.bybit.keys().find((k) => k.apiKey === e.world.accounts.botKey.apiKey)!.deletedAt = Date.now();
  const problems = await checkCredentials(e.config.credentials, e.clients);
  t.match(problems, [{ credentialId: 'bybit-prod-trading', problem: /its key could not be checked: .*invalid_key/ }]);
});

t.test("the master key must list the credential's sub-account with its key in it: that listing proves a revoke", async (t) => {
  const e = await startE2E({ replicas: 1 });
  t.teardown(() => e.close());
  const { bybit, accounts } = e.world;
  const otherMaster = bybit.addMaster().uid;
  const foreign = bybit.addSubAccount(otherMaster).uid;
  const sibling = bybit.addSubAccount(accounts.masterUid).uid;
  const withUid = (uid: number) => e.config.credentials.map((c) => ({ ...c, account: { ...c.account, uid: String(uid) } }));
  t.match(await checkCredentials(withUid(foreign), e.clients), [{ credentialId: 'bybit-prod-trading', problem: new RegExp(`LeakGuard's master key .{4}… cannot list the keys of sub-account ${foreign}, so LeakGuard could not prove a revoke: .*500010`) }]);
  t.match(await checkCredentials(withUid(sibling), e.clients), [{ problem: new RegExp(`does not see the credential's key .{4}… among sub-account ${sibling}'s keys, so LeakGuard could not prove a revoke; check account.uid and exchanges.bybit.baseUrl`) }]);
});
