import t from 'tap';
import type { PlaybookName } from '../../src/core/incident.js';
import { fastPlan, responderWorld } from './harness.js';
import { WORLD } from '../sim/world.js';

t.setTimeout(180_000);

for (const playbook of ['break-glass', 'emergency'] as PlaybookName[]) {
  t.test(`a dry run of ${playbook} leaves every simulator's state unchanged and records the plan`, async (t) => {
    const env = await responderWorld(t);
    const { world } = env;
    await env.botTrading(world.accounts.botKey.apiKey.slice(0, 4));
    const incident = await env.open(fastPlan(playbook), { dryRun: true });

    // What LeakGuard could change, taken after the incident opened (opening reads the target).
    const state = () =>
      JSON.stringify({
        keys: world.bybit.keys().map((k) => [k.apiKey, k.deletedAt]),
        secrets: world.secretsManager.state().secrets,
        deployment: world.kubernetes.deployment(WORLD.namespace, WORLD.deployment)?.spec,
        annotations: world.kubernetes.deployment(WORLD.namespace, WORLD.deployment)?.metadata.annotations ?? {},
        pods: env.botPods().map((p) => p.metadata.name).sort(),
      });
    const before = state();
    const leakguardCalls = () => world.bybit.calls.filter((c) => c.ip === WORLD.leakguardIp).length;
    const callsBefore = { bybit: leakguardCalls(), secrets: world.secretsManager.faults.calls.length };

    env.runner.start();
    const done = await env.waitForState(incident.id, ['resolved', 'needs_attention', 'aborted'], 60_000);
    t.equal(done.state, 'resolved');
    t.equal(state(), before, 'keys, secret versions, the Deployment and its pods are as they were');
    t.equal(leakguardCalls(), callsBefore.bybit, 'LeakGuard called Bybit not once');
    t.equal(world.secretsManager.faults.calls.length, callsBefore.secrets, 'nor Secrets Manager');
    t.equal(world.slack.messagesTo(world.slackWebhook).length, 0, 'nor Slack');

    const timeline = await env.store.listTimeline(incident.id);
    const planned = timeline.find((e) => e.type === 'plan.dry_run');
    t.same((planned?.data.steps as { id: string }[]).map((s) => s.id), fastPlan(playbook).steps.map((s) => s.id), 'the plan is recorded');
    const runs = await env.store.listStepRuns(incident.id);
    t.equal(runs.length, fastPlan(playbook).steps.length);
    t.ok(runs.every((r) => r.outputs.dryRun === true && typeof r.outputs.would === 'string'), 'every step recorded what it would do');
    t.match(runs.find((r) => r.step === 'rotate')?.outputs.would, /create a new key from bybit-prod-trading.s baseline to replace .{4}… and store it in prod\/bybit\/api/);
  });
}
