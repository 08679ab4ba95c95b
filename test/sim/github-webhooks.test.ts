import { Webhooks } from '@octokit/webhooks';
import { Ajv, type AnySchema } from 'ajv';
import { createServer } from 'node:net';
import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { ALERT_ACTIONS } from './github/payloads.js';
import { deliver, signatures } from './github/sender.js';
import { gh, githubFixture, receiver, startGitHub } from './github/testkit.js';

const SECRET = 'XK3jLmN0pQ8rS2tUv4';
const HOOK_SECRET = 'hook-secret-for-tests';
const notes = githubFixture('webhook-delivery-notes.txt');
const fixture = (name: string) => JSON.parse(githubFixture(name)) as Record<string, any>;
const schema = (name: string) => fixture(`schemas/octokit-webhooks.${name}.schema.json`);

/**
 * The fixture schemas are octokit/webhooks' older ones. What they lack is added here, each from the
 * fixture notes (section 3): the alert fields GitHub has added since (validity, publicly_leaked,
 * multi_repo, assigned_to), and the actions without a schema (validated, publicly_leaked, assigned,
 * unassigned: shaped as `created`, with sender and assignee). The schemas they $ref but that the
 * fixtures do not hold (user, repository, organization) require the keys of the fixtures' payloads.
 */
function validators() {
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('date-time', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
  ajv.addFormat('uri', /^https?:\/\/\S+$/);
  const ping = fixture('ping.payload.json');
  const org = fixture('ping.with-organization.payload.json').organization;
  const stub = ($id: string, example: object): AnySchema => ({ $id, type: 'object', required: Object.keys(example) });
  ajv.addSchema(stub('common/user.schema.json', ping.sender));
  ajv.addSchema(stub('common/repository.schema.json', ping.repository));
  ajv.addSchema(stub('common/organization.schema.json', org));
  ajv.addSchema({ $id: 'common/installation-lite.schema.json', type: 'object', required: ['id', 'node_id'] });
  const alert = schema('common.secret-scanning-alert');
  Object.assign(alert.properties, {
    validity: { enum: ['active', 'inactive', 'unknown'] },
    publicly_leaked: { type: ['boolean', 'null'] },
    multi_repo: { type: ['boolean', 'null'] },
    assigned_to: { oneOf: [{ $ref: 'user.schema.json' }, { type: 'null' }] },
  });
  ajv.addSchema(alert);
  // Its top level says additionalProperties: false without properties, which refuses any object under
  // draft-07; each oneOf branch holds the real constraint (its own properties, additionalProperties: false).
  const { additionalProperties: _, ...location } = schema('common.secret-scanning-location');
  ajv.addSchema(location);
  const created = schema('secret_scanning_alert.created');
  const reopened = schema('secret_scanning_alert.reopened');
  // The fixture's reopened schema predates full alerts on every action: its alert is checked as created's.
  reopened.properties.alert = created.properties.alert;
  const like = (action: string) => ({
    ...created,
    $id: `secret_scanning_alert$${action}`,
    required: ['action', 'alert', 'repository', 'sender'],
    properties: { ...created.properties, action: { enum: [action] }, sender: { $ref: 'common/user.schema.json' }, assignee: { $ref: 'common/user.schema.json' } },
  });
  const v = {
    created: ajv.compile(created),
    reopened: ajv.compile(reopened),
    resolved: ajv.compile(schema('secret_scanning_alert.resolved')),
    location: ajv.compile(schema('secret_scanning_alert_location.created')),
    ...Object.fromEntries(['validated', 'publicly_leaked', 'assigned', 'unassigned'].map((a) => [a, ajv.compile(like(a))])),
  };
  return (kind: string, payload: unknown) => {
    const fn = v[kind as keyof typeof v]!;
    return fn(payload) ? [] : fn.errors!.map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
  };
}

async function world(teardown: (fn: () => unknown) => void, answer?: () => number | 'hang') {
  const clock = new ManualClock(Date.UTC(2026, 4, 1, 12));
  const sim = await startGitHub(teardown, clock);
  const rx = await receiver(teardown, answer);
  const repo = sim.addRepo({ org: 'acme', name: 'trading-bot', visibility: 'public' });
  const hook = sim.addHook({ org: 'acme', url: rx.url, secret: HOOK_SECRET });
  return { sim, clock, rx, repo, hook, token: sim.addClassicToken(['admin:org_hook', 'repo']) };
}

t.test('signatures match the fixture\'s test vector and verify with @octokit/webhooks', async (t) => {
  const secret = /`secret`: "([^"]+)"/.exec(notes)![1]!;
  const payload = /`payload`: "([^"]+)"/.exec(notes)![1]!;
  const expected = /X-Hub-Signature-256: `(sha256=[0-9a-f]{64})`/.exec(notes)![1]!;
  t.equal(secret, "It's a Secret to Everybody");
  t.equal(signatures(secret, payload).sha256, expected);
  t.ok(await new Webhooks({ secret }).verify(payload, expected));
  t.notOk(await new Webhooks({ secret: 'another' }).verify(payload, expected));
});

