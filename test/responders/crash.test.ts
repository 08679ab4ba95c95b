import t, { type Test } from 'tap';
import { eventually, spawnRunner } from '../helpers/runner-child.js';
import { WORLD } from '../sim/world.js';
import type { ChildWorld } from './fixtures/child-runner.js';
import { fastPlan, responderWorld } from './harness.js';

// Two real processes per scenario, each with a fresh world and the simulated bot.
t.setTimeout(900_000);

const script = new URL('./fixtures/child-runner.ts', import.meta.url).pathname;
const STEPS = ['freeze', 'cancel', 'revoke', 'rotate', 'promote', 'cancel-new', 'restore', 'verify', 'notify'];
const POINTS = [
  ...STEPS.flatMap((s) => [`step.journal.started:${s}`, `step.journal.finished:${s}`]),
  'after-scale:freeze',
  'before-write:rotate',
  'after-write:rotate',
  'incident.closing:resolved',
];

/**
 * Break-glass with the real responders in a child process that SIGKILLs itself at one exact
 * point; a fresh process finishes the incident. Every run must end resolved with exactly one
 * new key at the exchange, no orphan, one secret version for the rotation and the bot's
 * replica count restored.
 */
async function scenario(t: Test, killAt: string) {
  const env = await responderWorld(t);
  const { world } = env;
  const leaked = world.accounts.botKey;
  await env.botTrading(leaked.apiKey.slice(0, 4));
  const incident = await env.open(fastPlan('break-glass'));
  const childWorld: ChildWorld = { urls: world.urls, accounts: world.accounts, slackWebhook: world.slackWebhook, k8sToken: world.kubernetes.token };
  const common = { url: env.url, dir: '', script, leaseTtlMs: 1_000, env: { LG_WORLD: JSON.stringify(childWorld) } };

  const first = spawnRunner({ ...common, holder: 'first', killAt });
  t.teardown(() => void first.child.kill('SIGKILL'));
  const exit = await first.exited;
  t.equal(exit.signal, 'SIGKILL', `killed at ${killAt}`);

  const second = spawnRunner({ ...common, holder: 'second' });
  t.teardown(() => void second.child.kill('SIGKILL'));
  const done = await eventually(async () => {
    const i = await env.store.getIncident(incident.id);
    return i && !['open', 'running'].includes(i.state) ? i : undefined;
  }, `incident finished after a kill at ${killAt}:\n${second.output()}`, 120_000);
  second.child.kill('SIGTERM');
  await second.exited;
  const timeline = await env.store.listTimeline(incident.id);
  t.equal(done.state, 'resolved', timeline.filter((e) => e.type === 'step.failed' || e.type === 'incident.state_changed').map((e) => e.message).join('\n'));

  const versions = world.secretsManager.secret(WORLD.secretId)!.versions;
  t.equal(versions.length, 2, 'one secret version for the rotation');
  const current = JSON.parse(versions.find((v) => v.stages.includes('AWSCURRENT'))!.secretString!) as { api_key: string };
  t.equal(versions.find((v) => v.stages.includes('AWSPREVIOUS'))?.versionId, incident.target?.versionId);
  const live = world.bybit.keys().filter((k) => k.uid === world.accounts.subUid && !k.deletedAt);
  t.same(live.map((k) => k.apiKey), [current.api_key], 'exactly one new key at the exchange, no orphan, the leaked key gone');
  await eventually(async () => (env.botPods().length === 3 ? true : undefined), 'three bot pods', 20_000);
  t.equal(world.kubernetes.deployment(WORLD.namespace, WORLD.deployment)?.spec.replicas, 3, "the bot's replica count is restored");
  t.notOk(world.kubernetes.deployment(WORLD.namespace, WORLD.deployment)?.metadata.annotations?.['leakguard.io/frozen-replicas'], 'the freeze record is gone');
  // The recovery path each inner kill must take.
  if (killAt === 'before-write:rotate') t.ok(timeline.some((e) => e.type === 'rotate.orphan_deleted'), 'the key made before the kill was found by its note and deleted');
  if (killAt === 'after-write:rotate') t.ok(timeline.some((e) => e.type === 'rotate.adopted'), 'the version written before the kill was adopted');
  const runs = await env.store.listStepRuns(incident.id);
  t.same(runs.filter((r) => r.status === 'succeeded').map((r) => r.step).sort(), [...STEPS].sort(), 'every step succeeded once');
}

t.test('SIGKILL at every step boundary and inside rotate and freeze; a restart finishes each run', async (t) => {
  t.jobs = 4;
  for (const killAt of POINTS) t.test(`kill at ${killAt}`, (t) => scenario(t, killAt));
});
