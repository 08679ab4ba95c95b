import t, { type Test } from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import type { Incident } from '../../src/core/incident.js';
import { driveClock } from '../helpers/clock.js';
import { eventually } from '../helpers/runner-child.js';
import { WORLD } from '../sim/world.js';
import { fastPlan, responderWorld, why, worldSecrets, type ResponderWorld } from './harness.js';

t.setTimeout(120_000);

const FINAL = ['resolved', 'needs_attention', 'aborted'];
const versions = (env: ResponderWorld) => env.world.secretsManager.secret(WORLD.secretId)!.versions;
const atStage = (env: ResponderWorld, stage: string) => versions(env).find((v) => v.stages.includes(stage));
const keyAt = (env: ResponderWorld, stage: string) => (JSON.parse(atStage(env, stage)!.secretString!) as { api_key: string }).api_key;
const deleted = (env: ResponderWorld, apiKey: string) => Boolean(env.world.bybit.keys().find((k) => k.apiKey === apiKey)?.deletedAt);

/** A scheduled rotation to its end: the old key stays alive (grace period) as AWSPREVIOUS. */
async function scheduledRotation(t: Test, env: ResponderWorld): Promise<Incident> {
  const incident = await env.open(fastPlan('scheduled', (p) => (p.steps.find((s) => s.step === 'preflight')!.params = { quietSeconds: 0 })));
  t.equal((await env.waitForState(incident.id, FINAL)).state, 'resolved', await why(env, incident.id));
  return incident;
}

const insisting = () => fastPlan('rollback', (p) => (p.steps.find((s) => s.step === 'promote')!.params.insist = true));

async function rolledBack(t: Test, env: ResponderWorld, rollback: Incident, old: string, newer: string) {
  t.same(
    (await env.store.listTimeline(rollback.id)).filter((e) => e.type === 'step.finished').map((e) => e.data.step),
    ['promote', 'restore', 'verify', 'revoke', 'notify'],
  );
  t.equal(keyAt(env, 'AWSCURRENT'), old, 'AWSCURRENT is the older key again');
  t.equal(rollback.target?.keyHint, `${newer.slice(0, 4)}…`, "the rollback's target is the newer key");
  t.ok(deleted(env, newer), 'the unused newer key is deleted');
  t.notOk(deleted(env, old), 'the older key works on');
  await eventually(async () => {
    const running = [...env.world.bot.pods.values()].filter((p) => p.running && p.keyHint !== null);
    return running.length >= 3 && running.every((p) => p.keyHint === old.slice(0, 4)) ? true : undefined;
  }, 'every running pod on the older key', 20_000);
  t.pass('the bot was restarted onto the older key');
}

t.test('rollback after a scheduled rotation: AWSCURRENT back, restart, verify, the newer key deleted; the grace-period revoke then spares the older key', async (t) => {
  const clock = new ManualClock(Date.now());
  const stopDriving = driveClock(clock, 10, 10);
  t.teardown(stopDriving);
  const env = await responderWorld(t, { runnerClock: clock });
  const old = env.world.accounts.botKey.apiKey;
  await env.botTrading(old.slice(0, 4));
  env.runner.start();
  const scheduled = await scheduledRotation(t, env);
  const newer = keyAt(env, 'AWSCURRENT');

  const rollback = await env.open(fastPlan('rollback'));
  const done = await env.waitForState(rollback.id, FINAL);
  t.equal(done.state, 'resolved', await why(env, rollback.id));
  await rolledBack(t, env, done, old, newer);

  // A day later the scheduled rotation's timer comes due: its target is AWSCURRENT again, so it is left alone.
  await env.runner.stop(0);
  stopDriving();
  const [timer] = await env.store.listWork({ incidentId: scheduled.id });
  clock.set(timer!.runAt + 1_000);
  // Ticked until the timer's item is done: a tick may find it still claimed by the stopped runner.
  const nextDay = await env.newRunner({ holder: 'next-day' });
  const fired = await eventually(async () => {
    await nextDay.tick();
    return (await env.store.listWork({ incidentId: scheduled.id }))[0]?.finishedAt ?? undefined;
  }, 'the grace timer to fire');
  t.ok(fired, 'the timer fired');
  t.match((await env.store.listStepRuns(scheduled.id)).find((r) => r.step === 'revoke.grace'), { status: 'skipped' }, 'and skipped the revoke');
  t.notOk(deleted(env, old), 'the older key, in use again, is not revoked');
});

