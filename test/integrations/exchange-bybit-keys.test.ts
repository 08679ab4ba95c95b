import t from 'tap';
import { IntegrationError } from '../../src/integrations/errors.js';
import { ManualClock, systemClock } from '../../src/core/clock.js';
import { UNPROVEN } from '../../src/core/revocation.js';
import { BybitExchange } from '../../src/integrations/exchanges/bybit/exchange.js';
import { LEAKGUARD_IP, startBybit } from '../sim/bybit/testkit.js';
import { bybitWorld, drive, failure, FAST, material } from './exchange-kit.js';

const DAY = 86_400_000;

t.test('describeKey reports what query-api says about a working key, never the secret', async (t) => {
  const w = await bybitWorld(t.teardown);
  const bybit = w.bybit();
  t.same(await bybit.describeKey(w.masterKey), {
    keyId: w.master.apiKey,
    account: String(w.masterUid),
    note: 'leakguard',
    readOnly: false,
    permissions: { Wallet: ['AccountTransfer', 'SubMemberTransfer'] },
    ips: [LEAKGUARD_IP],
    expiresAt: null,
    // query-api's createdAt, to the second: what the scheduled-rotation check takes the key's age from.
    createdAt: Math.floor(w.master.createdAt / 1000) * 1000,
    isMaster: true,
  });
  const bot = await bybit.describeKey(w.botKey);
  t.match(bot, { account: String(w.subUid), note: 'bot', isMaster: false, ips: [], readOnly: false });
  t.same(bot.permissions, { ContractTrade: ['Order', 'Position'], Spot: ['SpotTrade'], Wallet: ['AccountTransfer'] });
  // The simulator reports expiry to the second.
  t.equal(bot.expiresAt, Math.floor((w.bot.createdAt + 90 * DAY) / 1000) * 1000, 'an unbound key dies after 90 days');
  t.equal(w.scrubber.scrub(`${w.bot.secret} ${w.master.apiKey}`), '[REDACTED] [REDACTED]', 'both keys were registered with the scrubber');
});

t.test('createKey makes a sub-account key with permissions, IPs and note; listKeys pages to find it; revokeKey with the master key deletes it at once', async (t) => {
  const w = await bybitWorld(t.teardown);
  // More keys than one page (20) holds, so finding the new one needs the cursor.
  for (let i = 0; i < 21; i++) w.sim.addKey({ uid: w.subUid, note: `old-${i}`, ips: ['10.9.9.9'] });
  const bybit = w.bybit();
  const created = await bybit.createKey(w.masterKey, {
    account: String(w.subUid),
    note: 'lg-inc-7-rotate-1',
    readOnly: false,
    permissions: { ContractTrade: ['Order', 'Position'], Spot: ['SpotTrade'] },
    ips: ['10.1.1.1', LEAKGUARD_IP],
  });
  t.match(created.material, { apiKey: /^[A-Za-z0-9]{18}$/, apiSecret: /^[A-Za-z0-9]{36}$/ });
  t.equal(w.scrubber.scrub(created.material.apiSecret), '[REDACTED]', 'the new secret is scrubbed from now on');
  t.equal(w.scrubber.scrub(created.material.apiKey), '[REDACTED]');
  t.same(created.info, {
    keyId: created.material.apiKey,
    account: String(w.subUid),
    note: 'lg-inc-7-rotate-1',
    readOnly: false,
    permissions: { ContractTrade: ['Order', 'Position'], Spot: ['SpotTrade'] },
    ips: ['10.1.1.1', LEAKGUARD_IP],
    expiresAt: null,
    isMaster: false,
  });
  const stored = w.sim.keys().find((k) => k.apiKey === created.material.apiKey)!;
  t.match(stored, { uid: w.subUid, note: 'lg-inc-7-rotate-1', readOnly: 0, ips: ['10.1.1.1', LEAKGUARD_IP] });
  t.equal(stored.secret, created.material.apiSecret);

  const listed = await bybit.listKeys(w.masterKey, String(w.subUid));
  t.equal(listed.length, 23, 'the bot key, 21 old keys and the new one, over two pages');
  t.equal(w.sim.callsBy(w.master.apiKey).filter((c) => c.path === '/v5/user/sub-apikeys').length, 2);
  const found = listed.find((k) => k.note === 'lg-inc-7-rotate-1');
  t.match(found, { keyId: created.material.apiKey, ips: ['10.1.1.1', LEAKGUARD_IP], readOnly: false, expiresAt: null });
  t.notMatch(JSON.stringify(listed), /\*\*\*\*\*\*/, 'no masked secret field comes through');

  t.match(await bybit.describeKey(created.material), { keyId: created.material.apiKey, account: String(w.subUid) }, 'the new key works');
  const listing = { proof: 'listing', evidence: `the master key's listing of account ${w.subUid} no longer has key ${created.material.apiKey.slice(0, 4)}…` };
  t.same(await bybit.revokeKey({ keyId: created.material.apiKey, master: w.masterKey, account: String(w.subUid) }), { alreadyGone: false, ...listing });
  const err = await failure(bybit.describeKey(created.material));
  t.type(err, IntegrationError);
  t.match(err, { kind: 'invalid_key', code: 10003, retryable: false });
  t.same(await bybit.revokeKey({ keyId: created.material.apiKey, master: w.masterKey, account: String(w.subUid) }), { alreadyGone: true, ...listing }, 'a second delete finds it gone');
  t.same(w.sim.callsBy(w.master.apiKey).filter((c) => c.path === '/v5/user/delete-sub-api').map((c) => c.retCode), [0, 10001]);
  t.same(
    // Pages of one listing collapse into one entry.
    w.sim.callsBy(w.master.apiKey).map((c) => c.path).filter((p, i, all) => p !== all[i - 1]).slice(-4),
    ['/v5/user/delete-sub-api', '/v5/user/sub-apikeys', '/v5/user/delete-sub-api', '/v5/user/sub-apikeys'],
    'every delete is followed by the listing that proves it',
  );
});

