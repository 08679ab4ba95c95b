import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { buildPlan } from '../../src/runner/playbook.js';
import { openGate, readEffects } from './fixtures/responders.js';
import { eventually, spawnRunner, type ChildRunner } from '../helpers/runner-child.js';
import { postgresStore } from '../helpers/stores.js';

// Real processes on a loaded CI machine: more than the default per-file time.
t.setTimeout(900_000);

/** Two runner processes on one PostgreSQL store, one incident whose step `b` waits at a gate the test opens. */
async function twoReplicas(t: Test) {
  const ts = await postgresStore();
  const dir = mkdtempSync(join(tmpdir(), 'leakguard-replicas-'));
  const plan = buildPlan('break-glass', [
    { id: 'a', step: 'record', params: { effect: 'freeze' } },
    { id: 'b', step: 'record', params: { effect: 'revoke', gate: true } },
    { id: 'c', step: 'record', params: { effect: 'rotate' } },
  ]);
  const { incident } = await ts.store.openIncident({ id: randomUUID(), credentialId: 'bybit-prod', dryRun: false, reason: 'leak', target: null, plan, at: Date.now() });
  const runners = ['A', 'B'].map((holder) => spawnRunner({ url: ts.url, schema: ts.schema, dir, holder, leaseTtlMs: 1_500 }));
  t.teardown(async () => {
    for (const r of runners) {
      r.child.kill('SIGCONT');
      r.child.kill('SIGKILL');
      await r.exited;
    }
    await ts.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });
  await Promise.all(runners.map((r) => r.waitFor((e) => (e.type as string) === 'ready')));
  // Whoever won the race is at the gate of b.
  const atGate = await Promise.race(runners.map((r) => r.waitFor((e) => e.type === 'step.started' && e.step === 'b').then(() => r)));
  const holder = atGate;
  const other = runners.find((r) => r !== holder)!;
  const resolved = () =>
    eventually(async () => {
      const i = await ts.store.getIncident(incident.id);
      return i?.state === 'resolved' ? i : undefined;
    }, `resolved:\n${runners.map((r) => r.output()).join('\n---\n')}`);
  const snapshot = async () => JSON.stringify([await ts.store.listTimeline(incident.id), await ts.store.listStepRuns(incident.id), await ts.store.getIncident(incident.id)]);
  return { ts, dir, incident, holder, other, resolved, snapshot };
}

function exactlyOnce(t: Test, dir: string) {
  t.same(readEffects(dir).map((e) => e.step).sort(), ['a', 'b', 'c'], 'every side effect exactly once');
}

const started = (r: ChildRunner, step: string) => r.events.filter((e) => e.type === 'step.started' && e.step === step).length;

t.test('two runners race for one incident: exactly one runs each step', async (t) => {
  const { ts, dir, incident, holder, other, resolved } = await twoReplicas(t);
  openGate(dir, 'b');
  await resolved();
  exactlyOnce(t, dir);
  for (const step of ['a', 'b', 'c']) {
    t.equal(started(holder, step), 1, `${holder.holder} ran ${step}`);
    t.equal(started(other, step), 0, `${other.holder} did not run ${step}`);
  }
  const runs = await ts.store.listStepRuns(incident.id);
  t.ok(runs.every((r) => r.writer?.holder === holder.holder), 'every journal row by the one holder');
});

t.test('SIGKILL of the holder hands the incident over within the lease time', async (t) => {
  const { ts, dir, incident, holder, other, resolved } = await twoReplicas(t);
  const before = await ts.store.getLease(`incident:${incident.id}`);
  holder.child.kill('SIGKILL');
  await holder.exited;
  openGate(dir, 'b');
  await other.waitFor((e) => e.type === 'claimed' && e.incidentId === incident.id);
  await resolved();
  exactlyOnce(t, dir);
  const runs = await ts.store.listStepRuns(incident.id);
  t.same(runs.map((r) => [r.step, r.attempt, r.writer?.holder]), [
    ['a', 1, holder.holder],
    ['b', 1, other.holder],
    ['c', 1, other.holder],
  ], 'the interrupted step b was finished by the new holder with the same attempt');
  const takeover = (await ts.store.listTimeline(incident.id)).find((e) => e.type === 'incident.claimed' && e.writer?.holder === other.holder);
  t.ok(takeover && takeover.writer!.fence > before!.fence, 'the new holder writes with a larger fence');
  t.match(takeover?.message, /from b \(attempt 1, interrupted\)/);
});

t.test('a runner frozen with SIGSTOP past its lease and then resumed with SIGCONT writes nothing', async (t) => {
  const { ts, dir, incident, holder, other, resolved, snapshot } = await twoReplicas(t);
  const frozenFence = (await ts.store.getLease(`incident:${incident.id}`))!.fence;
  holder.child.kill('SIGSTOP');
  // The other replica takes over once the lease runs out, and finishes while the first is frozen.
  await eventually(async () => ((await ts.store.getLease(`incident:${incident.id}`))?.holder === other.holder ? true : undefined), 'takeover');
  openGate(dir, 'b');
  await resolved();
  const atResolve = await snapshot();

  holder.child.kill('SIGCONT');
  // The frozen step wakes at its open gate, finds the lease gone and stops.
  await holder.waitFor((e) => e.type === 'lease.lost' && e.incidentId === incident.id);
  // To the end of its life: a graceful stop waits for all it still had running, so whatever it would write is written by its exit.
  holder.child.kill('SIGTERM');
  t.match(await holder.exited, { code: 0 }, 'the resumed process stopped cleanly');
  t.equal(await snapshot(), atResolve, 'the resumed process wrote nothing');
  exactlyOnce(t, dir);
  const timeline = await ts.store.listTimeline(incident.id);
  const takeover = timeline.find((e) => e.type === 'incident.claimed' && e.writer?.holder === other.holder)!;
  t.ok(takeover.writer!.fence > frozenFence);
  t.ok(timeline.filter((e) => e.seq > takeover.seq).every((e) => e.writer?.holder === other.holder), 'after the takeover, only the new holder');
  t.equal(started(holder, 'c'), 0, 'the frozen runner never reached the next step');
});
