import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { openStore } from '../../src/store/open.js';
import { driveClock } from '../helpers/clock.js';
import { eventually } from '../helpers/runner-child.js';
import { WORLD } from '../sim/world.js';
import { fastPlan, responderWorld, why, worldSecrets, type ResponderWorld } from './harness.js';

t.setTimeout(120_000);

const DAY = 86_400_000;
const FINAL = ['resolved', 'needs_attention', 'aborted'];

const secretVersions = (env: ResponderWorld) => env.world.secretsManager.secret(WORLD.secretId)!.versions;
const currentKey = (env: ResponderWorld) => JSON.parse(secretVersions(env).find((v) => v.stages.includes('AWSCURRENT'))!.secretString!) as { api_key: string };
const deleted = (env: ResponderWorld, apiKey: string) => Boolean(env.world.bybit.keys().find((k) => k.apiKey === apiKey)?.deletedAt);
/** Calls that deleted `apiKey` at the exchange (accepted or not). */
const deletes = (env: ResponderWorld, apiKey: string) => env.world.bybit.calls.filter((c) => c.path === '/v5/user/delete-sub-api' && (c.params as { apikey?: string }).apikey === apiKey);

t.test('scheduled: deferred outside the maintenance window, rotated, the old key revoked by the durable timer after 24 h and a restart', async (t) => {
  // The runner's clock runs at real pace from just before the window opens; the jump of 24 h comes later.
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 1, 59, 59));
  const stopDriving = driveClock(clock, 10, 10);
  t.teardown(stopDriving);
  const env = await responderWorld(t, { runnerClock: clock });
  const { world } = env;
  const old = world.accounts.botKey;
  await env.botTrading(old.apiKey.slice(0, 4));

  const plan = fastPlan('scheduled', (p) => (p.steps.find((s) => s.step === 'preflight')!.params = { quietSeconds: 0, maintenanceWindow: { start: '02:00', end: '03:00' }, deferMs: 300 }));
  const incident = await env.open(plan);
  env.runner.start();
  const done = await env.waitForState(incident.id, FINAL, 60_000);
  t.equal(done.state, 'resolved', await why(env, incident.id));

  const timeline = await env.store.listTimeline(incident.id);
  const deferred = timeline.filter((e) => e.type === 'preflight.deferred');
  t.ok(deferred.length >= 1, 'the rotation was deferred');
  t.match(deferred[0]?.message, /outside the maintenance window 02:00-03:00 UTC/, 'with the reason');
  const runs = await env.store.listStepRuns(incident.id);
  t.ok(Number(runs.find((r) => r.step === 'preflight')?.outputs.looks) >= 2, 'preflight looked again and passed once inside the window');
  t.same(
    timeline.filter((e) => e.type === 'step.finished').map((e) => e.data.step),
    ['preflight', 'rotate', 'verify-pending', 'promote', 'restore', 'verify', 'monitor', 'revoke', 'notify'],
  );

  const fresh = currentKey(env);
  t.not(fresh.api_key, old.apiKey, 'a new key is AWSCURRENT');
  t.equal(secretVersions(env).find((v) => v.stages.includes('AWSPREVIOUS'))?.versionId, incident.target?.versionId, 'the old key is AWSPREVIOUS');
  await eventually(async () => (world.bot.placedWith(fresh.api_key.slice(0, 4)) > 0 ? true : undefined), 'the bot trading on the new key', 20_000);
  t.pass('the bot trades on the new key');
  t.notOk(deleted(env, old.apiKey), 'the old key is still alive for its grace period');
  const [timer] = await env.store.listWork({ incidentId: incident.id });
  const revokedAt = runs.find((r) => r.step === 'revoke')!.finishedAt!;
  t.ok(timer && timer.runAt >= revokedAt + DAY - 1_000 && timer.runAt <= revokedAt + DAY, 'a durable timer 24 h out');

  // The restart: the first runner stops; a new process opens the store afresh, 24 h later by its clock.
  await env.runner.stop(0);
  stopDriving();
  const reopened = await openStore({ url: env.url, scrubber: env.scrubber });
  t.teardown(() => reopened.close());
  const restarted = await env.newRunner({ store: reopened, holder: 'restarted' });
  await clock.set(timer!.runAt - 60_000);
  await restarted.tick();
  t.notOk(deleted(env, old.apiKey), 'not revoked a minute before the grace period ends');
  await clock.advance(120_000);
  await restarted.tick();
  await restarted.tick();
  t.ok(deleted(env, old.apiKey), 'the old key is revoked once the grace period is over');
  t.equal(deletes(env, old.apiKey).length, 1, 'with exactly one delete call');
  t.notOk(deleted(env, fresh.api_key), 'the new key lives on');
  const after = await env.store.listTimeline(incident.id);
  t.equal(after.filter((e) => e.type === 'timer.fired').length, 1, 'the timer fired once');
  const graceRun = (await env.store.listStepRuns(incident.id)).find((r) => r.step === 'revoke.grace');
  t.match(graceRun, { status: 'succeeded', attempt: 1, writer: { holder: 'restarted' } }, 'journaled by the restarted runner');
  const everything = JSON.stringify({ after, runs }) + env.log.text();
  t.notOk(worldSecrets(env).some((s) => everything.includes(s)), 'no key or secret in the store, the timeline or the log');
});