t.test('a delivery carries every header the docs list, signed over the raw body', async (t) => {
  const { sim, rx, repo, hook } = await world(t.teardown);
  const { deliveries } = await sim.createAlert(repo, { secret: SECRET, commit: { path: 'x.env' } });
  t.same(deliveries.map((d) => [d.status, d.statusCode, d.event, d.action, d.redelivery]), [['OK', 202, 'secret_scanning_alert', 'created', false]]);
  const [got] = rx.received;
  const documented = [...notes.matchAll(/^- `(X-[\w-]+|User-Agent)`:/gm)].map((m) => m[1]!.toLowerCase());
  t.same(documented.sort(), ['user-agent', 'x-github-delivery', 'x-github-event', 'x-github-hook-id', 'x-github-hook-installation-target-id', 'x-github-hook-installation-target-type', 'x-hub-signature', 'x-hub-signature-256']);
  for (const h of documented) t.ok(got!.headers[h], h);
  t.match(got!.headers, {
    'content-type': 'application/json',
    'user-agent': /^GitHub-Hookshot\//,
    'x-github-event': 'secret_scanning_alert',
    'x-github-delivery': /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    'x-github-hook-id': String(hook.id),
    'x-github-hook-installation-target-id': String(hook.org.id),
    'x-github-hook-installation-target-type': 'organization',
    'x-hub-signature': signatures(HOOK_SECRET, got!.body).sha1,
  });
  t.ok(await new Webhooks({ secret: HOOK_SECRET }).verify(got!.body, got!.headers['x-hub-signature-256'] as string));
  t.notOk(got!.body.includes(SECRET), 'the webhook carries no secret');
  t.notOk('secret' in JSON.parse(got!.body).alert);
});

t.test('every payload validates against the fixture schemas and carries no secret', async (t) => {
  const { sim, rx, repo } = await world(t.teardown);
  const validate = validators();
  const user = sim.addUser('responder');
  const { alert } = await sim.createAlert(repo, { secret: SECRET, commit: { path: 'x.env' } });
  await sim.publiclyLeak(alert);
  await sim.validate(alert, 'active');
  await sim.assign(alert, user);
  await sim.unassign(alert);
  await sim.resolve(alert, 'revoked', { comment: 'rotated' });
  await sim.reopen(alert);
  await sim.addLocation(alert, { type: 'issue_comment', issue: 2, comment: 9 });
  await sim.addLocation(alert, { type: 'commit', commitSha: sim.addCommit(repo).sha, path: 'y.env' });
  const bodies = rx.received.map((r) => JSON.parse(r.body) as Record<string, any>);
  t.same(bodies.map((b) => b.action), ['created', 'publicly_leaked', 'validated', 'assigned', 'unassigned', 'resolved', 'reopened', 'created', 'created']);
  t.same([...new Set(bodies.slice(0, 7).map((b) => b.action))].sort(), [...ALERT_ACTIONS].sort(), 'every documented action');
  for (const [i, b] of bodies.entries()) {
    const kind = i >= 7 ? 'location' : b.action;
    t.same(validate(kind, b), [], `${kind} validates`);
  }
  const bogusAlert = { ...bodies[0], alert: { ...bodies[0]!.alert, bogus: 1 } };
  const bogusLocation = { ...bodies[8], location: { ...bodies[8]!.location, details: { ...bodies[8]!.location.details, bogus: 1 } } };
  t.not(validate('created', bogusAlert).length, 0, 'the validators refuse an unknown alert field');
  t.not(validate('location', bogusLocation).length, 0, 'and an unknown location detail');
  t.same(bodies.map((b) => b.alert.state), ['open', 'open', 'open', 'open', 'open', 'resolved', 'open', 'open', 'open']);
  t.match(bodies[5]!.alert, { resolution: 'revoked', resolution_comment: 'rotated', resolved_by: { login: 'security-admin' } });
  t.match(bodies[3], { assignee: { login: 'responder' }, alert: { assigned_to: { login: 'responder' } } });
  t.match(bodies[2]!.alert, { validity: 'active', publicly_leaked: true });
  t.match(bodies[8]!.location, { type: 'commit', details: { path: 'y.env', commit_url: /\/git\/commits\/[0-9a-f]{40}$/ } });
  t.same(Object.keys(bodies[0]!.repository).sort(), Object.keys(fixture('ping.payload.json').repository).sort(), 'the repository object has the fixture\'s fields');
  t.same(Object.keys(bodies[0]!.organization).sort(), Object.keys(fixture('ping.with-organization.payload.json').organization).sort());
  t.notOk(rx.received.some((r) => r.body.includes(SECRET)));
});

