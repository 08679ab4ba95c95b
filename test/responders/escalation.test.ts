import t from 'tap';
import { fastPlan, responderWorld, why, type ResponderWorld } from './harness.js';
import { WORLD } from '../sim/world.js';

t.setTimeout(240_000);

const FINAL = ['resolved', 'needs_attention', 'aborted', 'failed'];

/** Keys of the bot's sub-account other than the leaked one: what rotations made. */
const madeKeys = (env: ResponderWorld) => env.world.bybit.keys().filter((k) => k.uid === env.world.accounts.subUid && k.apiKey !== env.world.accounts.botKey.apiKey);
const current = (env: ResponderWorld) => JSON.parse(env.world.secretsManager.secret(WORLD.secretId)!.versions.find((v) => v.stages.includes('AWSCURRENT'))!.secretString!).api_key as string;

t.test('a confirmed leak during an emergency escalates it to break-glass: the work done is kept, one new key, not two', async (t) => {
  const env = await responderWorld(t);
  const leaked = env.world.accounts.botKey;
  await env.botTrading(leaked.apiKey.slice(0, 4));
  let escalation: Promise<unknown> | undefined;
  env.hooks.push((e) => {
    // The confirmed leak arrives right after the emergency made its new key (still AWSPENDING).
    if (e.type === 'step.finished' && e.step === 'rotate' && !escalation) {
      escalation = env.incidents.open({ credential: env.credential, plan: fastPlan('break-glass'), reason: 'the key is on GitHub', actor: 'system:test', escalate: true });
    }
  });
  const incident = await env.open(fastPlan('emergency'));
  env.runner.start();
  const done = await env.waitForState(incident.id, FINAL, 120_000);
  t.equal(done.state, 'resolved', await why(env, incident.id));
  t.match(await escalation, { created: false, escalated: true, incident: { id: incident.id } }, 'the request attached to the running incident and escalated it');
  t.equal(done.playbook, 'break-glass', 'it ended as a break-glass');
  const timeline = await env.store.listTimeline(incident.id);
  t.match(timeline.find((e) => e.type === 'incident.escalated')?.message, 'escalated from emergency to break-glass: the key is on GitHub');
  t.equal(timeline.filter((e) => e.type === 'step.started' && e.data.step === 'rotate').length, 1, 'rotate ran once');
  t.equal(madeKeys(env).length, 1, 'one new key at the exchange');
  t.equal(current(env), madeKeys(env)[0]!.apiKey, 'and it is AWSCURRENT');
  t.ok(env.world.bybit.keys().find((k) => k.apiKey === leaked.apiKey)?.deletedAt, 'the leaked key is deleted');
});

t.test('a stronger decision for an incident in needs_attention escalates it and tries again what had failed', async (t) => {
  const env = await responderWorld(t);
  const leaked = env.world.accounts.botKey;
  await env.botTrading(leaked.apiKey.slice(0, 4));
  const unavailable = { kind: 'error' as const, status: 503, body: '<html>503 Service Temporarily Unavailable</html>', headers: { 'content-type': 'text/html' }, times: 1_000 };
  env.world.bybit.faults.inject('POST /v5/user/create-sub-api', unavailable);
  const incident = await env.open(fastPlan('emergency', (plan) => void (plan.steps.find((s) => s.id === 'rotate')!.retries = 0)));
  env.runner.start();
  t.equal((await env.waitForState(incident.id, FINAL, 120_000)).state, 'needs_attention', 'the emergency gave up on its rotate');
  t.equal(madeKeys(env).length, 0);

  env.world.bybit.faults.clear();
  const { escalated } = await env.incidents.open({ credential: env.credential, plan: fastPlan('break-glass'), reason: 'the key is on GitHub', actor: 'system:test', escalate: true });
  t.ok(escalated);
  const done = await env.waitForState(incident.id, ['resolved', 'aborted', 'failed'], 120_000);
  t.equal(done.state, 'resolved', await why(env, incident.id));
  t.equal(madeKeys(env).length, 1, 'the rotate was tried again and made one key');
  t.equal(current(env), madeKeys(env)[0]!.apiKey);
  t.ok(env.world.bybit.keys().find((k) => k.apiKey === leaked.apiKey)?.deletedAt, 'the leaked key is deleted');
});