t.test('scheduled: a failure after the new key went live rolls back to the old key and deletes the new one', async (t) => {
  const env = await responderWorld(t);
  const { world } = env;
  const old = world.accounts.botKey;
  await env.botTrading(old.apiKey.slice(0, 4));
  // The new key rejects the bot's IP (runbook: New Key Rejected): LeakGuard's checks pass, the bot's orders fail.
  let made: string | undefined;
  env.hooks.push((e) => {
    if (e.type !== 'step.finished' || e.step !== 'rotate') return;
    const key = world.bybit.keys().find((k) => k.uid === world.accounts.subUid && k.apiKey !== old.apiKey)!;
    key.ips = [WORLD.leakguardIp];
    made = key.apiKey;
  });
  const incident = await env.open(fastPlan('scheduled', (p) => (p.steps.find((s) => s.step === 'preflight')!.params = { quietSeconds: 0 })));
  env.runner.start();
  const done = await env.waitForState(incident.id, FINAL, 60_000);
  t.equal(done.state, 'needs_attention', 'a person looks at it after the rollback');
  const timeline = await env.store.listTimeline(incident.id);
  t.match(timeline.find((e) => e.type === 'incident.failure_handling')?.message, /monitor failed 1 times; last error: \d+ auth error/);
  t.same(
    timeline.filter((e) => e.type === 'step.finished' || e.type === 'step.failed').map((e) => `${String(e.data.step)}:${String(e.data.status)}`),
    [
      'preflight:succeeded',
      'rotate:succeeded',
      'verify-pending:succeeded',
      'promote:succeeded',
      'restore:succeeded',
      'verify:succeeded',
      'monitor:failed',
      'on-failure.promote:succeeded',
      'on-failure.restore:succeeded',
      'on-failure.revoke:succeeded',
      'on-failure.notify:succeeded',
    ],
  );

  t.equal(secretVersions(env).find((v) => v.stages.includes('AWSCURRENT'))?.versionId, incident.target?.versionId, 'AWSCURRENT is the old key again');
  t.ok(made && deleted(env, made), 'the unused new key is deleted');
  t.notOk(deleted(env, old.apiKey), 'the old key is not suspected: it stays');
  t.same(await env.store.listWork({ incidentId: incident.id }), [], 'no grace-period revoke of the old key is scheduled');
  await eventually(async () => {
    const running = [...world.bot.pods.values()].filter((p) => p.running && p.keyHint !== null);
    return running.length >= 3 && running.every((p) => p.keyHint === old.apiKey.slice(0, 4)) ? true : undefined;
  }, 'every running pod on the old key', 20_000);
  t.pass('the bot is back on the old key');
  await env.clients.slack?.flush();
  t.match(world.slack.messagesTo(world.slackWebhook).map((m) => m.text).join('\n'), /NEEDS A HUMAN.*scheduled .*monitor failed/, 'a human is paged with the reason');
});

t.test('scheduled: a preflight that keeps failing gives up after the maximum deferral and pages; nothing is rotated', async (t) => {
  const env = await responderWorld(t);
  const { world } = env;
  await env.botTrading(world.accounts.botKey.apiKey.slice(0, 4));
  // The bot places orders all the time: never quiet for a second.
  const incident = await env.open(fastPlan('scheduled', (p) => (p.steps.find((s) => s.step === 'preflight')!.params = { quietSeconds: 1, deferMs: 200, maxDeferMs: 1_500 })));
  env.runner.start();
  const done = await env.waitForState(incident.id, FINAL, 60_000);
  t.equal(done.state, 'needs_attention');
  const timeline = await env.store.listTimeline(incident.id);
  t.match((await env.store.listStepRuns(incident.id)).find((r) => r.step === 'preflight')?.outputs.failed, [/\d+ open order\(s\) placed in the last 1 s by bybit's clock/], 'blocked because the bot trades, by the orders\' creation times');
  t.same(
    timeline.filter((e) => e.type === 'step.finished' || e.type === 'step.failed').map((e) => `${String(e.data.step)}:${String(e.data.status)}`),
    ['preflight:failed', 'on-failure.promote:succeeded', 'on-failure.restore:skipped', 'on-failure.revoke:skipped', 'on-failure.notify:succeeded'],
    'the failure steps leave the bot alone',
  );
  t.equal(secretVersions(env).length, 1, 'no new version');
  t.equal(world.bybit.keys().filter((k) => k.uid === world.accounts.subUid).length, 1, 'no new key');
  await env.clients.slack?.flush();
  t.match(world.slack.messagesTo(world.slackWebhook).map((m) => m.text).join('\n'), /NEEDS A HUMAN.*deferred for \d+ ms and still blocked: \d+ open order\(s\) placed in the last 1 s/, 'paged with the reason');
});