t.test('ping: the fixture\'s shape; a form hook gets payload=… signed as sent; hooks get only their events', async (t) => {
  const { sim, rx, repo, hook } = await world(t.teardown);
  await sim.ping(hook);
  const ping = JSON.parse(rx.received[0]!.body);
  const orgPing = fixture('ping.with-organization.payload.json');
  t.same(Object.keys(ping).sort(), Object.keys(orgPing).sort());
  t.same(Object.keys(ping.hook).sort(), Object.keys(orgPing.hook).sort());
  t.match(ping, { hook_id: hook.id, hook: { type: 'Organization', config: { content_type: 'json', secret: '********', url: rx.url } } });
  t.equal(rx.received[0]!.headers['x-github-event'], 'ping');

  const form = await receiver(t.teardown);
  sim.addHook({ org: 'acme', url: form.url, secret: HOOK_SECRET, contentType: 'form', events: ['secret_scanning_alert'] });
  const { alert } = await sim.createAlert(repo, { secret: SECRET });
  await sim.addLocation(alert, { type: 'issue_title', issue: 1 });
  t.equal(form.received.length, 1, 'the form hook does not take secret_scanning_alert_location');
  const sent = form.received[0]!;
  t.equal(sent.headers['content-type'], 'application/x-www-form-urlencoded');
  t.match(sent.body, /^payload=/);
  t.ok(await new Webhooks({ secret: HOOK_SECRET }).verify(sent.body, sent.headers['x-hub-signature-256'] as string), 'signed over the form body');
  t.equal(JSON.parse(new URLSearchParams(sent.body).get('payload')!).alert.number, alert.number);
  t.equal(rx.received.at(-2)!.headers['x-github-delivery'], sent.headers['x-github-delivery'], 'one GUID for every hook the event goes to');
  await sim.ping(hook);
  t.equal(form.received.length, 1, 'a ping goes to the hook it names only');
});

