import t from 'tap';
import { RestClientV5 } from 'bybit-api';
import { keyHint } from '../../src/core/fingerprint.js';
import { eventually } from '../helpers/runner-child.js';
import { WORLD } from '../sim/world.js';
import { fastPlan, responderWorld, why, worldSecrets, type ResponderWorld } from './harness.js';

t.setTimeout(120_000);

const OPEN = ['New', 'PartiallyFilled', 'Untriggered'];
const INTRUDER_IP = '203.0.113.66';

/** Someone with a sub-account key of their own trades on the account until the key stops working. */
function intruder(env: ResponderWorld) {
  const key = env.world.bybit.addKey({ uid: env.world.accounts.subUid, note: 'not ours', permissions: { ContractTrade: ['Order', 'Position'] }, ips: [INTRUDER_IP] });
  const client = new RestClientV5({ key: key.apiKey, secret: key.secret, baseUrl: env.world.urls.bybit }, { headers: { 'x-sim-client-ip': INTRUDER_IP } });
  const state = { placed: 0, lastRetCode: 0, stopped: false };
  const loop = (async () => {
    for (let n = 1; !state.stopped; n++) {
      const res = await client.submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Sell', orderType: 'Limit', qty: '0.01', price: '90000', orderLinkId: `x-${n}` });
      state.lastRetCode = res.retCode;
      if (res.retCode === 0) state.placed++;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return { key, state, stop: () => ((state.stopped = true), loop) };
}

t.test('lockdown after a break-glass while unauthorized orders go on: frozen, every sub-account key deleted, nothing open, a person pages for the master keys', async (t) => {
  const env = await responderWorld(t);
  const { world } = env;
  const leaked = world.accounts.botKey;
  await env.botTrading(leaked.apiKey.slice(0, 4));
  env.runner.start();
  const breakGlass = await env.open(fastPlan('break-glass'));
  t.equal((await env.waitForState(breakGlass.id, ['resolved', 'needs_attention', 'aborted'], 60_000)).state, 'resolved', await why(env, breakGlass.id));

  // Orders go on after the rotation, from a key nobody in the team made.
  const bad = intruder(env);
  t.teardown(() => bad.stop());
  await eventually(async () => (bad.state.placed >= 3 ? true : undefined), 'the intruder trading', 10_000);
  const lockdown = await env.open(fastPlan('lockdown'));
  const parked = await env.waitForState(lockdown.id, ['waiting_for_human', 'resolved', 'needs_attention', 'aborted'], 60_000);
  t.equal(parked.state, 'waiting_for_human', await why(env, lockdown.id));

  t.equal(env.botPods().length, 0, 'the bot is frozen');
  t.equal(world.kubernetes.deployment(WORLD.namespace, WORLD.deployment)?.spec.replicas, 0);
  const subKeys = world.bybit.keys().filter((k) => k.uid === world.accounts.subUid);
  t.ok(subKeys.length >= 4, 'the leaked, the rotated, the intruder\'s and the sweep key');
  t.same(subKeys.filter((k) => !k.deletedAt).map((k) => keyHint(k.apiKey)), [], 'every sub-account key is deleted, the intruder\'s too');
  t.ok(bad.state.placed >= 3 && bad.state.lastRetCode !== 0, `the intruder's orders are refused now (retCode ${bad.state.lastRetCode})`);
  t.same(world.bybit.orders().filter((o) => o.uid === world.accounts.subUid && OPEN.includes(o.orderStatus)).map((o) => o.orderLinkId), [], 'nothing is left open, the intruder\'s orders included');
  t.notOk(world.bybit.keys().find((k) => k.apiKey === world.accounts.master.apiKey)?.deletedAt, "LeakGuard's master key is kept");
  const versions = world.secretsManager.secret(WORLD.secretId)!.versions;
  t.equal(versions.find((v) => v.stages.includes('AWSCURRENT'))?.versionId, lockdown.target?.versionId, 'AWSCURRENT is left as it was');
  t.notOk(versions.some((v) => v.stages.includes('AWSPENDING')), 'the sweep key is not left staged');

  const [task] = await env.store.listHumanTasks({ incidentId: lockdown.id, status: 'open' });
  const masterHint = keyHint(world.accounts.master.apiKey);
  t.equal(task?.step, 'revoke-master-keys');
  t.match(task?.instructions, new RegExp(`master account ${world.accounts.masterUid}.*every API key of the master account except LeakGuard's own, the one starting ${masterHint}`), 'exact instructions: which account, which key to keep');
  const timeline = await env.store.listTimeline(lockdown.id);
  t.ok(timeline.some((e) => e.type === 'human_task.created' && e.message === task!.instructions), 'on the timeline');
  await env.clients.slack?.flush();
  const slack = world.slack.messagesTo(world.slackWebhook).map((m) => m.text).join('\n');
  t.match(slack, /NEEDS A HUMAN \(lockdown.*every sub-account key LeakGuard can see is deleted/, 'paged with what was done');
  t.ok(slack.includes(task!.instructions), 'and with the exact instructions');

  await env.incidents.completeTask(task!.id, 'user:ops', { note: 'deleted two old master keys, password changed' });
  const done = await env.waitForState(lockdown.id, ['resolved', 'needs_attention', 'aborted']);
  t.equal(done.state, 'resolved');
  t.equal(env.botPods().length, 0, 'the bot stays frozen for people to bring back');

  const everything = JSON.stringify({ timeline: await env.store.listTimeline(lockdown.id), runs: await env.store.listStepRuns(lockdown.id), audit: await env.store.listAudit() }) + env.log.text();
  t.notOk([...worldSecrets(env), bad.key.apiKey, bad.key.secret].some((s) => everything.includes(s)), 'no key or secret in the store, the timeline or the log');
});
