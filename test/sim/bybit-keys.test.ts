import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { bybitFixture, shapeDiff, startBybit } from './bybit/testkit.js';

t.test('create-sub-api: a master key creates a sub-account key and sees its secret once', async (t) => {
  const w = await startBybit(t.teardown);
  const fixture = bybitFixture<{ request_body: Record<string, unknown>; response_example: Record<string, unknown> }>('create-sub-api.json');
  const res = await w.client(w.master).createSubUIDAPIKey({
    subuid: w.subUid,
    note: 'lg-incident-42',
    readOnly: 0,
    ips: '10.1.1.1,10.1.1.2',
    permissions: { ContractTrade: ['Order', 'Position'], Wallet: ['AccountTransfer', 'Withdraw'], BlockTrade: ['BlockTrade'] },
  });
  t.equal(res.retCode, 0);
  t.same(shapeDiff(fixture.response_example, res), []);
  t.match(res.result, { note: 'lg-incident-42', readOnly: 0, apiKey: /^[A-Za-z0-9]{18}$/, secret: /^[A-Za-z0-9]{36}$/ });
  t.same(res.result.permissions.ContractTrade, ['Order', 'Position']);
  t.same(res.result.permissions.Wallet, ['AccountTransfer'], 'Withdraw is not grantable to a sub-account key');
  t.same(res.result.permissions.BlockTrade, [], 'nor BlockTrade');

  const created = w.client({ apiKey: res.result.apiKey, secret: res.result.secret }, {}, '10.1.1.2');
  const info = await created.getQueryApiKey();
  t.equal(info.retCode, 0);
  t.match(info.result, { userID: w.subUid, isMaster: false, parentUid: String(w.masterUid), ips: ['10.1.1.1', '10.1.1.2'], secret: '' });
  t.same({ expiredAt: info.result.expiredAt, deadlineDay: info.result.deadlineDay }, { expiredAt: '1970-01-01T00:00:00Z', deadlineDay: -2 }, 'bound keys never expire');

  const fixtureRequest = await w.client(w.master).createSubUIDAPIKey(fixture.request_body as never);
  t.equal(fixtureRequest.retCode, 0, 'the documented request body is accepted');
});

t.test('create-sub-api is refused for a sub-account key, a master key without key-admin permission, and a foreign subuid', async (t) => {
  const w = await startBybit(t.teardown);
  const body = { subuid: w.subUid, readOnly: 0 as const, permissions: { Spot: ['SpotTrade'] } };
  t.equal((await w.client(w.bot).createSubUIDAPIKey(body)).retCode, 10005, 'a sub-account key');
  const tradeOnlyMaster = w.sim.addKey({ uid: w.masterUid, permissions: { Spot: ['SpotTrade'] } });
  t.equal((await w.client(tradeOnlyMaster).createSubUIDAPIKey(body)).retCode, 10005, 'a master key without Wallet permission');
  const readOnlyMaster = w.sim.addKey({ uid: w.masterUid, readOnly: 1, permissions: { Wallet: ['AccountTransfer'] } });
  t.equal((await w.client(readOnlyMaster).createSubUIDAPIKey(body)).retCode, 10005, 'a read-only master key');

  const otherMaster = w.sim.addMaster().uid;
  const foreign = w.sim.addSubAccount(otherMaster).uid;
  const res = await w.client(w.master).createSubUIDAPIKey({ ...body, subuid: foreign });
  t.same({ retCode: res.retCode, retMsg: res.retMsg }, { retCode: 500010, retMsg: 'The subaccount specified does not belong to the parent account' });
  t.equal((await w.client(w.master).createSubUIDAPIKey({ ...body, permissions: {} })).retCode, 10001, 'permissions are required');
  t.equal(w.sim.keys().length, 4, 'no key was created');
});