t.test('the deliveries API: newest first, cursor pages, status filter; failures recorded; redelivery keeps the GUID', async (t) => {
  let answer: number | 'hang' = 202;
  const { sim, clock, rx, repo, hook, token } = await world(t.teardown, () => answer);
  const { alert } = await sim.createAlert(repo, { secret: SECRET });
  answer = 500;
  await sim.validate(alert, 'active');
  answer = 202;
  await sim.resolve(alert, 'revoked');
  const path = `/orgs/acme/hooks/${hook.id}/deliveries`;
  const all = await gh(sim, path, token);
  t.equal(all.status, 200);
  t.same(all.body.map((d: any) => [d.action, d.status, d.status_code, d.redelivery]), [['resolved', 'OK', 202, false], ['validated', 'Invalid HTTP Response: 500', 500, false], ['created', 'OK', 202, false]]);
  t.match(all.body[0], { guid: rx.received[2]!.headers['x-github-delivery'], event: 'secret_scanning_alert', delivered_at: '2026-05-01T12:00:00Z', installation_id: null, repository_id: repo.id, duration: Number });

  const first = await gh(sim, `${path}?per_page=2`, token);
  t.equal(first.body.length, 2);
  const next = /<([^>]+)>; rel="next"/.exec(first.headers.get('link')!)![1]!;
  t.match(next, /cursor=v1_\d+/);
  const second = await gh(sim, next.slice(sim.url.length), token);
  t.same(second.body.map((d: any) => d.action), ['created']);
  t.notOk(second.headers.get('link'), 'no next page after the last');
  const failed = await gh(sim, `${path}?status=failure`, token);
  t.same(failed.body.map((d: any) => d.action), ['validated']);
  t.equal((await gh(sim, `${path}?status=failed`, token)).status, 422);

  const one = await gh(sim, `${path}/${failed.body[0].id}`, token);
  t.match(one.body, { id: failed.body[0].id, request: { headers: { 'X-GitHub-Event': 'secret_scanning_alert' }, payload: { action: 'validated' } }, response: { payload: '{}' } });

  const re = await gh(sim, `${path}/${failed.body[0].id}/attempts`, token, { method: 'POST' });
  t.same([re.status, re.body], [202, {}]);
  await sim.hooks.idle();
  const [redone, original] = [rx.received.at(-1)!, rx.received[1]!];
  t.equal(redone.headers['x-github-delivery'], original.headers['x-github-delivery'], 'the same GUID');
  t.equal(redone.body, original.body);
  t.equal(redone.headers['x-hub-signature-256'], original.headers['x-hub-signature-256']);
  const after = await gh(sim, path, token);
  t.match(after.body[0], { guid: failed.body[0].guid, redelivery: true, status: 'OK', action: 'validated' });
  t.not(after.body[0].id, failed.body[0].id, 'a new delivery id');
  t.equal((await gh(sim, `${path}/424242/attempts`, token, { method: 'POST' })).status, 404);
  await clock.advance(4 * 86_400_000);
  t.equal((await gh(sim, `${path}/${failed.body[0].id}/attempts`, token, { method: 'POST' })).status, 422, 'past the 3-day window');
  t.equal((await gh(sim, `/orgs/acme/hooks/1/deliveries`, token)).status, 404, 'an unknown hook');
});

t.test('a receiver that is down or does not answer in time is recorded as failed', async (t) => {
  const { sim, repo, token } = await world(t.teardown, () => 'hang');
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const down = sim.addHook({ org: 'acme', url: `http://127.0.0.1:${port}/webhooks/github`, secret: HOOK_SECRET });
  sim.hooks.timeoutMs = 200;
  const { deliveries } = await sim.createAlert(repo, { secret: SECRET });
  t.same(deliveries.map((d) => [d.hookId === down.id ? 'down' : 'hang', d.status, d.statusCode]).sort(), [['down', 'failed to connect to host', 502], ['hang', 'timed out', 504]]);
  const listed = await gh(sim, `/orgs/acme/hooks/${down.id}/deliveries?status=failure`, token);
  t.equal(listed.body.length, 1, 'a delivery nobody received is a failure');
});

t.test('deliver() alone sends a signed delivery (for tests and benchmarks that post to LeakGuard)', async (t) => {
  const rx = await receiver(t.teardown, () => 200);
  const result = await deliver({ url: rx.url, secret: HOOK_SECRET, contentType: 'json', event: 'ping', payload: { zen: 'x', hook_id: 1 }, hookId: 1, targetId: 2, targetType: 'organization', guid: 'g-1' });
  t.match(result, { guid: 'g-1', status: 'OK', statusCode: 200 });
  t.equal(rx.received[0]!.headers['x-github-delivery'], 'g-1');
  t.ok(await new Webhooks({ secret: HOOK_SECRET }).verify(rx.received[0]!.body, rx.received[0]!.headers['x-hub-signature-256'] as string));
  const unsigned = await deliver({ url: rx.url, contentType: 'json', event: 'ping', payload: {}, hookId: 1, targetId: 2, targetType: 'organization' });
  t.equal(unsigned.statusCode, 200);
  t.notOk(rx.received[1]!.headers['x-hub-signature-256'], 'no secret, no signature');
});
