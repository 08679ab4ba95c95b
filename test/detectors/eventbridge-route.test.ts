import { randomUUID } from 'node:crypto';
import t, { type Test } from 'tap';
import { prng, randomJson } from '../helpers/fuzz.js';
import { apiCallEvent, eventBridgeSetup, findingEvent, post, type Answer, type EventBridgeSetup } from '../helpers/eventbridge.js';
import { WORLD } from '../sim/world.js';

const PROBLEM = /^application\/problem\+json/;
const OLD_KEY_ID = 'prod/leakguard/eventbridge-api-key-old';

function problem(t: Test, a: Answer, status: number, detail: RegExp, what: string) {
  t.equal(a.status, status, `${what}: ${status}`);
  t.match(a.type, PROBLEM, `${what}: a problem+json`);
  t.match(a.body, { status, title: String, detail, instance: '/events/eventbridge' }, `${what}: the detail says what to do`);
}

/** What an event could leave behind: signals and this detector's work items. */
async function stored(s: EventBridgeSetup) {
  return { signals: await s.ts.store.listSignals({}), work: await s.ts.store.listWork({ kind: 'eventbridge.event', limit: 10_000 }) };
}

t.test('refusals store nothing: missing or wrong key 401, malformed JSON or events 400, over the limit 413, not JSON 415', async (t) => {
  const s = await eventBridgeSetup(t, { server: { bodyLimit: 4096 } });
  const event = JSON.stringify(apiCallEvent({ secretId: WORLD.secretId, role: 'arn:aws:iam::123456789012:role/intruder' }));
  problem(t, await post(s.url, event, {}), 401, /x-api-key header is missing/, 'no key');
  problem(t, await post(s.url, event, { 'x-api-key': `${s.apiKey}x` }), 401, /does not match detectors\.eventbridge\.apiKey/, 'a wrong key');
  problem(t, await post(s.url, event, { 'x-api-key': s.apiKey.slice(0, 8) }), 401, /does not match/, 'a prefix of the key');
  problem(t, await post(s.url, '{"version":"0",', { 'x-api-key': s.apiKey }), 400, /not valid JSON/, 'malformed JSON');
  problem(t, await post(s.url, '[]', { 'x-api-key': s.apiKey }), 400, /empty array/, 'no events');
  problem(t, await post(s.url, '', { 'x-api-key': s.apiKey }), 400, /empty/, 'an empty body');
  const noId = JSON.parse(event);
  delete noId.id;
  const a = await post(s.url, JSON.stringify([JSON.parse(event), noId]), { 'x-api-key': s.apiKey });
  problem(t, a, 400, /lacks what LeakGuard reads/, 'an event without its id');
  t.match(a.body.errors, [/^\[1\]\/id /], 'the errors name the event and field');
  const noEventId = JSON.parse(event);
  delete noEventId.detail.eventID;
  problem(t, await post(s.url, JSON.stringify(noEventId), { 'x-api-key': s.apiKey }), 400, /lacks/, 'a CloudTrail record without its eventID');
  problem(t, await post(s.url, JSON.stringify([JSON.parse(event), { ...JSON.parse(event), padding: 'x'.repeat(5000) }]), { 'x-api-key': s.apiKey }), 413, /server\.bodyLimit/, 'over the limit');
  problem(t, await post(s.url, event, { 'x-api-key': s.apiKey, 'content-type': 'text/plain' }), 415, /application\/json/, 'not JSON');
  problem(t, await post(s.url, 'x'.repeat(10_000), { 'x-api-key': 'wrong' }), 401, /does not match/, 'a wrong key with a big body: 401 before the body is read');
  t.same(await stored(s), { signals: [], work: [] }, 'nothing stored');
});

t.test('one event or an array; a redelivery (same id) and a second rule (same eventID) are stored once; previous keys are accepted', async (t) => {
  const s = await eventBridgeSetup(t, { eventbridge: { previousApiKeys: [{ secretsManager: OLD_KEY_ID }] } });
  const oldKey = `ebk_old_${randomUUID()}`;
  s.e2e.world.secretsManager.seedSecret({ name: OLD_KEY_ID, secretString: oldKey });
  const one = apiCallEvent({ secretId: WORLD.secretId, role: 'arn:aws:iam::123456789012:role/intruder' });
  const first = await post(s.url, JSON.stringify(one), { 'x-api-key': s.apiKey });
  t.match(first, { status: 202, body: { status: 'accepted', queued: 1, duplicates: 0 } });
  t.match(await post(s.url, JSON.stringify(one), { 'x-api-key': s.apiKey }), { status: 202, body: { queued: 0, duplicates: 1 } }, 'EventBridge retried it');
  t.match(await post(s.url, JSON.stringify({ ...one, id: randomUUID() }), { 'x-api-key': oldKey }), { status: 202, body: { queued: 0, duplicates: 1 } }, 'another rule sent the same CloudTrail event, with the previous key');
  const two = [findingEvent({ id: 'f-a', severity: 8, userName: 'bybit-bot' }), findingEvent({ id: 'f-b', severity: 8, userName: 'bybit-bot' })];
  t.match(await post(s.url, JSON.stringify(two), { 'x-api-key': s.apiKey }), { status: 202, body: { queued: 2, duplicates: 0 } }, 'an array');
  t.same((await stored(s)).work.map((w) => w.id).sort(), [`eventbridge.event:ct:${one.detail.eventID}`, 'eventbridge.event:gd:f-a:' + two[0]!.detail.updatedAt, 'eventbridge.event:gd:f-b:' + two[1]!.detail.updatedAt].sort());
  await s.w.ended('eventbridge.event', 'done', 3);
  t.equal((await stored(s)).signals.filter((x) => x.kind === 'aws.secret.unexpected_principal').length, 1, 'its signal once');
});

