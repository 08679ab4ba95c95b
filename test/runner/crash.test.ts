import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { buildPlan } from '../../src/runner/playbook.js';
import { readEffects } from './fixtures/responders.js';
import { eventually, spawnRunner } from '../helpers/runner-child.js';
import { sqliteStore } from '../helpers/stores.js';

// Real processes (38 of them here) on a loaded CI machine: more than the default per-file time.
t.setTimeout(300_000);

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

async function scenario(t: Test, killAt: string) {
  const ts = await sqliteStore();
  const dir = mkdtempSync(join(tmpdir(), 'leakguard-crash-'));
  t.teardown(async () => {
    await ts.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });
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
