import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { buildPlan } from '../../src/runner/playbook.js';
import { readEffects } from './fixtures/responders.js';
import { eventually, spawnRunner } from '../helpers/runner-child.js';
import { sqliteStore } from '../helpers/stores.js';

// Real processes (48 of them here) on a loaded CI machine: far more than the default per-file time.
t.setTimeout(900_000);

/**
 * Crash safety: the runner runs in a child process that SIGKILLs itself at one exact point
 * (every step boundary, and inside a step before and after its side effect); a fresh process
 * then finishes the incident. Every run must end resolved with every side effect exactly once.
 */
const STEPS = ['a', 'b', 'c', 'd'];
const plan = buildPlan('break-glass', [
  { id: 'a', step: 'record', params: { effect: 'freeze' } },
  { id: 'b', step: 'record', params: { effect: 'cancel' }, group: 'g' },
  { id: 'c', step: 'record', params: { effect: 'revoke' }, group: 'g' },
  { id: 'd', step: 'record', params: { effect: 'rotate' } },
]);
const POINTS = [
  ...['a', 'b', 'd'].flatMap((s) => [
    `step.journal.started:${s}`,
    `step.started:${s}`,
    `before-effect:${s}`,
    `after-effect:${s}`,
    `step.journal.finished:${s}`,
    `step.finished:${s}`,
  ]),
  'incident.closing:resolved',
];

/** A fresh store and effects dir, removed after the test. */
async function fresh(t: Test) {
  const ts = await sqliteStore();
  const dir = mkdtempSync(join(tmpdir(), 'leakguard-crash-'));
  t.teardown(async () => {
    await ts.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });
  return { ts, dir };
}

async function scenario(t: Test, killAt: string) {
  const { ts, dir } = await fresh(t);
  const { incident } = await ts.store.openIncident({ id: randomUUID(), credentialId: 'bybit-prod', dryRun: false, reason: 'leak', target: null, plan, at: Date.now() });

  const first = spawnRunner({ url: ts.url, dir, holder: 'first', killAt, leaseTtlMs: 1_000 });
  const exit = await first.exited;
  t.equal(exit.signal, 'SIGKILL', `killed at ${killAt}`);

  const second = spawnRunner({ url: ts.url, dir, holder: 'second', leaseTtlMs: 1_000 });
  t.teardown(() => void second.child.kill('SIGKILL'));
  const done = await eventually(async () => {
    const i = await ts.store.getIncident(incident.id);
    return i?.state === 'resolved' ? i : undefined;
  }, `incident resolved after a kill at ${killAt}:\n${second.output()}`);
  second.child.kill('SIGTERM');
  await second.exited;
  t.equal(done.state, 'resolved');

  const effects = readEffects(dir);
  t.same(effects.map((e) => e.step).sort(), STEPS, 'every side effect exactly once');
  t.ok(effects.every((e) => e.attempt === 1), 'an interrupted step was re-run with the same key');
  const runs = await ts.store.listStepRuns(incident.id);
  t.same(runs.map((r) => `${r.step}/${r.attempt}/${r.status}`).sort(), STEPS.map((s) => `${s}/1/succeeded`));
  const timeline = await ts.store.listTimeline(incident.id);
  for (const s of STEPS) t.equal(timeline.filter((e) => e.type === 'step.finished' && e.data.step === s).length, 1, `one finish of ${s} on the timeline`);
  t.equal(timeline.filter((e) => e.type === 'incident.resolved').length, 1);
  const secondClaim = timeline.find((e) => e.type === 'incident.claimed' && e.writer?.holder === 'second');
  if (secondClaim) t.ok(timeline.filter((e) => e.seq > secondClaim.seq).every((e) => e.writer?.holder !== 'first'), 'nothing from the dead process after the takeover');
}

t.test('SIGKILL at every step boundary and inside steps; a restart finishes each run exactly once', async (t) => {
  // A few at a time: each scenario is two real processes.
  t.jobs = 4;
  for (const killAt of POINTS) t.test(`kill at ${killAt}`, (t) => scenario(t, killAt));
});

/**
 * The work queue under SIGKILL: a step timer (a work item) claimed by a worker that is killed
 * while running it, or after running it but before completing the item, is done exactly once
 * by the worker of the next process, once the dead worker's claim has lapsed.
 */
const timerPlan = buildPlan('scheduled', [{ id: 'promote', step: 'later', params: { effect: 'revoke-old' } }]);
const TIMER_POINTS = ['step.journal.started', 'before-effect', 'after-effect', 'step.journal.finished', 'timer.fired'].map((p) => `${p}:promote.t`);

async function timerScenario(t: Test, killAt: string) {
  const { ts, dir } = await fresh(t);
  const { incident } = await ts.store.openIncident({ id: randomUUID(), credentialId: 'bybit-prod', dryRun: false, reason: 'rotation', target: null, plan: timerPlan, at: Date.now() });

  const first = spawnRunner({ url: ts.url, dir, holder: 'first', killAt, leaseTtlMs: 1_000 });
  t.equal((await first.exited).signal, 'SIGKILL', `killed at ${killAt}`);
  const [claimed] = await ts.store.listWork({ incidentId: incident.id });
  t.match(claimed, { kind: 'step-timer', status: 'pending', claimedBy: 'first' }, 'the dead worker held the item');

  const second = spawnRunner({ url: ts.url, dir, holder: 'second', leaseTtlMs: 1_000 });
  t.teardown(() => void second.child.kill('SIGKILL'));
  await second.waitFor((e) => e.type === 'timer.fired');
  const done = await eventually(async () => {
    const [item] = await ts.store.listWork({ incidentId: incident.id });
    return item?.status === 'done' ? item : undefined;
  }, `work item done after a kill at ${killAt}:\n${second.output()}`);
  second.child.kill('SIGTERM');
  await second.exited;

  t.equal(done.attempts, 0, 'a lapsed claim is not counted as a failure');
  t.same(readEffects(dir).map((e) => `${e.step}/${e.attempt}/${e.effect}`), ['promote.t/1/revoke-old'], 'the timer step ran its side effect exactly once');
  const runs = (await ts.store.listStepRuns(incident.id)).filter((r) => r.step === 'promote.t');
  t.same(runs.map((r) => `${r.attempt}/${r.status}`), ['1/succeeded']);
  const timeline = await ts.store.listTimeline(incident.id);
  t.equal(timeline.filter((e) => e.type === 'timer.fired').length, 1, 'fired once on the timeline');
  t.equal(timeline.filter((e) => e.type === 'step.finished' && e.data.step === 'promote.t').length, 1);
}

t.test('SIGKILL of a worker holding a step timer; the next worker does it exactly once', async (t) => {
  t.jobs = 4;
  for (const killAt of TIMER_POINTS) t.test(`kill at ${killAt}`, (t) => timerScenario(t, killAt));
});