t.test('the store unavailable: 503, so EventBridge retries', async (t) => {
  const s = await eventBridgeSetup(t);
  // The key is read first (it is kept once read); then the store goes away.
  t.equal((await post(s.url, JSON.stringify(findingEvent({ severity: 2, userName: 'x' })), { 'x-api-key': s.apiKey })).status, 202);
  await s.ts.store.close();
  const a = await post(s.url, JSON.stringify(apiCallEvent({ secretId: WORLD.secretId })), { 'x-api-key': s.apiKey });
  problem(t, a, 503, /could not store the events.*retries/, 'a closed store');
  const decoy = await post(s.url, JSON.stringify(apiCallEvent({ secretId: 'prod/bybit/api-backup' })), { 'x-api-key': s.apiKey });
  problem(t, decoy, 503, /could not store/, 'a decoy read whose signal cannot be stored');
});

t.test('fuzz: random bodies and keys never get a 5xx, and only well-formed events with the key are stored', { timeout: 120_000 }, async (t) => {
  const s = await eventBridgeSetup(t, { server: { bodyLimit: 16_384 } });
  const SEED = Number(process.env.FUZZ_SEED ?? 20261203);
  const r = prng(SEED);
  const KEYS = ['version', 'id', 'detail-type', 'source', 'detail', 'resources', 'eventID', 'eventName', 'eventSource', 'requestParameters', 'secretId', 'userIdentity', 'arn', 'severity', 'type'];
  const statuses: Record<number, number> = {};
  const queued = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const valid = apiCallEvent({ secretId: WORLD.secretId, role: 'arn:aws:iam::123456789012:role/intruder' });
    const kind = r.int(100);
    let body: string | Buffer;
    if (kind < 25) body = JSON.stringify(randomJson(r, 4, KEYS)) ?? 'null';
    else if (kind < 40) body = r.bytes(r.int(300));
    else if (kind < 55) {
      const e: any = structuredClone(valid);
      const spots: [any, string][] = [[e, 'id'], [e, 'detail-type'], [e, 'detail'], [e, 'resources'], [e.detail, 'eventID'], [e.detail, 'eventName'], [e.detail, 'userIdentity'], [e.detail, 'requestParameters']];
      const [obj, key] = r.pick(spots);
      obj[key] = r.pick([null, '', 0, [], {}, true, 'x'.repeat(3000), -1]);
      body = JSON.stringify(e);
    } else if (kind < 65) body = JSON.stringify(Array.from({ length: 1 + r.int(3) }, () => apiCallEvent({ secretId: WORLD.secretId })));
    else if (kind < 75) body = 'x'.repeat(16_385 + r.int(1000));
    else body = JSON.stringify(valid);
    const keyed = r.next() < 0.8;
    const headers: Record<string, string> = keyed ? { 'x-api-key': s.apiKey } : r.next() < 0.5 ? {} : { 'x-api-key': r.unicode(r.int(40)) || 'k' };
    if (r.next() < 0.1) headers['content-type'] = r.pick(['text/plain', 'application/x-www-form-urlencoded', 'application/json;;', '']);
    const a = await post(s.url, body, headers);
    statuses[a.status] = (statuses[a.status] ?? 0) + 1;
    t.ok(a.status < 500, `seed ${SEED}, request #${i}: no 5xx (got ${a.status})`);
    if (a.status !== 202) t.match(a.type, PROBLEM, `seed ${SEED}, request #${i}: a refusal is a problem`);
    else {
      t.ok(keyed, `seed ${SEED}, request #${i}: accepted only with the key`);
      const events = [JSON.parse(body.toString())].flat();
      for (const e of events) queued.add(`eventbridge.event:ct:${e.detail.eventID}`);
    }
  }
  t.comment(`seed ${SEED}: answers ${JSON.stringify(statuses)}`);
  for (const status of [202, 400, 401, 413]) t.ok(statuses[status], `seed ${SEED}: the run reached ${status}`);
  t.same((await stored(s)).work.map((w) => w.id).sort(), [...queued].sort(), `seed ${SEED}: one work item per accepted event, nothing else`);
});
