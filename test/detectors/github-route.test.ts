import { createHmac, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import BetterSqlite3 from 'better-sqlite3';
import t, { type Test } from 'tap';
import { deliveryRequest, signatures, type Delivery } from '../sim/github/index.js';
import { alertPayload, locationPayload, pingPayload } from '../sim/github/payloads.js';
import { WORLD } from '../sim/world.js';
import { githubSetup, type GitHubSetup } from '../helpers/github.js';
import { prng, randomJson } from '../helpers/fuzz.js';

/** Every refusal's content type: the app's problems and those Node's parser refuses (written on the socket). */
const PROBLEM = /^application\/problem\+json/;

interface Answer {
  status: number;
  type: string;
  body: Record<string, any>;
  text: string;
}

/**
 * One POST to the listening LeakGuard over a fresh connection, with exactly these headers (values
 * are sent as their bytes: node:http, unlike fetch, takes latin1 and empty values as they are).
 * With Transfer-Encoding set the body goes in chunks, without a Content-Length.
 */
function post(url: string, headers: Record<string, string>, body: string | Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const length = 'Transfer-Encoding' in headers ? {} : { 'Content-Length': String(Buffer.byteLength(body)) };
    const req = request(url, { method: 'POST', headers: { ...length, ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: Record<string, any> = {};
        try {
          parsed = JSON.parse(text);
        } catch {
          // asserted by the caller: every answer is JSON
        }
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: parsed, text });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const send = (s: GitHubSetup, r: { headers: Record<string, string>; body: string | Buffer }) => post(s.url, r.headers, r.body);

/** Asserts a problem+json answer with this status whose detail matches. */
function problem(t: Test, a: Answer, status: number, detail: RegExp, what: string) {
  t.equal(a.status, status, `${what}: ${status}`);
  t.match(a.type, PROBLEM, `${what}: a problem+json`);
  t.match(a.body, { type: 'about:blank', status, title: String, detail, instance: '/webhooks/github', requestId: String }, `${what}: the detail says what to do`);
}

/**
 * Everything a delivery could leave behind: signals, work items of every kind, and every row of
 * the baselines table (read straight from the SQLite file: the Store reads baselines by key only).
 */
async function stored(s: GitHubSetup) {
  const db = new BetterSqlite3(s.ts.url, { readonly: true, fileMustExist: true });
  try {
    return {
      signals: await s.ts.store.listSignals({}),
      work: await s.ts.store.listWork({ limit: 100_000 }),
      baselines: db.prepare('select detector, key, value_json from baselines order by detector, key').all(),
    };
  } finally {
    db.close();
  }
}

/**
 * The learned hook ids once they are `expected` (or, given a function, once it accepts them):
 * learning is written after the answer, off the delivery's path. What they are when that has not
 * happened within 5 s: the caller asserts.
 */
async function hooksLearned(s: GitHubSetup, expected: Record<string, number> | ((hooks: Record<string, number>) => boolean)): Promise<unknown> {
  const done = typeof expected === 'function' ? expected : (h: unknown) => JSON.stringify(h) === JSON.stringify(expected);
  const giveUpAt = Date.now() + 5_000;
  for (;;) {
    const now = (await s.ts.store.getBaseline<Record<string, number>>('github', 'hooks')) ?? {};
    if (done(now) || Date.now() > giveUpAt) return now;
    await new Promise((r) => setImmediate(r));
  }
}

/** The payloads of a new alert GitHub knows of, not delivered yet (the hook is off while it is made): a foreign secret, so nothing is matched. */
async function newAlert(s: GitHubSetup) {
  const { github } = s.e2e.world;
  const repo = github.repo(`${WORLD.githubOrg}/${WORLD.githubRepo}`)!;
  s.hook.active = false;
  try {
    const { alert, commit } = await github.createAlert(repo, { secret: `NotOurs${randomUUID()}`, commit: { path: 'deploy/.env' } });
    const ctx = { urls: github.urls, repo, sender: github.actor };
    return {
      alert,
      created: alertPayload('created', alert, ctx),
      location: locationPayload(alert, { type: 'commit', commitSha: commit!.sha, path: 'docs/setup.md', startLine: 3 }, ctx),
    };
  } finally {
    s.hook.active = true;
  }
}

/** A delivery to LeakGuard from the organisation's hook, as GitHub signs and sends it. */
function delivery(s: GitHubSetup, event: string, payload: unknown, o: Partial<Delivery> = {}) {
  return deliveryRequest({ url: s.url, secret: s.webhookSecret, contentType: 'json', event, payload, hookId: s.hook.id, targetId: s.hook.org.id, targetType: 'organization', ...o });
}

/** The same request with these headers replaced (undefined removes one) and the signature over `body`, signed with `secret`. */
function resigned(r: { headers: Record<string, string>; body: string }, secret: string, body = r.body, headers: Record<string, string | undefined> = {}) {
  const out: Record<string, string> = { ...r.headers, 'X-Hub-Signature': signatures(secret, body).sha1, 'X-Hub-Signature-256': signatures(secret, body).sha256 };
  for (const [k, v] of Object.entries(headers)) v === undefined ? delete out[k] : (out[k] = v);
  return { headers: out, body };
}

t.test('refused deliveries store nothing and say what to fix; the same delivery sent right afterwards is queued, and its replay is a duplicate', async (t) => {
  const s = await githubSetup(t, { start: false });
  const { github } = s.e2e.world;
  const fresh = await newAlert(s);
  const { created } = fresh;
  const good = delivery(s, 'secret_scanning_alert', created);
  const before = await stored(s);

  problem(t, await send(s, resigned(good, 'whsec_not-the-hooks-secret')), 401, /signature does not match.*detectors\.github\.webhookSecret/, 'signed with an unknown secret');
  problem(t, await send(s, resigned(good, s.webhookSecret, good.body, { 'X-Hub-Signature-256': 'sha256=' + '0'.repeat(64) })), 401, /signature does not match/, 'a bad signature');
  problem(t, await send(s, resigned(good, s.webhookSecret, good.body, { 'X-Hub-Signature-256': good.headers['X-Hub-Signature']! })), 401, /signature does not match/, 'the SHA-1 signature where the SHA-256 one goes');
  const tampered = good.body.replace(`"number":${created.alert.number}`, `"number":${created.alert.number + 1}`);
  t.not(tampered, good.body);
  problem(t, await send(s, { headers: good.headers, body: tampered }), 401, /signature does not match/, 'a body changed after signing');
  problem(t, await send(s, resigned(good, s.webhookSecret, good.body, { 'X-Hub-Signature-256': undefined, 'X-Hub-Signature': undefined })), 401, /X-Hub-Signature-256 is missing.*set a secret on the webhook/, 'no signature');
  problem(t, await send(s, resigned(good, s.webhookSecret, '{"action":"created","alert":')), 400, /not valid JSON.*check what else holds the secret/, 'malformed JSON, validly signed');
  problem(t, await send(s, resigned(good, s.webhookSecret, '')), 400, /body is empty/, 'an empty body, validly signed');
  const form = delivery(s, 'secret_scanning_alert', created, { contentType: 'form', guid: good.guid });
  problem(t, await send(s, form), 415, /form-encoded.*Content type to application\/json/, 'a form-encoded delivery');
  problem(t, await send(s, resigned(good, s.webhookSecret, good.body, { 'Content-Type': 'text/plain' })), 415, /text\/plain is not accepted.*application\/json/, 'text/plain');
  problem(t, await send(s, resigned(good, s.webhookSecret, good.body, { 'Content-Type': 'json; what' })), 415, /Content-Type header does not parse/, 'a Content-Type that does not parse');
  const huge = JSON.stringify({ ...created, padding: 'x'.repeat(1024 * 1024) });
  problem(t, await send(s, resigned(good, s.webhookSecret, huge)), 413, /larger than server\.bodyLimit \(1048576 bytes\)/, 'a body over the limit, validly signed');
  problem(t, await send(s, resigned(good, s.webhookSecret, huge, { 'Transfer-Encoding': 'chunked' })), 413, /larger than server\.bodyLimit/, 'a body over the limit in chunks, without a Content-Length');
  for (const header of ['X-GitHub-Event', 'X-GitHub-Delivery', 'X-GitHub-Hook-ID']) {
    problem(t, await send(s, resigned(good, s.webhookSecret, good.body, { [header]: undefined })), 400, new RegExp(`^${header} missing or malformed: GitHub sets`), `no ${header}`);
  }
  for (const hookId of ['0', '-5', '1.5', '0x10', '1e3', '12a', 'hook', '99999999999999999999']) {
    problem(t, await send(s, resigned(good, s.webhookSecret, good.body, { 'X-GitHub-Hook-ID': hookId })), 400, /^X-GitHub-Hook-ID missing or malformed.*decimal/, `X-GitHub-Hook-ID "${hookId}"`);
  }
  const { number: _, ...alertWithoutNumber } = created.alert;
  const noNumber = await send(s, resigned(good, s.webhookSecret, JSON.stringify({ ...created, alert: alertWithoutNumber })));
  problem(t, noNumber, 400, /secret_scanning_alert payload lacks what LeakGuard reads; fix the fields listed in errors/, 'no alert.number');
  t.match(noNumber.body.errors, [/^\/alert\/number /], 'the errors name alert.number');
  const badRepo = await send(s, resigned(good, s.webhookSecret, JSON.stringify({ ...created, alert: { ...created.alert, number: '1' }, repository: { ...created.repository, private: 'no' } })));
  problem(t, badRepo, 400, /fix the fields listed in errors/, 'fields of the wrong type');
  t.match(badRepo.body.errors, [/^\/alert\/number /, /^\/repository\/private /]);

  // Learning a hook id is written after the answer: a ping from another organisation's hook, once learned, shows that anything the refusals had written is written too.
  const other = github.addHook({ org: 'elsewhere-org', url: s.url, secret: s.webhookSecret });
  const [pinged] = await github.ping(other);
  t.equal(pinged!.statusCode, 200);
  t.same(await hooksLearned(s, { 'elsewhere-org': other.id }), { 'elsewhere-org': other.id }, "the ping's hook is learned, and no hook id from a refused delivery");
  const after = await stored(s);
  t.same(after.signals, before.signals, 'no signal');
  t.same(after.work, before.work, 'no work of any kind');
  t.same(after.baselines.filter((b: any) => b.key !== 'hooks'), before.baselines, 'no baseline but the learned hooks');
  t.notOk(s.e2e.log.text().includes('"level":50'), 'nothing logged as a failure');

  const queued = await send(s, good);
  t.equal(queued.status, 202, 'the delivery itself, sent whole: nothing of the refused tries was kept under its GUID');
  t.same(queued.body, { status: 'queued', deliveryId: good.guid, detail: 'stored; the alert is fetched and matched next' });
  const work = await s.ts.store.listWork({ kind: 'github.alert' });
  t.same(work.map((w) => w.id), [`github.alert:${s.hook.id}:${good.guid}`]);
  t.match(work[0]!.payload, { via: 'webhook', owner: WORLD.githubOrg, repo: WORLD.githubRepo, number: created.alert.number, hookId: s.hook.id, deliveryId: good.guid });
  const both = { 'elsewhere-org': other.id, [WORLD.githubOrg]: s.hook.id };
  t.same(await hooksLearned(s, both), both, "the delivery's hook is learned");

  const settled = await stored(s);
  const replay = await send(s, good);
  t.equal(replay.status, 202);
  t.same(replay.body, { status: 'duplicate', deliveryId: good.guid, detail: 'this delivery was received before; nothing new was stored' });
  const location = await send(s, delivery(s, 'secret_scanning_alert_location', fresh.location, { guid: good.guid }));
  t.equal(location.body.status, 'duplicate', 'a GUID is one delivery of one hook, whatever it carries');
  t.same(await stored(s), settled, 'the replays stored nothing new');

  // GitHub's own redelivery (the hook's Redeliver button, or reconciliation asking for it): the same GUID again.
  const [first] = (await github.createAlert(github.repo(`${WORLD.githubOrg}/${WORLD.githubRepo}`)!, { secret: 'NotOursEither0123456789', commit: { path: 'a.env' } })).deliveries;
  t.equal(first!.statusCode, 202);
  t.equal(JSON.parse(first!.result.response.body).status, 'queued');
  const withFirst = await stored(s);
  github.hooks.redeliver(s.hook, first!.id);
  await github.hooks.idle();
  const again = github.hooks.deliveries.at(-1)!;
  t.match(again, { guid: first!.guid, redelivery: true, statusCode: 202, status: 'OK' }, 'GitHub records the redelivery as delivered');
  t.equal(JSON.parse(again.result.response.body).status, 'duplicate');
  t.same(await stored(s), withFirst, "GitHub's redelivery stored nothing new");
  const text = JSON.stringify([await stored(s), s.e2e.log.text()]);
  t.notOk(text.includes(s.webhookSecret), 'the webhook secret is kept nowhere');
});

t.test('an old webhook secret that cannot be read (deleted before it left the config) refuses only what it alone signs', async (t) => {
  const s = await githubSetup(t, { start: false, github: { previousWebhookSecrets: [{ secretsManager: 'prod/leakguard/github-webhook-deleted' }] } });
  const { github } = s.e2e.world;
  const [delivery] = (await github.createAlert(github.repo(`${WORLD.githubOrg}/${WORLD.githubRepo}`)!, { secret: 'NotOurs-current-0001', commit: { path: 'a.env' } })).deliveries;
  t.equal(delivery!.statusCode, 202, 'signed with the current secret: taken');
  t.equal(JSON.parse(delivery!.result.response.body).status, 'queued');
  t.match(s.e2e.log.text(), 'detectors.github.previousWebhookSecrets[0] cannot be read; what was signed with it is refused until it can be');
});

t.test('secret rotation: a delivery signed with a previous webhook secret is taken, so is one with the new secret; an unknown one is refused', async (t) => {
  const NEW_SECRET_ID = 'prod/leakguard/github-webhook-next';
  const s = await githubSetup(t, { start: false, github: { webhookSecret: { secretsManager: NEW_SECRET_ID }, previousWebhookSecrets: [{ secretsManager: 'prod/leakguard/github-webhook' }] } });
  const { github } = s.e2e.world;
  // Read on the first delivery: seeded before it, as the operator puts the new secret in place before changing the config.
  const newSecret = `whsec_next_${randomUUID()}`;
  s.e2e.world.secretsManager.seedSecret({ name: NEW_SECRET_ID, secretString: newSecret });
  const repo = github.repo(`${WORLD.githubOrg}/${WORLD.githubRepo}`)!;

  const [old] = (await github.createAlert(repo, { secret: 'NotOurs-old-secret-0001', commit: { path: 'a.env' } })).deliveries;
  t.equal(old!.statusCode, 202, 'GitHub still signs with the previous secret: taken');
  t.equal(JSON.parse(old!.result.response.body).status, 'queued');

  s.hook.secret = newSecret; // the webhook's secret changed in GitHub's settings
  const [current] = (await github.createAlert(repo, { secret: 'NotOurs-new-secret-0002', commit: { path: 'b.env' } })).deliveries;
  t.equal(current!.statusCode, 202, 'signed with the new secret: taken');
  t.equal(JSON.parse(current!.result.response.body).status, 'queued');

  const before = await stored(s);
  s.hook.secret = 'whsec_typed-wrong-in-the-settings';
  const [unknown] = (await github.createAlert(repo, { secret: 'NotOurs-bad-secret-0003', commit: { path: 'c.env' } })).deliveries;
  t.equal(unknown!.statusCode, 401, 'signed with a secret LeakGuard does not know: refused');
  t.match(JSON.parse(unknown!.result.response.body), { status: 401, detail: /signature does not match.*previousWebhookSecrets/ });
  t.equal(unknown!.status, 'Invalid HTTP Response: 401', 'GitHub records it as failed, so reconciliation redelivers it once the secrets agree');
  t.same(await stored(s), before, 'nothing stored for it');
  t.same(
    (await s.ts.store.listWork({ kind: 'github.alert' })).map((w) => w.payload.deliveryId).sort(),
    [old!.guid, current!.guid].sort(),
    'exactly the two deliveries signed with an accepted secret are queued',
  );
});

t.test('a ping gets 200 pong and queues nothing; an event LeakGuard does not act on gets 202 ignored and stores nothing', async (t) => {
  const s = await githubSetup(t, { start: false });
  const { github } = s.e2e.world;
  const before = await stored(s);
  const [ping] = await github.ping(s.hook);
  t.equal(ping!.statusCode, 200);
  t.match(ping!.result.response.headers['content-type'], /^application\/json/);
  t.same(JSON.parse(ping!.result.response.body), { status: 'pong', deliveryId: ping!.guid, detail: 'the webhook reaches LeakGuard and its signature verifies' });
  t.same(await hooksLearned(s, { [WORLD.githubOrg]: s.hook.id }), { [WORLD.githubOrg]: s.hook.id }, 'the hook id is learned from the ping, for reconciliation');
  const afterPing = await stored(s);
  t.same(afterPing.signals, before.signals);
  t.same(afterPing.work, before.work, 'a ping queues nothing');

  // secret_scanning_scan is a real event a hook may be ticked for; LeakGuard reads alerts only.
  const repo = github.repoJson(github.repo(`${WORLD.githubOrg}/${WORLD.githubRepo}`)!);
  const scan = { action: 'completed', type: 'backfill', source: 'git', started_at: '2026-12-01T10:00:00Z', completed_at: '2026-12-01T10:02:00Z', secret_types: ['bybit_api_key'], repository: repo, organization: { login: 'elsewhere-org', id: 4242 }, sender: github.userJson(github.actor) };
  for (const [event, payload] of [['secret_scanning_scan', scan], ['push', { ref: 'refs/heads/main', repository: repo, organization: { login: 'elsewhere-org', id: 4242 } }]] as const) {
    const answer = await send(s, delivery(s, event, payload));
    t.equal(answer.status, 202, `${event}: 202`);
    t.match(answer.body, { status: 'ignored', detail: new RegExp(`does not act on ${event} events; untick them in the webhook's events`) });
  }
  // A ping afterwards: once its (new) hook id is learned, anything the ignored events had learned would be written too.
  const other = github.addHook({ org: WORLD.githubOrg, url: s.url, secret: s.webhookSecret });
  t.equal((await github.ping(other))[0]!.statusCode, 200);
  t.same(await hooksLearned(s, { [WORLD.githubOrg]: other.id }), { [WORLD.githubOrg]: other.id }, 'no hook id learned from the ignored events');
  const after = await stored(s);
  t.same(after.signals, before.signals, 'no signal');
  t.same(after.work, before.work, 'no work');
  t.same(after.baselines.filter((b: any) => b.key !== 'hooks'), before.baselines, 'no other baseline');
});

t.test('a body sent in pieces slower than server.requestTimeoutMs is cut off with 408 and nothing is stored; sent whole it is queued', async (t) => {
  const s = await githubSetup(t, { start: false, server: { requestTimeoutMs: 300 } });
  const { created } = await newAlert(s);
  const good = delivery(s, 'secret_scanning_alert', created);
  const before = await stored(s);
  const port = (s.lg.app.server.address() as { port: number }).port;
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (d) => (received += d.toString('latin1')));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const head = Object.entries({ ...good.headers, Host: `127.0.0.1:${port}`, 'Content-Length': String(Buffer.byteLength(good.body)) }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  // The headers and two pieces of the body; the rest never comes (no sleeps: the server's own timeout ends it).
  socket.write(`POST /webhooks/github HTTP/1.1\r\n${head}\r\n`);
  socket.write(good.body.slice(0, 100));
  socket.write(good.body.slice(100, 200));
  await closed;
  const [rawHead = '', rawBody = ''] = received.split('\r\n\r\n');
  t.match(rawHead, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  t.match(rawHead, /content-type: application\/problem\+json/i);
  t.match(JSON.parse(rawBody || '{}'), { type: 'about:blank', status: 408, title: 'Request Timeout', detail: /did not arrive in time \(server\.requestTimeoutMs\); send it again, whole and at once/, requestId: String });
  t.same(await stored(s), before, 'nothing stored');
  const whole = await send(s, good);
  t.equal(whole.status, 202);
  t.equal(whole.body.status, 'queued', 'the same delivery sent whole is new: the cut-off one left nothing under its GUID');
  t.notOk(s.e2e.log.text().includes('"level":50'), 'nothing logged as a failure');
});

t.test("while the webhook secret cannot be read: 503 saying so, nothing stored; it is read again on the next delivery", async (t) => {
  const s = await githubSetup(t, { start: false });
  const { secretsManager } = s.e2e.world;
  const { created } = await newAlert(s);
  const good = delivery(s, 'secret_scanning_alert', created);
  const before = await stored(s);
  secretsManager.faults.inject('GetSecretValue', { kind: 'error', status: 400, body: { __type: 'AccessDeniedException', message: 'User is not authorized to perform: secretsmanager:GetSecretValue' }, headers: { 'x-amzn-errortype': 'AccessDeniedException' }, times: 1_000 });
  problem(t, await send(s, good), 503, /cannot read its webhook secret \(detectors\.github\.webhookSecret\).*its log says why; it tries again on the next delivery/, 'the secret cannot be read');
  t.match(s.e2e.log.text(), /the webhook secret could not be read/, 'the log says why');
  t.same(await stored(s), before, 'nothing stored');
  secretsManager.faults.clear(); // the permission is put right
  const again = await send(s, good);
  t.equal(again.status, 202);
  t.equal(again.body.status, 'queued', 'read again, verified, queued');
});

t.test('without detectors.github.webhookSecret every delivery is refused, saying to set it, and nothing is stored', async (t) => {
  const s = await githubSetup(t, { start: false, github: { webhookSecret: undefined } });
  const { github } = s.e2e.world;
  const before = await stored(s);
  const [refused] = (await github.createAlert(github.repo(`${WORLD.githubOrg}/${WORLD.githubRepo}`)!, { secret: 'NotOurs-no-secret-0004', commit: { path: 'a.env' } })).deliveries;
  t.equal(refused!.statusCode, 401);
  t.match(JSON.parse(refused!.result.response.body), { status: 401, detail: /detectors\.github\.webhookSecret is not set.*set it to the secret of the webhook/ });
  t.same(await stored(s), before, 'nothing stored');
});

const ALERT_KEYS = ['action', 'alert', 'number', 'repository', 'organization', 'login', 'private', 'id', 'name', 'full_name', 'owner'];

/** A valid payload with one field the route reads removed or given a wrong value. */
function broken(r: ReturnType<typeof prng>, payload: any): unknown {
  const p = structuredClone(payload);
  const spots: [any, string][] = [[p, 'action'], [p, 'alert'], [p, 'repository'], [p.alert, 'number'], [p.repository, 'id'], [p.repository, 'name'], [p.repository, 'private'], [p.repository?.owner, 'login'], [p, 'organization'], [p.organization, 'login'], [p, 'hook_id']];
  const [obj, key] = r.pick(spots);
  if (obj === undefined) return p;
  if (r.next() < 0.4) delete obj[key];
  else obj[key] = r.pick([null, '', '1', 0, -1, 1.5, [], {}, true, 'x'.repeat(5000)]);
  return p;
}

t.test('fuzz: random bodies and headers never get a 5xx, every refusal is a problem, and only validly signed, readable deliveries are stored', { timeout: 120_000 }, async (t) => {
  const SEED = Number(process.env.LEAKGUARD_FUZZ_SEED ?? 20_261_203);
  const REQUESTS = Number(process.env.LEAKGUARD_FUZZ_REQUESTS ?? 300);
  const r = prng(SEED);
  const s = await githubSetup(t, { start: false, server: { rateLimit: { max: 100_000 } } });
  const { github } = s.e2e.world;
  const alerts = [await newAlert(s), await newAlert(s), await newAlert(s)];
  const pingHook = github.addHook({ org: 'elsewhere-org', url: s.url, secret: s.webhookSecret });
  const valid: [string, any][] = [
    ...alerts.flatMap((a) => [['secret_scanning_alert', a.created], ['secret_scanning_alert_location', a.location]] as [string, any][]),
    ['ping', pingPayload(pingHook, github.urls, github.actor)],
  ];
  const usedGuids: string[] = [];
  const sent: { i: number; what: string; validlySigned: boolean; guid: string | undefined; hookId: string | undefined; event: string | undefined; body: Buffer; answer: Answer }[] = [];

  for (let i = 0; i < REQUESTS; i++) {
    const [event0, payload] = r.pick(valid);
    const json = Buffer.from(JSON.stringify(payload));
    const what: string[] = [];
    // The body: GitHub's own, or made from it, or nothing like it.
    let body: Buffer;
    const kind = r.int(100);
    if (kind < 25) (body = json), what.push('valid body');
    else if (kind < 37) (body = json.subarray(0, r.int(json.length))), what.push('truncated');
    else if (kind < 49) {
      body = Buffer.from(json);
      for (let n = 1 + r.int(3); n > 0; n--) body[r.int(body.length)]! ^= 1 << r.int(8);
      what.push('bit-flipped');
    } else if (kind < 59) (body = Buffer.from(JSON.stringify(broken(r, payload)))), what.push('a read field broken');
    else if (kind < 69) (body = Buffer.from(JSON.stringify(randomJson(r, 4, ALERT_KEYS)) ?? 'null')), what.push('random JSON');
    else if (kind < 79) (body = r.bytes(r.int(2_000))), what.push('random bytes');
    else if (kind < 83) (body = Buffer.from('['.repeat(5_000 + r.int(50_000)))), what.push('deep nesting');
    else if (kind < 86) (body = Buffer.alloc(0)), what.push('empty');
    else if (kind < 89) (body = Buffer.concat([json.subarray(0, json.length - 1), Buffer.from(`,"pad":"${'x'.repeat(1_048_576 + r.int(400_000))}"}`)])), what.push('over the body limit');
    else if (kind < 94) (body = Buffer.from(json.toString().replace(/^\{/, '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},'))), what.push('prototype keys');
    else (body = Buffer.from(`payload=${encodeURIComponent(json.toString())}`)), what.push('form-encoded');

    const headers: Record<string, string> = { 'User-Agent': 'GitHub-Hookshot/5e3b9f1', Accept: '*/*' };
    // Over the exact bytes, as GitHub computes it.
    const exact = `sha256=${createHmac('sha256', s.webhookSecret).update(body).digest('hex')}`;
    const sig = r.int(100);
    let validlySigned = false;
    if (sig < 50) (headers['X-Hub-Signature-256'] = exact), (validlySigned = true), what.push('signed');
    else if (sig < 58) what.push('unsigned');
    else if (sig < 66) (headers['X-Hub-Signature-256'] = `sha256=${createHmac('sha256', 'whsec_someone-else').update(body).digest('hex')}`), what.push('signed with an unknown secret');
    else if (sig < 74) (headers['X-Hub-Signature-256'] = `sha256=${createHmac('sha256', s.webhookSecret).update(json).digest('hex')}`), what.push("GitHub's signature of the unchanged body");
    else if (sig < 82) (headers['X-Hub-Signature-256'] = r.pick(['', 'sha256=', 'sha1=abc', exact.toUpperCase(), exact.slice(0, -1), `${exact} `, 'x'.repeat(8_000)])), what.push('a malformed signature');
    else (headers['X-Hub-Signature-256'] = r.unicode(1 + r.int(80))), what.push('a unicode signature');
    // HTTP drops the whitespace around a header value: `${exact} ` is the right signature.
    if (headers['X-Hub-Signature-256']?.trim() === exact) validlySigned = true;

    const event = r.int(100) < 70 ? event0 : r.pick([undefined, '', 'push', 'secret_scanning_scan', 'PING', 'Secret_Scanning_Alert', r.unicode(1 + r.int(40)), 'e'.repeat(6_000)]);
    if (event !== undefined) headers['X-GitHub-Event'] = event;
    const guid: string | undefined = r.int(100) < 75 ? randomUUID() : r.pick([undefined, '', usedGuids.length ? r.pick(usedGuids) : randomUUID(), r.unicode(1 + r.int(60)), 'g'.repeat(7_000)]);
    if (guid !== undefined) headers['X-GitHub-Delivery'] = guid;
    const hookId = r.int(100) < 75 ? String(event0 === 'ping' ? pingHook.id : s.hook.id) : r.pick([undefined, '', '0', '-1', '1.5', '0x10', '1e3', '99999999999999999999', String(r.int(1e9) + 1), r.unicode(8), '7'.repeat(5_000)]);
    if (hookId !== undefined) headers['X-GitHub-Hook-ID'] = hookId;
    const ct = r.int(100);
    if (kind >= 94) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    else if (ct < 70) headers['Content-Type'] = 'application/json';
    else if (ct < 76) headers['Content-Type'] = r.pick(['application/json; charset=utf-8', 'Application/JSON', 'application/json;charset=latin1']);
    else if (ct < 80) what.push('no Content-Type');
    else headers['Content-Type'] = r.pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', 'json', ';;;', '', r.unicode(1 + r.int(30)), 'application/json'.repeat(700)]);
    for (let n = r.int(3); n > 0; n--) headers[`X-Fuzz-${i}-${n}`] = r.pick([r.unicode(r.int(100)), String(r.next()), 'v'.repeat(r.int(9_000))]);

    const desc = `seed ${SEED}, request #${i}: ${what.join(', ')}; event ${JSON.stringify(event)?.slice(0, 40)}, hook ${JSON.stringify(hookId)?.slice(0, 30)}, content type ${JSON.stringify(headers['Content-Type'])?.slice(0, 40)}`;
    let answer: Answer;
    try {
      answer = await post(s.url, headers, body);
    } catch (err) {
      t.fail(`${desc}: no answer (${(err as Error).message})`);
      continue;
    }
    if (answer.status === 202 && answer.body.status === 'queued' && guid) usedGuids.push(guid);
    sent.push({ i, what: desc, validlySigned, guid, hookId, event, body, answer });
  }

  const statuses: Record<number, number> = {};
  for (const x of sent) {
    const { answer: a, what } = x;
    statuses[a.status] = (statuses[a.status] ?? 0) + 1;
    if (a.status >= 500 || ![200, 202, 400, 401, 413, 415, 431].includes(a.status)) t.fail(`${what}: answered ${a.status} ${a.text.slice(0, 300)}`);
    if (a.status >= 400) {
      if (!PROBLEM.test(a.type) || a.body.status !== a.status || typeof a.body.detail !== 'string' || a.body.detail.length < 20 || !a.body.requestId) t.fail(`${what}: not a problem with a detail: ${a.type} ${a.text.slice(0, 300)}`);
    } else {
      if (!x.validlySigned) t.fail(`${what}: taken (${a.status}) without a valid signature`);
      if (a.body.deliveryId !== x.guid || typeof a.body.detail !== 'string') t.fail(`${what}: answer ${a.text.slice(0, 300)}`);
    }
    if (a.text.includes(s.webhookSecret)) t.fail(`${what}: the answer holds the webhook secret`);
  }
  t.comment(`seed ${SEED}: ${sent.length} requests, answers ${JSON.stringify(statuses)}`);
  for (const status of [200, 202, 400, 401, 413, 415]) t.ok(statuses[status], `seed ${SEED}: the run reached ${status} answers`);

  // What was stored: exactly the queued answers, each from a validly signed delivery whose payload it carries.
  const queued = sent.filter((x) => x.answer.status === 202 && x.answer.body.status === 'queued');
  const work = await s.ts.store.listWork({ limit: 100_000 });
  t.same(work.map((w) => w.id).sort(), queued.map((x) => `github.alert:${x.hookId}:${x.guid}`).sort(), `seed ${SEED}: one work item per queued answer, nothing else`);
  for (const x of queued) {
    const item = work.find((w) => w.id === `github.alert:${x.hookId}:${x.guid}`);
    const p = JSON.parse(x.body.toString('utf8'));
    if (!item || item.payload.number !== p.alert.number || item.payload.repo !== p.repository.name || item.payload.event !== x.event) t.fail(`${x.what}: stored ${JSON.stringify(item?.payload)}`);
  }
  const duplicates = sent.filter((x) => x.answer.body.status === 'duplicate');
  for (const x of duplicates) if (!queued.some((q) => q.i < x.i && q.guid === x.guid && q.hookId === x.hookId)) t.fail(`${x.what}: a duplicate of nothing queued before`);
  t.same(await s.ts.store.listSignals({}), [], 'no signal (the alerts are not fetched: LeakGuard is not started)');
  // Hook ids learned: each from a delivery answered pong or queued (ping or alert from that organisation's hook).
  const learned = new Set(sent.filter((x) => x.answer.status < 300 && x.answer.body.status !== 'ignored').map((x) => `${JSON.parse(x.body.toString('utf8')).organization?.login}=${x.hookId}`));
  // Learning is written after the answer: once a last ping's hook is learned, whatever the fuzz had learned is written too.
  const last = github.addHook({ org: 'last-org', url: s.url, secret: s.webhookSecret });
  t.equal((await github.ping(last))[0]!.statusCode, 200);
  learned.add(`last-org=${last.id}`);
  t.match(await hooksLearned(s, (h) => h['last-org'] === last.id), { 'last-org': last.id });
  const { baselines } = await stored(s);
  for (const b of baselines as { detector: string; key: string; value_json: string }[]) {
    t.equal(`${b.detector}/${b.key}`, 'github/hooks', `seed ${SEED}: only learned hook ids are kept`);
    for (const [org, id] of Object.entries(JSON.parse(b.value_json) as Record<string, number>)) t.ok(learned.has(`${org}=${id}`), `seed ${SEED}: hook ${id} of ${org} was learned from a delivery that was taken`);
  }
  t.notOk(s.e2e.log.text().includes('"level":50'), `seed ${SEED}: nothing logged as a failure`);
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype was polluted');
});

t.test("deliveries have their own rate limit (GitHub never retries a refused one), not the server's", async (t) => {
  const s = await githubSetup(t, { start: false, server: { rateLimit: { max: 1 } }, github: { deliveriesPerMinute: 3 } });
  const { github } = s.e2e.world;
  const answers = [];
  for (let i = 0; i < 4; i++) answers.push((await github.ping(s.hook))[0]!.statusCode);
  t.same(answers, [200, 200, 200, 429], 'three a minute taken although the server allows one request; the fourth refused');
});
