import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { buildPlan } from '../../src/runner/playbook.js';
import type { RunnerEvent } from '../../src/runner/session.js';
import { later, readEffects } from './fixtures/responders.js';
import { spawnRunner } from '../helpers/runner-child.js';
import { runnerSetup } from '../helpers/runner-setup.js';
import { postgresStore, TEST_PG_URL } from '../helpers/stores.js';

// Real processes on a loaded CI machine: more than the default per-file time.
t.setTimeout(900_000);

/**
 * No waiting on the critical path: the poll is set to a minute (and on a ManualClock nobody
 * moves, never comes), so whatever these runners do, a wake-up made them do it.
 */
const POLL_MS = 60_000;

/** A runner started on the test's store, and a way to wait for one of its events. */
async function started(t: Test, backend: 'sqlite' | 'postgres') {
  const env = await runnerSetup(t, { backend, responders: { later } });
  const waiters: { match: (e: RunnerEvent) => boolean; resolve: () => void }[] = [];
  const runner = await env.newRunner('woken', {
    pollMs: POLL_MS,
    onEvent: (e) => {
      for (const w of [...waiters]) if (w.match(e)) (waiters.splice(waiters.indexOf(w), 1), w.resolve());
    },
  });
  runner.start();
  await runner.ready;
  const event = (match: (e: RunnerEvent) => boolean) => new Promise<void>((resolve) => waiters.push({ match, resolve }));
  return { ...env, event };
}

/** What an incident records when it opens: the leaked key's version. */
const TARGET = { fingerprint: 'f'.repeat(64), keyHint: 'AbCd…', versionId: 'v1' };

for (const backend of ['sqlite', 'postgres'] as const) {
  t.test(`${backend}: an incident opened in the store is claimed at once by a runner on it, once its target is recorded`, async (t) => {
    const env = await started(t, backend);
    const closed = env.event((e) => e.type === 'incident.closed');
    const id = await env.open([{ step: 'record', params: { effect: 'freeze' } }]);
    await env.store.updateIncident(id, { target: TARGET, at: env.clock.now() });
    await closed;
    t.equal((await env.store.getIncident(id))?.state, 'resolved');
    t.same(readEffects(env.dir).map((e) => e.effect), ['freeze']);
  });
}

t.test('a timer that comes due wakes its worker before the next poll', async (t) => {
  const env = await started(t, 'sqlite');
  const closed = env.event((e) => e.type === 'incident.closed');
  const id = await env.open([{ step: 'later', params: { effect: 'revoke-old', delayMs: 10_000 } }]);
  await env.store.updateIncident(id, { target: TARGET, at: env.clock.now() });
  await closed;
  t.match(await env.store.listWork({ incidentId: id }), [{ status: 'pending', runAt: env.clock.now() + 10_000 }], 'the timer waits');
  const fired = env.event((e) => e.type === 'timer.fired');
  // Ten seconds of the runner's clock: the poll (a minute) does not come, the timer does.
  await env.clock.advance(10_000);
  await fired;
  t.same(readEffects(env.dir).map((e) => e.effect), ['revoke-old']);
});

/** A runner in another process on a fresh PostgreSQL schema, polling once a minute. */
async function otherProcess(t: Test) {
  const ts = await postgresStore();
  const dir = mkdtempSync(join(tmpdir(), 'leakguard-wake-'));
  const child = spawnRunner({ url: ts.url, schema: ts.schema, dir, holder: 'other', env: { LG_POLL_MS: String(POLL_MS) } });
  t.teardown(async () => {
    child.child.kill('SIGKILL');
    await child.exited;
    await ts.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });
  await child.waitFor((e) => (e.type as string) === 'ready');
  const open = async () => {
    const plan = buildPlan('break-glass', [{ step: 'record', params: { effect: 'revoke' } }]);
    const { incident } = await ts.store.openIncident({ id: randomUUID(), credentialId: 'bybit-prod', dryRun: false, reason: 'leak', target: TARGET, plan, at: Date.now() });
    return incident.id;
  };
  return { ts, dir, child, open };
}

t.test('postgres: an incident opened here is claimed at once by a runner in another process (NOTIFY)', async (t) => {
  const { ts, dir, child, open } = await otherProcess(t);
  const id = await open();
  await child.waitFor((e) => e.type === 'incident.closed' && e.incidentId === id);
  t.equal((await ts.store.getIncident(id))?.state, 'resolved');
  t.same(readEffects(dir).map((e) => e.effect), ['revoke']);
});

t.test('postgres: work that came while the LISTEN connection was down is picked up once it is back', async (t) => {
  const { ts, dir, child, open } = await otherProcess(t);
  // The incident waits behind a pause; lifting it straight in the store sends no wake-up, as if the NOTIFY were lost.
  await ts.store.setPause({ scope: 'global', actor: 'user:alice', reason: 'drill', at: Date.now() });
  const id = await open();
  await child.waitFor((e) => e.type === 'parked' && e.incidentId === id && e.state === 'paused');
  await ts.store.clearPause('global');

  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  t.teardown(() => admin.end());
  const killed = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [`leakguard-wake:${ts.schema}`]);
  t.equal(killed.rowCount, 1, 'the one LISTEN connection of the other process is gone');

  await child.waitFor((e) => e.type === 'incident.closed' && e.incidentId === id);
  t.equal((await ts.store.getIncident(id))?.state, 'resolved', 'the scan after the reconnect found it');
  t.same(readEffects(dir).map((e) => e.effect), ['revoke']);
});
