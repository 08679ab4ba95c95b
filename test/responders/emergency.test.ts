import t, { type Test } from 'tap';
import { fastPlan, responderWorld, worldSecrets } from './harness.js';
import { WORLD } from '../sim/world.js';
import { eventually } from '../helpers/runner-child.js';

t.setTimeout(240_000);

const OPEN = ['New', 'PartiallyFilled', 'Untriggered'];

/** Samples the Deployment and its pods every few ms while the run goes on: the lowest counts seen. */
function watchReplicas(env: Awaited<ReturnType<typeof responderWorld>>) {
  const low = { specReplicas: Infinity, readyPods: Infinity };
  const timer = setInterval(() => {
    const d = env.world.kubernetes.deployment(WORLD.namespace, WORLD.deployment) as { spec?: { replicas?: number } } | undefined;
    low.specReplicas = Math.min(low.specReplicas, d?.spec?.replicas ?? 0);
    const ready = env.botPods().filter((p) => ((p.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'));
    low.readyPods = Math.min(low.readyPods, ready.length);
  }, 10);
  return { low, stop: () => clearInterval(timer) };
}

async function happyPath(t: Test, delivery: 'direct' | 'external-secrets') {
  const env = await responderWorld(t, { delivery });
  const { world } = env;
  const old = world.accounts.botKey;
  await env.botTrading(old.apiKey.slice(0, 4));

  const at: Record<string, unknown> = {};
  env.hooks.push((e) => {
    if (e.type === 'step.started' && e.step === 'monitor') at.oldKeyDeletedWhenMonitorStarted = Boolean(world.bybit.keys().find((k) => k.apiKey === old.apiKey)?.deletedAt);
    if (e.type === 'step.finished' && e.step === 'monitor') at.oldKeyDeletedWhenMonitorFinished = Boolean(world.bybit.keys().find((k) => k.apiKey === old.apiKey)?.deletedAt);
  });
  const watch = watchReplicas(env);
  const incident = await env.open(fastPlan('emergency'));
  env.runner.start();
  const done = await env.waitForState(incident.id, ['resolved', 'needs_attention', 'aborted'], 90_000);
  watch.stop();
  const timeline = await env.store.listTimeline(incident.id);
  t.equal(done.state, 'resolved', timeline.filter((e) => e.type === 'step.failed' || e.type === 'incident.state_changed').map((e) => e.message).join('\n'));

  t.equal(watch.low.specReplicas, 3, 'the Deployment was never scaled down');
  t.ok(watch.low.readyPods >= 1, `the bot was never at 0 ready pods (lowest ${watch.low.readyPods})`);
  t.equal(at.oldKeyDeletedWhenMonitorStarted, false, 'the old key still existed while monitor watched');
  t.equal(at.oldKeyDeletedWhenMonitorFinished, false, 'and when monitor finished');
  t.ok(world.bybit.keys().find((k) => k.apiKey === old.apiKey)?.deletedAt, 'the old key is revoked at the end');
  const order = timeline.filter((e) => e.type === 'step.finished').map((e) => e.data.step);
  t.same(order, ['assess', 'rotate', 'verify-pending', 'promote', 'restore', 'verify', 'monitor', 'revoke', 'notify'], 'the steps in the playbook order');

  const versions = world.secretsManager.secret(WORLD.secretId)!.versions;
  const current = versions.find((v) => v.stages.includes('AWSCURRENT'))!;
  t.equal(versions.find((v) => v.stages.includes('AWSPREVIOUS'))?.versionId, incident.target?.versionId, 'the old key is AWSPREVIOUS');
  t.notOk(versions.some((v) => v.stages.includes('AWSPENDING')), 'AWSPENDING is cleared');
  const fresh = JSON.parse(current.secretString!) as { api_key: string };
  const live = world.bybit.keys().filter((k) => k.uid === world.accounts.subUid && !k.deletedAt);
  t.same(live.map((k) => k.apiKey), [fresh.api_key], 'one live key: the new one');
  if (delivery === 'external-secrets') t.equal(world.kubernetes.secretValues(WORLD.namespace, WORLD.k8sSecret)?.api_key, fresh.api_key, 'the Kubernetes Secret holds the new key');
  await eventually(async () => (world.bot.placedWith(fresh.api_key.slice(0, 4)) > 0 ? true : undefined), 'the bot trading on the new key', 20_000);
  t.pass('the bot trades on the new key');

  const runs = await env.store.listStepRuns(incident.id);
  const assess = runs.find((r) => r.step === 'assess')!;
  t.type(assess.outputs.secretReadersTotal, 'number', 'CloudTrail evidence attached');
  t.equal(runs.find((r) => r.step === 'monitor')?.outputs.authErrors, 0, 'no auth errors while monitoring');
  const everything = JSON.stringify({ timeline, runs }) + env.log.text();
  t.notOk(worldSecrets(env).some((s) => everything.includes(s)), 'no key or secret in the store, the timeline or the log');
}

t.test('emergency (direct delivery): rolling, never at 0, old key revoked only after monitor', (t) => happyPath(t, 'direct'));
t.test('emergency (external-secrets delivery): the same, the Secret synced before the restart', (t) => happyPath(t, 'external-secrets'));

t.test('emergency: a verify failure escalates (freeze, page) and leaves no unused key at the exchange', async (t) => {
  const env = await responderWorld(t);
  const { world } = env;
  const old = world.accounts.botKey;
  await env.botTrading(old.apiKey.slice(0, 4));
  // The new key never activates within verify's wait.
  world.bybit.activationDelayMs = 10 * 60_000;
  const plan = fastPlan('emergency', (p) => {
    const v = p.steps.find((s) => s.id === 'verify-pending')!;
    v.params = { ...v.params, activationWaitMs: 300 };
    v.retries = 0;
  });
  const incident = await env.open(plan);
  env.runner.start();
  const done = await env.waitForState(incident.id, ['resolved', 'needs_attention', 'aborted'], 90_000);
  t.equal(done.state, 'needs_attention');
  const timeline = await env.store.listTimeline(incident.id);
  t.match(timeline.find((e) => e.type === 'incident.failure_handling')?.message, /verify-pending failed 1 times; last error: .*does not work/);
  t.same(
    timeline.filter((e) => e.type === 'step.finished' || e.type === 'step.failed').map((e) => `${String(e.data.step)}:${String(e.data.status)}`),
    ['assess:succeeded', 'rotate:succeeded', 'verify-pending:failed', 'on-failure.freeze:succeeded', 'on-failure.revoke:succeeded', 'on-failure.notify:succeeded'],
    'escalation ran; promote and the rest did not',
  );
  const live = world.bybit.keys().filter((k) => k.uid === world.accounts.subUid && !k.deletedAt);
  t.same(live.map((k) => k.apiKey), [old.apiKey], 'the unused new key is deleted; the suspected key is left to people (never reused on its own)');
  t.equal(world.bybit.keys().filter((k) => k.uid === world.accounts.subUid).length, 2, 'exactly one key was made');
  const versions = world.secretsManager.secret(WORLD.secretId)!.versions;
  t.equal(versions.find((v) => v.stages.includes('AWSCURRENT'))?.versionId, incident.target?.versionId, 'AWSCURRENT still the old version');
  t.notOk(versions.some((v) => v.stages.includes('AWSPENDING')), 'the abandoned AWSPENDING is cleared');
  await eventually(async () => (env.botPods().length === 0 ? true : undefined), 'the bot frozen', 20_000);
  t.pass('the bot is frozen');
  await env.clients.slack?.flush();
  t.match(world.slack.messagesTo(world.slackWebhook).map((m) => m.text).join('\n'), /NEEDS A HUMAN.*verify-pending failed/, 'a human is paged with the reason');
  t.equal(world.bybit.orders().filter((o) => o.placedBy !== old.apiKey && OPEN.includes(o.orderStatus)).length, 0);
});
