import t from 'tap';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { Role } from '../../../src/config/schema.js';
import { responderWorld } from '../../responders/harness.js';
import { eventually } from '../../helpers/runner-child.js';
import { apiSection, caller } from './kit.js';

t.setTimeout(120_000);

/** Every route of the API, the lowest role it needs, and a valid request. */
const ROUTES: { method: 'GET' | 'POST'; url: string; role: Role; body?: unknown }[] = [
  { method: 'GET', url: '/v1/incidents', role: 'viewer' },
  { method: 'GET', url: '/v1/incidents/X', role: 'viewer' },
  { method: 'GET', url: '/v1/incidents/X/timeline', role: 'viewer' },
  { method: 'GET', url: '/v1/incidents/X/events', role: 'viewer' },
  { method: 'POST', url: '/v1/incidents', role: 'operator', body: { credential: 'bybit-prod-trading', playbook: 'scheduled', reason: 'r' } },
  { method: 'POST', url: '/v1/incidents/X/approve', role: 'operator' },
  { method: 'POST', url: '/v1/incidents/X/abort', role: 'operator', body: { reason: 'r' } },
  { method: 'POST', url: '/v1/incidents/X/retry', role: 'operator', body: {} },
  { method: 'POST', url: '/v1/incidents/X/rollback', role: 'operator', body: { reason: 'r' } },
  { method: 'GET', url: '/v1/tasks', role: 'viewer' },
  { method: 'POST', url: '/v1/tasks/X/complete', role: 'operator', body: {} },
  { method: 'GET', url: '/v1/pause', role: 'viewer' },
  { method: 'POST', url: '/v1/pause', role: 'admin', body: { scope: 'global', reason: 'r' } },
  { method: 'POST', url: '/v1/resume', role: 'admin', body: { scope: 'global', reason: 'r' } },
  { method: 'GET', url: '/v1/credentials', role: 'viewer' },
  { method: 'POST', url: '/v1/credentials/X/rotate', role: 'operator', body: { reason: 'r' } },
  { method: 'POST', url: '/v1/rotations', role: 'admin', body: { filter: {}, reason: 'r' } },
  { method: 'POST', url: '/v1/people/X/offboard', role: 'operator' },
  { method: 'GET', url: '/v1/signals', role: 'viewer' },
  { method: 'POST', url: '/v1/signals', role: 'operator', body: { credential: 'bybit-prod-trading', kind: 'phone_call', confidence: 'suspected', note: 'n' } },
  { method: 'GET', url: '/v1/audit', role: 'viewer' },
];
const LOWER: Record<Role, Role[]> = { viewer: [], operator: ['viewer'], admin: ['viewer', 'operator'] };