t.test('an unbound key expires after 90 days', async (t) => {
  const w = await startBybit(t.teardown);
  const res = await w.client(w.master).createSubUIDAPIKey({ subuid: w.subUid, readOnly: 1, permissions: { Spot: ['SpotTrade'] } });
  const info = await w.client({ apiKey: res.result.apiKey, secret: res.result.secret }).getQueryApiKey();
  t.same(info.result.ips, ['*']);
  t.equal(info.result.deadlineDay, 90);
  const created = Date.parse(info.result.createdAt);
  t.equal(Date.parse(info.result.expiredAt) - created, 90 * 86_400_000);
  t.match(info.result.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});

t.test('sub-apikeys lists a sub-account\'s keys by cursor, never the secrets', async (t) => {
  const w = await startBybit(t.teardown);
  for (let i = 0; i < 2; i++) w.sim.addKey({ uid: w.subUid, note: `k${i}`, ips: ['10.9.9.9'] });
  const master = w.client(w.master);
  const first = await master.getSubAccountAllApiKeys({ subMemberId: String(w.subUid), limit: 2 });
  t.equal(first.retCode, 0);
  t.equal(first.result.result.length, 2);
  t.not(first.result.nextPageCursor, '');
  const second = await master.getSubAccountAllApiKeys({ subMemberId: String(w.subUid), limit: 2, cursor: first.result.nextPageCursor });
  t.same(second.result.nextPageCursor, '');
  // The SDK types these entries as query-api's; Bybit sends the list-sub-apikeys shape.
  const all = [...first.result.result, ...second.result.result] as unknown as Record<string, unknown>[];
  t.same(all.map((k) => k.note), ['bot', 'k0', 'k1']);
  t.ok(all.every((k) => k.secret === '******'), 'secrets are masked');
  t.notMatch(JSON.stringify(all), w.bot.secret);
  t.match(all[0], { apiKey: w.bot.apiKey, status: 3, readOnly: false, type: 1, flag: 'hmac', ips: ['*'] });
  t.equal(all[1]?.['status'], 1, 'an IP-bound key is permanent');

  t.equal((await master.getSubAccountAllApiKeys({ subMemberId: String(w.subUid), limit: 21 })).retCode, 10001, 'limit is at most 20');
  t.equal((await w.client(w.bot).getSubAccountAllApiKeys({ subMemberId: String(w.subUid) })).retCode, 10005, 'master keys only');
});

t.test('delete-sub-api: the master key deletes a sub-account key by apikey; a sub key deletes itself', async (t) => {
  const w = await startBybit(t.teardown);
  const fixture = bybitFixture('delete-sub-api.json');
  const master = w.client(w.master);
  const res = await master.deleteSubApiKey({ apikey: w.bot.apiKey });
  t.same(shapeDiff(fixture.response_example, res), []);
  t.same(res.result, {});
  t.equal((await w.client(w.bot).getQueryApiKey()).retCode, 10003);
  t.equal((await master.deleteSubApiKey({ apikey: w.bot.apiKey })).retCode, 10001, 'a second delete is refused: the key is gone');
  t.equal((await master.deleteSubApiKey()).retCode, 10001, 'a master key must name the key');

  const self = w.sim.addKey({ uid: w.subUid, permissions: { Wallet: ['AccountTransfer'] } });
  t.equal((await w.client(self).deleteSubApiKey({ apikey: self.apiKey })).retCode, 10001, 'a sub key must not pass apikey');
  t.equal((await w.client(self).deleteSubApiKey()).retCode, 0);
  t.not(w.sim.keys().find((k) => k.apiKey === self.apiKey)?.deletedAt, null);
});

t.test('delete-api deletes the master key that signs it and nothing else', async (t) => {
  const w = await startBybit(t.teardown);
  const fixture = bybitFixture('delete-api.json');
  const leaked = w.sim.addKey({ uid: w.masterUid, permissions: { Wallet: ['AccountTransfer'] } });
  t.equal((await w.client(w.bot).deleteMasterApiKey()).retCode, 10005, 'not with a sub-account key');
  const res = await w.client(leaked).deleteMasterApiKey();
  t.same(shapeDiff(fixture.response_example, res), []);
  t.equal((await w.client(leaked).getQueryApiKey()).retCode, 10003);
  t.equal((await w.client(w.master).getQueryApiKey()).retCode, 0, 'the other master key lives');
  t.same(w.sim.keys().filter((k) => k.deletedAt !== null).map((k) => k.apiKey), [leaked.apiKey]);
});

t.test('query-api answers the fixture shape for the signing key', async (t) => {
  const w = await startBybit(t.teardown);
  const res = await w.client(w.master).getQueryApiKey();
  t.same(shapeDiff(bybitFixture('query-api.json').response_example, res), []);
  t.match(res.result, {
    apiKey: w.master.apiKey,
    note: 'leakguard',
    isMaster: true,
    parentUid: '0',
    userID: w.masterUid,
    readOnly: 0,
    ips: ['10.0.0.7'],
  });
  t.same(res.result.permissions.Wallet, ['AccountTransfer', 'SubMemberTransfer']);
});

t.test('create-sub-api and delete-sub-api: 5 requests per second per UID', async (t) => {
  const clock = new ManualClock(Date.now());
  const w = await startBybit(t.teardown, { clock });
  const master = w.client(w.master, { syncTimeBeforePrivateRequests: true });
  const made: string[] = [];
  for (let i = 0; i < 5; i++) {
    const res = await master.createSubUIDAPIKey({ subuid: w.subUid, note: `k-${i}`, readOnly: 1, permissions: { Spot: ['SpotTrade'] } });
    t.equal(res.retCode, 0);
    made.push(res.result.apiKey);
  }
  t.equal((await master.createSubUIDAPIKey({ subuid: w.subUid, note: 'k-5', readOnly: 1, permissions: { Spot: ['SpotTrade'] } })).retCode, 10006, 'the sixth create in the second');
  for (const apikey of made) t.equal((await master.deleteSubApiKey({ apikey })).retCode, 0);
  t.equal((await master.deleteSubApiKey({ apikey: w.bot.apiKey })).retCode, 10006, 'the sixth delete in the second');
  await clock.advance(1000);
  t.equal((await master.deleteSubApiKey({ apikey: w.bot.apiKey })).retCode, 0, 'the window moves on');
});
