import t from 'tap';
import { eventually } from '../helpers/runner-child.js';
import { addBybitCredential } from './credentials.js';
import { fastPlan, responderWorld, why, worldSecrets } from './harness.js';

t.setTimeout(120_000);

t.test('offboarding opens one emergency rotation per credential the person had access to; each ends resolved', async (t) => {
  const env = await responderWorld(t);
  const { world } = env;
  // alice@example.com is on the world's credential and on this one; bob only on this one.
  const hedging = addBybitCredential(env, 'bybit-prod-hedging', ['alice@example.com', 'bob@example.com']);
  const unrelated = addBybitCredential(env, 'bybit-prod-market', ['carol@example.com']);
  await env.botTrading(world.accounts.botKey.apiKey.slice(0, 4));
  await env.botTrading(hedging.key.apiKey.slice(0, 4));

  const credentials = [...env.credentials.values()];
  t.same(await env.incidents.offboard({ person: 'dave@example.com', actor: 'user:hr', credentials, plan: fastPlan('offboarding') }), [], 'nobody else has access: nothing is opened');
  const opened = await env.incidents.offboard({ person: 'alice@example.com', actor: 'user:hr', credentials, plan: fastPlan('offboarding') });
  t.same(opened.map((o) => o.credentialId).sort(), ['bybit-prod-hedging', 'bybit-prod-trading'], 'one incident per credential listing the person');
  t.ok(opened.every((o) => o.created));
  env.runner.start();

  for (const o of opened) {
    const done = await env.waitForState(o.incidentId, ['resolved', 'needs_attention', 'aborted'], 90_000);
    t.equal(done.state, 'resolved', `${o.credentialId}: ${await why(env, o.incidentId)}`);
    t.equal(done.playbook, 'offboarding');
    const timeline = await env.store.listTimeline(o.incidentId);
    t.match(timeline.find((e) => e.type === 'incident.opened'), { actor: 'user:hr', message: /offboarding alice@example.com/ }, 'the person and who asked are on the timeline');
    t.same(
      timeline.filter((e) => e.type === 'step.finished').map((e) => e.data.step),
      ['assess', 'rotate', 'verify-pending', 'promote', 'restore', 'verify', 'monitor', 'revoke', 'notify'],
      'an emergency rotation',
    );
  }

  for (const [c, old] of [
    [env.credential, world.accounts.botKey],
    [hedging.credential, hedging.key],
  ] as const) {
    const current = world.secretsManager.secret(c.secretId)!.versions.find((v) => v.stages.includes('AWSCURRENT'))!;
    const fresh = JSON.parse(current.secretString!) as { api_key: string };
    t.not(fresh.api_key, old.apiKey, `${c.id}: a new key is AWSCURRENT`);
    t.ok(world.bybit.keys().find((k) => k.apiKey === old.apiKey)?.deletedAt, `${c.id}: the key alice could see is revoked`);
    const live = world.bybit.keys().filter((k) => k.uid === Number(c.account.uid) && !k.deletedAt);
    t.same(live.map((k) => k.apiKey), [fresh.api_key], `${c.id}: one live key, the new one`);
    await eventually(async () => (world.bot.placedWith(fresh.api_key.slice(0, 4)) > 0 ? true : undefined), `${c.id}'s bot trading on its new key`, 20_000);
  }
  t.notOk(world.bybit.keys().find((k) => k.apiKey === unrelated.key.apiKey)?.deletedAt, "a credential alice never had is left alone");
  t.same(await env.store.listIncidents({ credentialId: unrelated.credential.id }), [], 'and has no incident');
  t.match((await env.store.listAudit()).find((a) => a.action === 'offboarding' && a.target === 'alice@example.com'), { actor: 'user:hr', data: { incidents: opened } }, 'audited');

  const everything = JSON.stringify(await Promise.all(opened.map(async (o) => [await env.store.listTimeline(o.incidentId), await env.store.listStepRuns(o.incidentId)]))) + env.log.text();
  t.notOk(worldSecrets(env).some((s) => everything.includes(s)), 'no key or secret in the store, the timeline or the log');
});
