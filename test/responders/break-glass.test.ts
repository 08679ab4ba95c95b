import t from 'tap';
import { AppsV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { eventually } from '../helpers/runner-child.js';
import { keyHint } from '../../src/core/fingerprint.js';
import { fastPlan, responderWorld, why, worldSecrets } from './harness.js';
import { WORLD } from '../sim/world.js';

t.setTimeout(180_000);

t.test('break-glass from a new incident to resolved, against the simulators with the simulated bot', async (t) => {
  const env = await responderWorld(t);
  const { world } = env;
  const leaked = world.accounts.botKey;
  await env.botTrading(leaked.apiKey.slice(0, 4));

  // What the world looks like at exact points of the run, seen from the simulators themselves.
  const seen: Record<string, unknown> = {};
  env.hooks.push((e) => {
    if (e.type === 'step.finished' && e.step === 'freeze') seen.podsAtFreezeEnd = env.botPods().length;
    if (e.type === 'step.finished' && e.step === 'cancel-new') seen.openAfterSweep = world.bybit.orders().filter((o) => ['New', 'PartiallyFilled', 'Untriggered'].includes(o.orderStatus)).length;
  });

  const incident = await env.open(fastPlan('break-glass'));
  t.equal(incident.target?.keyHint, keyHint(leaked.apiKey), 'the target is recorded when the incident opens');
  t.same(incident.target?.ips, [WORLD.botIp, WORLD.leakguardIp]);
  env.runner.start();
  const done = await env.waitForState(incident.id, ['resolved', 'needs_attention', 'aborted'], 90_000);
  const timeline = await env.store.listTimeline(incident.id);
  t.equal(done.state, 'resolved', timeline.filter((e) => e.type === 'step.failed' || e.type === 'incident.state_changed').map((e) => e.message).join('\n'));

  t.equal(seen.podsAtFreezeEnd, 0, 'no pod of the bot was left once freeze finished');
  t.ok(world.bybit.keys().find((k) => k.apiKey === leaked.apiKey)?.deletedAt, 'the leaked key is deleted at the exchange');
  t.equal(seen.openAfterSweep, 0, 'no order of any kind was open after the sweep with the new key');
  t.equal(world.bybit.orders().filter((o) => o.placedBy === leaked.apiKey && ['New', 'PartiallyFilled', 'Untriggered'].includes(o.orderStatus)).length, 0, 'nothing the leaked key placed is open');

  const versions = world.secretsManager.secret(WORLD.secretId)!.versions;
  const current = versions.find((v) => v.stages.includes('AWSCURRENT'))!;
  const previous = versions.find((v) => v.stages.includes('AWSPREVIOUS'))!;
  t.equal(previous.versionId, incident.target?.versionId, 'the leaked key is AWSPREVIOUS');
  const fresh = JSON.parse(current.secretString!) as { api_key: string };
  t.not(fresh.api_key, leaked.apiKey, 'AWSCURRENT holds a new key');
  t.equal(versions.length, 2, 'one secret version for the rotation');

  const live = world.bybit.keys().filter((k) => k.uid === world.accounts.subUid && !k.deletedAt);
  t.same(live.map((k) => k.apiKey), [fresh.api_key], 'exactly one live key on the sub-account: the new one');
  const made = live[0]!;
  t.same(made.permissions, leaked.permissions, "the new key has the baseline's permissions (the leaked key's before the leak)");
  t.same([...made.ips].sort(), [WORLD.botIp, WORLD.leakguardIp].sort(), "its IPs: the baseline's plus LeakGuard's egress IP");

  await t.resolves(
    (async () => {
      const deadline = Date.now() + 20_000;
      while (world.bot.placedWith(fresh.api_key.slice(0, 4)) === 0) {
        if (Date.now() > deadline) throw new Error('the bot never traded on the new key');
        await new Promise((r) => setTimeout(r, 50));
      }
    })(),
    'the simulated bot trades again, on the new key',
  );
  t.equal(env.botPods().length, 3, 'the replica count from before the freeze is back');

  const runs = await env.store.listStepRuns(incident.id);
  t.same(runs.find((r) => r.step === 'verify')?.outputs.positionsMatch, true, 'positions match the snapshot');
  t.match(runs.find((r) => r.step === 'revoke' && r.status === 'succeeded')?.outputs, { proof: 'listing', alreadyGone: false }, 'the revoke recorded its proof');
  t.match(
    timeline.find((e) => e.type === 'revoke.done')?.message,
    new RegExp(`deleted at bybit; proved gone: the master key's listing of account ${world.accounts.subUid} no longer has key ${keyHint(leaked.apiKey)}`),
    'the timeline says which proof was used',
  );
  for (const step of ['freeze', 'cancel', 'revoke', 'rotate', 'cancel-new', 'restore', 'verify', 'notify']) {
    const started = timeline.find((e) => e.type === 'step.started' && e.data.step === step);
    const finished = timeline.find((e) => e.type === 'step.finished' && e.data.step === step);
    t.ok(started && finished && finished.at >= started.at, `${step} is on the timeline with its start and finish`);
  }
  await env.clients.slack?.flush();
  t.match(world.slack.messagesTo(world.slackWebhook).map((m) => JSON.stringify(m)).join('\n'), /break-glass for bybit-prod-trading completed/, 'the completion went to Slack');

  const everything = JSON.stringify({ timeline, runs, incident: await env.store.getIncident(incident.id) }) + env.log.text();
  for (const secret of worldSecrets(env)) t.notOk(everything.includes(secret), 'no key or secret in the store, the timeline or the log');
});

t.test('a scale-up by someone else while the incident holds the bot frozen is frozen again, on the timeline and in the alert', async (t) => {
  const env = await responderWorld(t);
  const { world } = env;
  await env.botTrading(world.accounts.botKey.apiKey.slice(0, 4));
  const apps = world.kubernetes.kubeConfig(WORLD.namespace).makeApiClient(AppsV1Api);
  let scaledUp: Promise<unknown> | undefined;
  const contained = new Set<string>();
  env.hooks.push((e) => {
    if (e.type === 'step.finished' && (e.step === 'freeze' || e.step === 'revoke')) contained.add(e.step);
    if (contained.size < 2 || scaledUp) return;
    // Once freeze and revoke are done, someone (a GitOps sync, a person) scales the bot up while rotate is about to start; rotate's first look is held back until it has.
    world.kubernetes.faults.inject('get deployments', { kind: 'latency', ms: 500, times: 1 });
    scaledUp = apps.patchNamespacedDeployment({ name: WORLD.deployment, namespace: WORLD.namespace, body: { spec: { replicas: 2 } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  });
  const incident = await env.open(fastPlan('break-glass'));
  env.runner.start();
  const done = await env.waitForState(incident.id, ['resolved', 'needs_attention', 'aborted'], 90_000);
  await scaledUp;
  t.equal(done.state, 'resolved');
  const timeline = await env.store.listTimeline(incident.id);
  const refrozen = timeline.find((e) => e.type === 'alert' && /scaled up to 2 by someone else/.test(e.message));
  t.ok(refrozen, 'the refreeze is on the timeline');
  t.equal(refrozen?.data.step, 'rotate', 'noticed by the next step');
  await env.clients.slack?.flush();
  t.match(world.slack.messagesTo(world.slackWebhook).map((m) => m.text).join('\n'), /scaled up to 2 by someone else.*froze it again/, 'and in the alert');
  await eventually(async () => (env.botPods().length === 3 ? true : undefined), 'three pods', 20_000);
  t.pass('restore brought back the count from before the freeze, not the intruder\'s');
});

t.test('cancels that take longer than the pass before the revoke: the leaked key dies with orders open, and the sweep with the new key ends them', async (t) => {
  const env = await responderWorld(t);
  const { world } = env;
  const leaked = world.accounts.botKey;
  await env.botTrading(leaked.apiKey.slice(0, 4));
  // Acknowledged cancels stay open for 3 s: break-glass's one pass with the leaked key does not wait for them.
  world.bybit.seed({ cancelLag: { ms: 3_000 } });
  const openOrders = () => world.bybit.orders().filter((o) => ['New', 'PartiallyFilled', 'Untriggered'].includes(o.orderStatus)).length;
  const seen: Record<string, number> = {};
  env.hooks.push((e) => {
    if (e.type === 'step.started' && e.step === 'revoke') seen.openAtRevoke = openOrders();
    if (e.type === 'step.finished' && e.step === 'cancel-new') seen.openAfterSweep = openOrders();
  });

  const incident = await env.open(fastPlan('break-glass'));
  env.runner.start();
  const done = await env.waitForState(incident.id, ['resolved', 'needs_attention', 'aborted'], 90_000);
  t.equal(done.state, 'resolved', await why(env, incident.id));
  const cancel = (await env.store.listStepRuns(incident.id)).find((r) => r.step === 'cancel' && r.status === 'succeeded');
  t.ok(Number(cancel?.outputs.cancelled) > 0, 'the pass before the revoke had cancels acknowledged');
  t.equal(cancel?.outputs.polls, 0, 'and did not look whether they landed');
  t.match((await env.store.listTimeline(incident.id)).find((e) => e.type === 'cancel.pass')?.message, /one cancel pass with the target key .*acknowledged/);
  t.ok(seen.openAtRevoke! > 0, 'and the revoke did not wait for them');
  t.ok(world.bybit.keys().find((k) => k.apiKey === leaked.apiKey)?.deletedAt, 'the leaked key is deleted');
  t.equal(seen.openAfterSweep, 0, 'cancel-new, with the new key, left nothing open');
});

t.test('a cancel pass that fails does not keep the leaked key alive: the revoke goes on, and the sweep with the new key ends the orders', async (t) => {
  const env = await responderWorld(t);
  const { world } = env;
  const leaked = world.accounts.botKey;
  await env.botTrading(leaked.apiKey.slice(0, 4));
  world.bybit.faults.inject('POST /v5/order/cancel-all', { kind: 'error', status: 503, body: 'upstream unavailable', times: 1_000 });
  const openOrders = () => world.bybit.orders().filter((o) => ['New', 'PartiallyFilled', 'Untriggered'].includes(o.orderStatus)).length;
  const seen: Record<string, number> = {};
  env.hooks.push((e) => {
    // Bybit answers again once the key is gone, for the sweep with the new key.
    if (e.type === 'step.finished' && e.step === 'revoke') world.bybit.faults.clear();
    if (e.type === 'step.finished' && e.step === 'cancel-new') seen.openAfterSweep = openOrders();
  });
  const incident = await env.open(fastPlan('break-glass'));
  env.runner.start();
  const done = await env.waitForState(incident.id, ['resolved', 'needs_attention', 'aborted'], 90_000);
  t.equal(done.state, 'resolved', await why(env, incident.id));
  t.ok(world.bybit.keys().find((k) => k.apiKey === leaked.apiKey)?.deletedAt, 'the leaked key is deleted');
  t.match((await env.store.listTimeline(incident.id)).find((e) => e.type === 'cancel.pass_failed')?.message, /cancel pass with the target key .* failed/);
  t.equal(seen.openAfterSweep, 0, 'cancel-new, with the new key, left nothing open');
});

t.test('a cancel pass that hangs past its budget fails, yet the revoke runs right after it and the incident asks for a person', async (t) => {
  const env = await responderWorld(t);
  const { world } = env;
  const leaked = world.accounts.botKey;
  world.bybit.faults.inject('POST /v5/order/cancel-all', { kind: 'latency', ms: 3_000 });
  const plan = fastPlan('break-glass', (p) => void (p.steps.find((s) => s.id === 'cancel')!.timeoutMs = 300));
  const incident = await env.open(plan);
  env.runner.start();
  const done = await env.waitForState(incident.id, ['resolved', 'needs_attention', 'aborted'], 90_000);
  t.equal(done.state, 'needs_attention', 'a step failed: a person looks');
  const runs = await env.store.listStepRuns(incident.id);
  t.same(runs.filter((r) => r.step === 'cancel').map((r) => r.status), ['failed'], 'one attempt, no retry');
  t.ok(runs.some((r) => r.step === 'revoke' && r.status === 'succeeded'), 'the revoke ran after the failed cancel');
  t.ok(world.bybit.keys().find((k) => k.apiKey === leaked.apiKey)?.deletedAt, 'the leaked key is deleted');
});

t.test('a runner that claims the incident while its target is still being read: the freeze goes at once, the steps on the key wait for the target', async (t) => {
  const env = await responderWorld(t);
  const { world } = env;
  const leaked = world.accounts.botKey;
  env.runner.start();
  await env.runner.ready;
  // Every read of the secret (the target read among them) is held until the freeze has started: the runner claimed the incident meanwhile.
  let freezeStarted!: () => void;
  const frozen = new Promise<void>((resolve) => (freezeStarted = resolve));
  world.secretsManager.faults.inject('GetSecretValue', { kind: 'hold', until: frozen });
  env.hooks.push((e) => void (e.type === 'step.started' && e.step === 'freeze' && freezeStarted()));
  const incident = await env.open(fastPlan('break-glass'));
  const done = await env.waitForState(incident.id, ['resolved', 'needs_attention', 'aborted'], 90_000);
  t.equal(done.state, 'resolved', await why(env, incident.id));
  const runs = await env.store.listStepRuns(incident.id);
  t.same(runs.filter((r) => r.step === 'cancel' || r.step === 'revoke').map((r) => `${r.step}/${r.status}`), ['cancel/succeeded', 'revoke/succeeded'], 'one attempt each, none failed for a missing target');
  const timeline = await env.store.listTimeline(incident.id);
  const seqOf = (pred: (e: (typeof timeline)[number]) => boolean) => timeline.find(pred)?.seq ?? Infinity;
  const targetAt = seqOf((e) => e.type === 'incident.target');
  t.ok(seqOf((e) => e.type === 'step.started' && e.data.step === 'freeze') < targetAt, 'the freeze started before the target was known');
  t.ok(seqOf((e) => e.type === 'step.started' && e.data.step === 'cancel') > targetAt, 'the cancel only after it');
  t.ok(world.bybit.keys().find((k) => k.apiKey === leaked.apiKey)?.deletedAt, 'the leaked key is deleted');
});