t.test('the API: roles, problems, audit and timeline for every change, Idempotency-Key, the OpenAPI document', async (t) => {
  const env = await responderWorld(t, { config: { api: apiSection() } });
  const mismatches: string[] = [];
  const call = caller(env.app, (m) => mismatches.push(m));
  const store = env.store;

  t.test('the OpenAPI document validates and lists every route', async (t) => {
    const res = await env.app.inject({ method: 'GET', url: '/docs/json' });
    t.equal(res.statusCode, 200);
    const doc = res.json();
    await SwaggerParser.validate(structuredClone(doc));
    const listed = Object.entries(doc.paths as Record<string, object>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    const expected = ROUTES.map((r) => `${r.method} ${r.url.replace(/\/X(?=\/|$)/, r.url.startsWith('/v1/people') ? '/{person}' : '/{id}')}`);
    t.same(listed.filter((l) => !l.startsWith('HEAD')).sort(), [...new Set(expected)].sort(), 'every route, and only the API');
    t.equal((await env.app.inject({ method: 'GET', url: '/docs' })).statusCode < 400, true, 'the UI answers');
    t.ok(res.headers['x-content-type-options'], 'helmet sets security headers');
  });

  t.test('401 without a token or with a wrong one, 403 for a role too low', async (t) => {
    for (const r of ROUTES) {
      const none = await call(null, r.method, r.url, r.body);
      t.equal(none.statusCode, 401, `${r.method} ${r.url} without a token`);
      t.match(none.json(), { status: 401, detail: /Authorization: Bearer TOKEN/ });
      t.equal(none.headers['www-authenticate'], 'Bearer');
      const wrong = await env.app.inject({ method: r.method, url: r.url, headers: { authorization: 'Bearer not-a-token' }, ...(r.body ? { payload: r.body as object } : {}) });
      t.equal(wrong.statusCode, 401, `${r.method} ${r.url} with an unknown token`);
      for (const low of LOWER[r.role]) {
        const res = await call(low, r.method, r.url, r.body);
        t.equal(res.statusCode, 403, `${r.method} ${r.url} as ${low}`);
        t.match(res.json().detail, `needs the ${r.role} role`);
      }
    }
    t.equal((await store.listAudit()).length, 0, 'nothing refused changed anything');
  });

  t.test('bad input is a problem and stores nothing', async (t) => {
    const bad = [
      ['POST', '/v1/incidents', { credential: 'bybit-prod-trading', playbook: 'nope', reason: 'r' }, 400],
      ['POST', '/v1/incidents', { credential: 'nope', playbook: 'scheduled', reason: 'r' }, 404],
      ['POST', '/v1/incidents', { credential: 'bybit-prod-trading', playbook: 'scheduled', reason: '' }, 400],
      ['POST', '/v1/pause', { scope: 'no-such-credential', reason: 'r' }, 400],
      ['POST', '/v1/resume', { scope: 'global', reason: 'r' }, 409],
      ['POST', '/v1/rotations', { filter: { exchange: 'kraken' }, reason: 'r' }, 400],
      ['POST', '/v1/people/nobody@example.com/offboard', undefined, 404],
      ['POST', '/v1/incidents/nope/abort', { reason: 'r' }, 404],
      ['POST', '/v1/tasks/nope/complete', {}, 404],
      ['GET', '/v1/incidents?cursor=garbage', undefined, 400],
      ['GET', '/v1/incidents/nope', undefined, 404],
    ] as const;
    for (const [method, url, body, status] of bad) {
      const res = await call('admin', method, url, body);
      t.equal(res.statusCode, status, `${method} ${url}`);
      t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
      t.ok(res.json().detail, 'says what to do');
    }
    t.same([await store.listIncidents({}), await store.listAudit(), await store.listPauses()], [[], [], []]);
  });

  t.test('every change: its audit entry and its timeline entry with the caller', async (t) => {
    const declared = await call('operator', 'POST', '/v1/incidents', { credential: 'bybit-prod-trading', playbook: 'scheduled', reason: 'drill', dryRun: true });
    t.equal(declared.statusCode, 201);
    const id = declared.json().incident.id as string;
    const audit = async (action: string) => (await store.listAudit()).find((a) => a.action === action);
    const timeline = async (type: string) => (await store.listTimeline(id)).find((e) => e.type === type);
    t.match(await audit('incident.declared'), { actor: 'user:operator-bot', target: id });
    t.match(await timeline('incident.opened'), { actor: 'user:operator-bot' });
    t.equal((await call('operator', 'POST', '/v1/incidents', { credential: 'bybit-prod-trading', playbook: 'emergency', reason: 'more' })).json().created, false, 'a second declaration attaches');

    t.equal((await call('operator', 'POST', `/v1/incidents/${id}/approve`)).statusCode, 409, 'nothing to approve yet');
    await store.appendTimeline({ incidentId: id, at: 1, actor: 'system:runner', type: 'approval.requested', message: 'restore needs approval', data: { step: 'restore', reason: 'foreign orders' } });
    t.same((await call('operator', 'POST', `/v1/incidents/${id}/approve`)).json(), { approved: ['restore'] });
    t.match(await audit('approval.granted'), { actor: 'user:operator-bot', target: id });
    t.match(await timeline('approval.granted'), { actor: 'user:operator-bot' });

    t.equal((await call('operator', 'POST', `/v1/incidents/${id}/retry`, {})).statusCode, 409, 'no failed step to retry');
    const lease = (await store.acquireLease(`incident:${id}`, 'test', 60_000, env.clock.now()))!;
    const fence = { lease: lease.name, holder: lease.holder, token: lease.fence };
    for (let attempt = 1; attempt <= 4; attempt++) {
      await store.startStep({ incidentId: id, step: 'preflight', attempt, at: env.clock.now() - 10 }, fence);
      await store.finishStep({ incidentId: id, step: 'preflight', attempt, status: 'failed', at: env.clock.now() - 5, outputs: {}, error: 'boom' }, fence);
    }
    await store.releaseLease(fence);
    t.same((await call('operator', 'POST', `/v1/incidents/${id}/retry`, {})).json(), { retrying: 'preflight' });
    t.match(await audit('incident.retry_requested'), { actor: 'user:operator-bot', data: { step: 'preflight' } });
    t.match(await timeline('incident.retry_requested'), { actor: 'user:operator-bot' });
    const detail = (await call('viewer', 'GET', `/v1/incidents/${id}`)).json();
    t.equal(detail.steps.length, 4, 'the detail has the step runs');

    t.equal((await call('admin', 'POST', '/v1/pause', { scope: 'bybit-prod-trading', reason: 'maintenance' })).statusCode, 202);
    t.match(await audit('incident.pause_requested'), { actor: 'user:admin-bot', target: 'bybit-prod-trading' });
    t.match(await timeline('incident.pause_requested'), { actor: 'user:admin-bot' });
    t.same((await call('viewer', 'GET', '/v1/pause')).json().items.map((p: { scope: string }) => p.scope), ['bybit-prod-trading']);
    t.equal((await call('admin', 'POST', '/v1/resume', { scope: 'bybit-prod-trading', reason: 'done' })).statusCode, 202);
    t.match(await timeline('incident.resume_requested'), { actor: 'user:admin-bot', message: 'resume (bybit-prod-trading): done' });

    const reported = await call('operator', 'POST', '/v1/signals', { credential: 'bybit-prod-trading', kind: 'exchange_email', confidence: 'suspected', note: 'Bybit wrote: unusual login' });
    t.equal(reported.statusCode, 201);
    t.match(await audit('signal.reported'), { actor: 'user:operator-bot', target: reported.json().id });
    t.same((await call('viewer', 'GET', '/v1/signals?credential=bybit-prod-trading')).json().items.map((s: { kind: string }) => s.kind), ['manual.exchange_email']);
    t.same((await call('viewer', 'GET', '/v1/signals?unmatched=true')).json().items, []);

    t.equal((await call('operator', 'POST', `/v1/incidents/${id}/rollback`, { reason: 'r' })).statusCode, 409, 'no rollback while the credential has an active incident');
    t.equal((await call('operator', 'POST', `/v1/incidents/${id}/abort`, { reason: 'drill over' })).statusCode, 202);
    t.match(await audit('incident.abort_requested'), { actor: 'user:operator-bot', target: id });
    t.match(await timeline('incident.abort_requested'), { actor: 'user:operator-bot', message: 'drill over' });
    // The runner closes it; then a rollback opens its own incident, recorded on both. Automation is
    // paused meanwhile, so the incidents opened below wait (abort is looked at before the pause).
    env.runner.start();
    await env.waitForState(id, ['aborted']);
    await call('admin', 'POST', '/v1/pause', { scope: 'global', reason: 'hold the incidents opened below' });
    const rolled = await call('operator', 'POST', `/v1/incidents/${id}/rollback`, { reason: 'the new key broke the bot', insist: true });
    t.equal(rolled.statusCode, 201);
    const rollbackId = rolled.json().incident.id as string;
    t.equal(rolled.json().incident.playbook, 'rollback');
    t.match(await timeline('incident.rollback_requested'), { actor: 'user:operator-bot', data: { rollbackIncidentId: rollbackId } });
    t.match(await audit('incident.rollback_requested'), { actor: 'user:operator-bot', target: id });
    const plan = (await store.getPlan(rollbackId)) as { steps: { step: string; params: { insist?: boolean } }[] };
    t.equal(plan.steps.find((s) => s.step === 'promote')?.params.insist, true, 'insist reaches the promote step');
    await call('operator', 'POST', `/v1/incidents/${rollbackId}/abort`, { reason: 'not now' });
    await env.waitForState(rollbackId, ['aborted']);

    const offboarded = await call('operator', 'POST', '/v1/people/alice@example.com/offboard');
    t.equal(offboarded.statusCode, 202);
    const off = offboarded.json().incidents[0].incidentId as string;
    t.match(await audit('offboarding'), { actor: 'user:operator-bot', target: 'alice@example.com' });
    t.match((await store.listTimeline(off)).find((e) => e.type === 'incident.opened'), { actor: 'user:operator-bot' });
    await call('operator', 'POST', `/v1/incidents/${off}/abort`, { reason: 'not now' });
    await env.waitForState(off, ['aborted']);
    await call('admin', 'POST', '/v1/resume', { scope: 'global', reason: 'go on' });

    const rotated = await call('operator', 'POST', '/v1/credentials/bybit-prod-trading/rotate', { reason: 'key is 90 days old', dryRun: true });
    t.equal(rotated.statusCode, 201);
    t.match(await audit('incident.declared'), { actor: 'user:operator-bot', target: rotated.json().incident.id, data: { playbook: 'scheduled' } });
    await env.waitForState(rotated.json().incident.id, ['resolved']);
    const creds = (await call('viewer', 'GET', '/v1/credentials')).json();
    t.match(creds.items[0], { id: 'bybit-prod-trading', state: 'idle', rotationDays: 90 });

    await call('admin', 'POST', '/v1/pause', { scope: 'global', reason: 'the bulk rotation opens, its incident waits' });
    const bulk = await call('admin', 'POST', '/v1/rotations', { filter: { secretIdContains: 'prod' }, reason: 'force rotation for all prod secrets', playbook: 'scheduled' });
    t.equal(bulk.statusCode, 202);
    t.same(bulk.json().credentials, ['bybit-prod-trading']);
    t.match(await audit('rotations.requested'), { actor: 'user:admin-bot', target: bulk.json().batchId });
    const batchIncident = await eventually(async () => (await store.getActiveIncident('bybit-prod-trading')) ?? undefined, 'the batch opening its rotation');
    t.match(batchIncident, { playbook: 'scheduled', reason: `force rotation for all prod secrets (rotation batch ${bulk.json().batchId})` });
    t.match((await store.listTimeline(batchIncident.id)).find((e) => e.type === 'incident.opened'), { actor: 'user:admin-bot' });
    await call('operator', 'POST', `/v1/incidents/${batchIncident.id}/abort`, { reason: 'not now' });
    await env.waitForState(batchIncident.id, ['aborted']);

    const page1 = (await call('viewer', 'GET', '/v1/audit?limit=2')).json();
    const page2 = (await call('viewer', 'GET', `/v1/audit?limit=2&cursor=${page1.next}`)).json();
    t.ok(page2.items[0].seq < page1.items[1].seq, 'audit pages go back in time');
    const incidents1 = (await call('viewer', 'GET', '/v1/incidents?limit=1')).json();
    const incidents2 = (await call('viewer', 'GET', `/v1/incidents?limit=1&cursor=${incidents1.next}`)).json();
    t.not(incidents2.items[0].id, incidents1.items[0].id, 'incident pages');
    t.same((await call('viewer', 'GET', '/v1/incidents?playbook=rollback')).json().items.map((i: { id: string }) => i.id), [rollbackId], 'filtered by playbook');
    t.same((await call('viewer', 'GET', '/v1/incidents?state=resolved')).json().items.map((i: { id: string }) => i.id), [rotated.json().incident.id], 'filtered by state');
    t.same((await call('viewer', 'GET', `/v1/incidents/${id}/timeline?after=0`)).json().items.length, (await store.listTimeline(id)).length);
    t.same((await call('viewer', 'GET', '/v1/tasks')).json(), { items: [] });
  });

  t.test('a replayed Idempotency-Key does nothing twice', async (t) => {
    // The engine's own decisions are audited too, as they come: the API's entries are counted here.
    const apiAudit = async () => (await store.listAudit(1000)).filter((a) => a.actor !== 'system:engine').length;
    const before = await apiAudit();
    const req = { credential: 'bybit-prod-trading', kind: 'phone_call', confidence: 'suspected', note: 'the desk called' };
    const first = await call('operator', 'POST', '/v1/signals', req, { 'idempotency-key': 'call-1' });
    const again = await call('operator', 'POST', '/v1/signals', req, { 'idempotency-key': 'call-1' });
    t.equal(first.statusCode, 201);
    t.equal(again.statusCode, 201);
    t.same(again.json(), first.json(), 'the first answer');
    t.equal(again.headers['idempotent-replayed'], 'true');
    t.equal((await store.listSignals({})).filter((s) => s.kind === 'manual.phone_call').length, 1, 'one signal');
    t.equal(await apiAudit(), before + 1, 'one audit entry');
    const other = await call('operator', 'POST', '/v1/signals', { ...req, note: 'another call' }, { 'idempotency-key': 'call-1' });
    t.equal(other.statusCode, 422, 'a key reused for another request is refused');
    const admin = await call('admin', 'POST', '/v1/signals', req, { 'idempotency-key': 'call-1' });
    t.equal(admin.statusCode, 201, "another caller's key is its own");
    t.equal(admin.headers['idempotent-replayed'], undefined);
    const refused = await call('operator', 'POST', '/v1/incidents/nope/abort', { reason: 'r' }, { 'idempotency-key': 'abort-1' });
    t.same((await call('operator', 'POST', '/v1/incidents/nope/abort', { reason: 'r' }, { 'idempotency-key': 'abort-1' })).json(), refused.json(), 'a refusal is replayed too');
    t.equal((await call('operator', 'POST', '/v1/signals', req, { 'idempotency-key': '' })).statusCode, 400, 'an empty key is bad input');
  });

  t.test("each answer matched its route's response schema", async (t) => {
    t.same(mismatches, []);
  });
});
