import t from 'tap';
import { AppsV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { fastPlan, responderWorld } from './harness.js';
import { WORLD } from '../sim/world.js';

t.setTimeout(240_000);

const resolvedOrWhy = async (env: Awaited<ReturnType<typeof responderWorld>>, id: string) =>
  (await env.store.listTimeline(id)).filter((e) => e.type === 'step.failed' || e.type === 'incident.state_changed').map((e) => e.message).join('\n');

t.test('exchange 5xx then success, and Secrets Manager throttling: break-glass still resolves with one new key and one version', async (t) => {
  const env = await responderWorld(t);
  const { world } = env;
  await env.botTrading(world.accounts.botKey.apiKey.slice(0, 4));
  const gateway = { kind: 'error' as const, status: 502, body: '<html><body><h1>502 Bad Gateway</h1></body></html>', headers: { 'content-type': 'text/html' }, times: 2 };
  world.bybit.faults.inject('POST /v5/user/create-sub-api', gateway);
  world.bybit.faults.inject('POST /v5/order/cancel-all', gateway);
  world.bybit.faults.inject('POST /v5/user/delete-sub-api', gateway);
  const throttled = { kind: 'error' as const, status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' }, headers: { 'x-amzn-errortype': 'ThrottlingException' }, times: 2 };
  world.secretsManager.faults.inject('PutSecretValue', throttled);
  world.secretsManager.faults.inject('ListSecretVersionIds', throttled);

  const incident = await env.open(fastPlan('break-glass'));
  env.runner.start();
  const done = await env.waitForState(incident.id, ['resolved', 'needs_attention', 'aborted'], 90_000);
  t.equal(done.state, 'resolved', await resolvedOrWhy(env, incident.id));

  const calls = [...world.bybit.faults.calls, ...world.secretsManager.faults.calls];
  for (const op of ['POST /v5/user/create-sub-api', 'POST /v5/order/cancel-all', 'PutSecretValue']) t.ok(calls.filter((c) => c === op).length > 2, `${op} was answered with faults and tried again`);
  const made = world.bybit.keys().filter((k) => k.uid === world.accounts.subUid && k.apiKey !== world.accounts.botKey.apiKey);
  t.equal(made.length, 1, 'exactly one new key was made');
  t.notOk(made[0]!.deletedAt);
  const versions = world.secretsManager.secret(WORLD.secretId)!.versions;
  t.equal(versions.length, 2, 'one new secret version');
  t.equal(JSON.parse(versions.find((v) => v.stages.includes('AWSCURRENT'))!.secretString!).api_key, made[0]!.apiKey);
});

t.test('a rollout that fails moves the incident to needs_attention with the reason in the timeline and the alert', async (t) => {
  const env = await responderWorld(t);
  const { world } = env;
  await env.botTrading(world.accounts.botKey.apiKey.slice(0, 4));
  // The sim clock is real time here: a short progress deadline makes the rollout fail in seconds.
  const apps = world.kubernetes.kubeConfig(WORLD.namespace).makeApiClient(AppsV1Api);
  await apps.patchNamespacedDeployment({ name: WORLD.deployment, namespace: WORLD.namespace, body: { spec: { progressDeadlineSeconds: 1 } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  world.kubernetes.configureDeployment(WORLD.namespace, WORLD.deployment, { failing: true });

  const incident = await env.open(fastPlan('break-glass', (p) => (p.steps.find((s) => s.step === 'restore')!.retries = 0)));
  env.runner.start();
  const done = await env.waitForState(incident.id, ['resolved', 'needs_attention', 'aborted'], 90_000);
  t.equal(done.state, 'needs_attention');
  const timeline = await env.store.listTimeline(incident.id);
  const parked = timeline.filter((e) => e.type === 'incident.state_changed').at(-1);
  t.match(parked?.message, /restore failed 1 times; last error: .*rollout status failed/, 'the reason is on the timeline');
  await env.clients.slack?.flush();
  const alerts = world.slack.messagesTo(world.slackWebhook).map((m) => m.text ?? '');
  t.match(alerts.join('\n'), /NEEDS A HUMAN.*restore failed/, 'a human is paged with the reason');
  t.notOk(timeline.some((e) => e.type === 'step.started' && e.data.step === 'verify'), 'nothing after restore ran');
});

t.test('Secrets Manager down: break-glass still opens and freezes the bot, and the timeline says why the target is incomplete', async (t) => {
  const env = await responderWorld(t);
  const { world } = env;
  await env.botTrading(world.accounts.botKey.apiKey.slice(0, 4));
  world.secretsManager.faults.inject('GetSecretValue', { kind: 'error', status: 500, body: { __type: 'InternalServiceError', message: 'internal failure' }, headers: { 'x-amzn-errortype': 'InternalServiceError' }, times: 10_000 });

  const incident = await env.open(fastPlan('break-glass'));
  t.equal(incident.target, null, 'opened without a target');
  const incomplete = (await env.store.listTimeline(incident.id)).find((e) => e.type === 'incident.target_incomplete');
  t.match(incomplete?.message, `the target key could not be read from ${WORLD.secretId}`);
  t.match(incomplete?.message, /AWS Secrets Manager GetSecretValue failed .*fix access to Secrets Manager/);
  env.runner.start();
  const done = await env.waitForState(incident.id, ['resolved', 'needs_attention', 'aborted', 'failed'], 90_000);
  const runs = await env.store.listStepRuns(incident.id);
  t.ok(runs.some((r) => r.step === 'freeze' && r.status === 'succeeded'), 'the bot was frozen');
  t.equal(env.botPods().length, 0, 'and stays frozen');
  t.equal(done.state, 'needs_attention', 'the rest waits for a person');
  t.notOk(world.bybit.keys().find((k) => k.apiKey === world.accounts.botKey.apiKey)?.deletedAt, 'no key was deleted without knowing which');
});

t.test('a delete Bybit acknowledges while the sub-account still lists the key is no revocation: the revoke fails and pages', async (t) => {
  const env = await responderWorld(t);
  const { world } = env;
  await env.botTrading(world.accounts.botKey.apiKey.slice(0, 4));
  world.bybit.faults.inject('POST /v5/user/delete-sub-api', { kind: 'error', status: 200, body: { retCode: 0, retMsg: '', result: {}, retExtInfo: {}, time: Date.now() }, times: 10_000 });

  const incident = await env.open(fastPlan('break-glass', (p) => (p.steps.find((s) => s.step === 'revoke')!.retries = 0)));
  env.runner.start();
  const done = await env.waitForState(incident.id, ['resolved', 'needs_attention', 'aborted', 'failed'], 90_000);
  t.not(done.state, 'resolved', await resolvedOrWhy(env, incident.id));
  const timeline = await env.store.listTimeline(incident.id);
  t.notOk(timeline.some((e) => e.type === 'revoke.done'), 'nothing says the key is gone');
  t.match(timeline.find((e) => e.type === 'alert' && e.data.severity === 'page')?.message, /could not be proved revoked: .*still has it/, 'a human is paged');
  const runs = await env.store.listStepRuns(incident.id);
  t.ok(runs.some((r) => r.step === 'revoke' && r.status === 'failed'), 'the revoke step failed');
  t.notOk(runs.some((r) => r.step === 'revoke' && r.status === 'succeeded'));
  t.notOk(world.bybit.keys().find((k) => k.apiKey === world.accounts.botKey.apiKey)?.deletedAt, 'the key indeed lives');
});