t.test('revokeKey does not call a key gone while the sub-account still lists it', async (t) => {
  const w = await bybitWorld(t.teardown);
  w.sim.faults.inject('POST /v5/user/delete-sub-api', { kind: 'error', status: 200, body: { retCode: 10001, retMsg: 'params error', result: {}, retExtInfo: {}, time: Date.now() } });
  const err = await failure(w.bybit().revokeKey({ keyId: w.bot.apiKey, master: w.masterKey, account: String(w.subUid) }));
  t.match(err, { kind: 'invalid_request', code: 10001, retryable: false });
  t.equal(w.sim.keys().find((k) => k.apiKey === w.bot.apiKey)?.deletedAt, null, 'the key lives');
  t.same(w.sim.faults.calls.filter((op) => op.includes('/v5/user/')), ['POST /v5/user/delete-sub-api', 'GET /v5/user/sub-apikeys'], 'it looked before answering');
});

t.test('revokeKey without a sub-account deletes a master key by signing delete-api with that key, and a sub key with delete-sub-api; 10003 with the master key working proves it', async (t) => {
  const w = await bybitWorld(t.teardown);
  const leaked = w.sim.addKey({ uid: w.masterUid, note: 'leaked', permissions: { Wallet: ['AccountTransfer'] } });
  const bybit = w.bybit();
  const proof = (k: { apiKey: string }) => ({ proof: 'invalid_key', evidence: `key ${k.apiKey.slice(0, 4)}… answers 10003 (invalid key) while LeakGuard's master key works on the same base URL` });
  t.same(await bybit.revokeKey({ keyId: leaked.apiKey, material: material(leaked), master: w.masterKey }), { alreadyGone: false, ...proof(leaked) });
  t.same(
    w.sim.callsBy(leaked.apiKey).map((c) => [c.method, c.path, c.retCode]),
    [
      ['GET', '/v5/user/query-api', 0],
      ['POST', '/v5/user/delete-api', 0],
      ['GET', '/v5/user/query-api', 10003],
    ],
    'signed by the leaked key itself, with no key id, then shown dead',
  );
  t.same(w.sim.callsBy(w.master.apiKey).map((c) => [c.path, c.retCode]), [['/v5/user/query-api', 0]], 'the master key authenticated on the same base URL');
  t.not(w.sim.keys().find((k) => k.apiKey === leaked.apiKey)?.deletedAt, null);
  t.equal(w.sim.keys().filter((k) => k.deletedAt !== null).length, 1, 'LeakGuard\'s own master key lives');
  t.same(await bybit.revokeKey({ keyId: leaked.apiKey, material: material(leaked), master: w.masterKey }), { alreadyGone: true, ...proof(leaked) }, 'an already deleted key (10003) is gone');

  t.same(await bybit.revokeKey({ keyId: w.bot.apiKey, material: w.botKey, master: w.masterKey }), { alreadyGone: false, ...proof(w.bot) });
  const botCalls = w.sim.callsBy(w.bot.apiKey);
  t.match(botCalls.at(-2), { path: '/v5/user/delete-sub-api', params: {} }, 'a sub-account key deletes itself without naming a key');
  t.not(w.sim.keys().find((k) => k.apiKey === w.bot.apiKey)?.deletedAt, null);
});