t.test('rollback is refused when the older key is suspected; an operator who insists gets it', async (t) => {
  const env = await responderWorld(t);
  const old = env.world.accounts.botKey.apiKey;
  await env.botTrading(old.slice(0, 4));
  // Someone suspected the key (an emergency was opened for it) and an operator aborted the response.
  const suspicion = await env.open(fastPlan('emergency'));
  await env.incidents.abort(suspicion.id, 'user:ops', 'looked like a false alarm');
  env.runner.start();
  t.equal((await env.waitForState(suspicion.id, FINAL)).state, 'aborted');
  await scheduledRotation(t, env);
  const newer = keyAt(env, 'AWSCURRENT');

  const refused = await env.open(fastPlan('rollback'));
  const stopped = await env.waitForState(refused.id, FINAL);
  t.equal(stopped.state, 'needs_attention');
  const timeline = await env.store.listTimeline(refused.id);
  const reason = timeline.find((e) => e.type === 'promote.refused')?.message;
  t.match(reason, new RegExp(`rollback refused: the previous key ${old.slice(0, 4)}… is suspected: incident ${suspicion.id} \\(emergency, aborted\\)`), 'the reason is on the timeline');
  t.match(timeline.find((e) => e.type === 'step.failed')?.message, /An operator may insist/, 'with what to do about it');
  t.equal(timeline.filter((e) => e.type === 'step.started' && e.data.step === 'promote').length, 1, 'a refusal is not retried');
  t.equal(keyAt(env, 'AWSCURRENT'), newer, 'AWSCURRENT is untouched');
  t.notOk(deleted(env, newer), 'the newer key is untouched');
  await env.clients.slack?.flush();
  t.match(env.world.slack.messagesTo(env.world.slackWebhook).map((m) => m.text).join('\n'), /NEEDS A HUMAN \(rollback.*rollback refused/, 'paged with the reason');

  await env.incidents.abort(refused.id, 'user:ops', 'insisting instead');
  await env.waitForState(refused.id, ['aborted']);
  const insisted = await env.open(insisting());
  const done = await env.waitForState(insisted.id, FINAL);
  t.equal(done.state, 'resolved', await why(env, insisted.id));
  t.match((await env.store.listTimeline(insisted.id)).find((e) => e.type === 'promote.insisted')?.message, /an operator insisted on the rollback although the previous key .* is suspected/);
  await rolledBack(t, env, done, old, newer);
});

t.test('rollback is refused when the older key was revoked (after a break-glass)', async (t) => {
  const env = await responderWorld(t);
  const old = env.world.accounts.botKey.apiKey;
  await env.botTrading(old.slice(0, 4));
  env.runner.start();
  const breakGlass = await env.open(fastPlan('break-glass'));
  t.equal((await env.waitForState(breakGlass.id, FINAL)).state, 'resolved', await why(env, breakGlass.id));
  const newer = keyAt(env, 'AWSCURRENT');

  const rollback = await env.open(fastPlan('rollback'));
  t.equal((await env.waitForState(rollback.id, FINAL)).state, 'needs_attention');
  const timeline = await env.store.listTimeline(rollback.id);
  t.match(timeline.find((e) => e.type === 'promote.refused')?.message, new RegExp(`rollback refused: the previous key ${old.slice(0, 4)}… was revoked by incident ${breakGlass.id} \\(break-glass\\)`));
  t.equal(keyAt(env, 'AWSCURRENT'), newer, 'AWSCURRENT is untouched');
  t.notOk(deleted(env, newer));
  const everything = JSON.stringify({ timeline, runs: await env.store.listStepRuns(rollback.id) }) + env.log.text();
  t.notOk(worldSecrets(env).some((s) => everything.includes(s)), 'no key or secret in the store, the timeline or the log');
});