t.test('an acknowledged delete is no revocation while the sub-account still lists the key', async (t) => {
  const w = await bybitWorld(t.teardown);
  // Bybit says OK, and the key lives on (the answer of a proxy, a stale replica, a changed API).
  w.sim.faults.inject('POST /v5/user/delete-sub-api', { kind: 'error', status: 200, body: { retCode: 0, retMsg: '', result: {}, retExtInfo: {}, time: Date.now() } });
  const err = await failure(w.bybit().revokeKey({ keyId: w.bot.apiKey, master: w.masterKey, account: String(w.subUid) }));
  t.match(err, { code: UNPROVEN, retryable: false, message: /acknowledged, yet the master key's listing of account 53888000 still has it/ });
  t.equal(w.sim.keys().find((k) => k.apiKey === w.bot.apiKey)?.deletedAt, null, 'the key lives');
});

t.test('a 10003 on the wrong base URL (testnet for a mainnet key) is no revocation', async (t) => {
  const mainnet = await bybitWorld(t.teardown);
  const testnet = await startBybit(t.teardown);
  const wrong = new BybitExchange({ baseUrl: testnet.sim.url, headers: { 'x-sim-client-ip': LEAKGUARD_IP } }, { clock: systemClock, scrubber: mainnet.scrubber, policy: FAST });
  const err = await failure(wrong.revokeKey({ keyId: mainnet.bot.apiKey, material: mainnet.botKey, master: mainnet.masterKey }));
  t.match(err, { code: UNPROVEN, message: /answers 10003 \(invalid key\), but so does LeakGuard's master key: the base URL may be the wrong domain.*check exchanges\.bybit\.baseUrl/ });
  const alone = await failure(wrong.revokeKey({ keyId: mainnet.bot.apiKey, material: mainnet.botKey }));
  t.match(alone, { code: UNPROVEN, message: /no other key of LeakGuard's shows that this base URL is the key's domain/ }, 'nor without a master key to check the domain with');
  const listed = await failure(wrong.revokeKey({ keyId: mainnet.bot.apiKey, master: mainnet.masterKey, account: String(mainnet.subUid) }));
  t.match(listed, { kind: 'invalid_key', code: 10003 }, 'the master key cannot list there either: no proof');
  t.equal(mainnet.sim.keys().find((k) => k.apiKey === mainnet.bot.apiKey)?.deletedAt, null, 'the leaked key lives on mainnet');
});

t.test('an authentication failure other than 10003 (10007, HTTP 401) proves nothing', async (t) => {
  const w = await bybitWorld(t.teardown);
  w.sim.faults.inject('GET /v5/user/query-api', { kind: 'error', status: 401, body: { retCode: 10007, retMsg: 'User authentication failed.', result: {}, retExtInfo: {}, time: Date.now() } });
  const err = await failure(w.bybit().revokeKey({ keyId: w.bot.apiKey, material: w.botKey, master: w.masterKey }));
  t.match(err, { kind: 'invalid_key', code: 10007 });
  t.equal(w.sim.keys().find((k) => k.apiKey === w.bot.apiKey)?.deletedAt, null, 'the key lives');
});

t.test('a key without the permission gets the typed no_permission error, not retried', async (t) => {
  const w = await bybitWorld(t.teardown);
  const err = await failure(w.bybit().createKey(w.botKey, { account: String(w.subUid), note: 'x', readOnly: true, permissions: { Spot: ['SpotTrade'] }, ips: [] }));
  t.match(err, { kind: 'no_permission', code: 10005, retryable: false, message: /lacks the permission/ });
  t.equal(w.sim.callsBy(w.bot.apiKey).length, 1, 'a 4xx meaning "wrong" is never retried');
  t.equal(w.sim.keys().length, 2, 'no key was created');
});

t.test('deleting many sub-account keys keeps to delete-sub-api\'s 5 requests/s: no 10006', async (t) => {
  const clock = new ManualClock(Date.now());
  const w = await bybitWorld(t.teardown, { clock });
  const keys = Array.from({ length: 7 }, (_, i) => w.sim.addKey({ uid: w.subUid, note: `k-${i}` }));
  const bybit = w.bybit();
  const start = clock.now();
  await drive(
    clock,
    (async () => {
      for (const k of keys) await bybit.revokeKey({ keyId: k.apiKey, master: w.masterKey, account: String(w.subUid) });
    })(),
    50,
  );
  const deletes = w.sim.callsBy(w.master.apiKey).filter((c) => c.path === '/v5/user/delete-sub-api');
  t.same(deletes.map((c) => c.retCode), Array(7).fill(0), 'every delete within the limit');
  t.ok(deletes[5]!.at - start >= 1000, 'the sixth waited for a slot');
  t.ok(keys.every((k) => w.sim.keys().find((x) => x.apiKey === k.apiKey)?.deletedAt !== null));
});
