import t from 'tap';
import type { Credential } from '../../src/core/credential.js';
import type { PlaybookName } from '../../src/core/incident.js';
import { fastPlan, responderWorld, why, type ResponderWorld } from './harness.js';
import { WORLD } from '../sim/world.js';

t.setTimeout(120_000);

const INTRUDER_IP = '203.0.113.66';

/** A break-glass plan cut down to `steps` (their order kept), with no failure steps. */
const only = (steps: string[], playbook: PlaybookName = 'break-glass') =>
  fastPlan(playbook, (p) => {
    p.steps = p.steps.filter((s) => steps.includes(s.step) && s.id === s.step);
    p.onFailure = [];
  });

/** Runs one incident to its end. */
async function runIncident(env: ResponderWorld, credential: Credential, steps: string[]) {
  const incident = await env.open(only(steps), { credential });
  env.runner.start();
  return { incident, done: await env.waitForState(incident.id, ['resolved', 'needs_attention', 'aborted', 'failed'], 60_000) };
}

/** Whoever holds the leaked key changes its settings (Bybit lets a sub-account key edit itself) before LeakGuard opens the incident. */
function tamper(env: ResponderWorld) {
  const leaked = env.world.bybit.keys().find((k) => k.apiKey === env.world.accounts.botKey.apiKey)!;
  leaked.ips.push(INTRUDER_IP);
  leaked.permissions.Options = ['OptionsTrade'];
  leaked.permissions.Wallet = ['AccountTransfer'];
}

const newKeyOf = (env: ResponderWorld) => env.world.bybit.keys().find((k) => k.uid === env.world.accounts.subUid && k.apiKey !== env.world.accounts.botKey.apiKey && !k.deletedAt);

t.test("the new key gets the config's baseline, never what the tampered leaked key shows; the timeline says so", async (t) => {
  const env = await responderWorld(t);
  tamper(env);
  const { incident, done } = await runIncident(env, env.credential, ['rotate']);
  t.equal(done.state, 'resolved', await why(env, incident.id));
  t.same(incident.target?.ips?.includes(INTRUDER_IP), true, 'the target recorded the tampered key as it is');
  const made = newKeyOf(env)!;
  t.same(made.permissions, { ContractTrade: ['Order', 'Position'], Spot: ['SpotTrade'] }, "the baseline's permissions");
  t.same([...made.ips].sort(), [WORLD.botIp, WORLD.leakguardIp].sort(), "the baseline's IPs plus LeakGuard's egress IP; not the intruder's");
  const timeline = await env.store.listTimeline(incident.id);
  t.match(timeline.find((e) => e.type === 'rotate.created')?.message, /with the permissions and IPs of the config \(credentials\[bybit-prod-trading\]\.baseline\)/);
  t.match(timeline.find((e) => e.type === 'rotate.baseline_drift')?.message, /showed other permissions or IPs than the baseline/, 'the drift is evidence on the timeline');
  const rotated = (await env.store.listStepRuns(incident.id)).find((r) => r.step === 'rotate' && r.status === 'succeeded');
  t.match(rotated?.outputs, { baseline: { ips: [WORLD.botIp, WORLD.leakguardIp], source: /the config/ } }, 'recorded for the next incident');
});

t.test('without a config baseline: the state an earlier incident saw before this one; with none at all the rotate fails saying what to set', async (t) => {
  const env = await responderWorld(t);
  const { baseline: _, ...bare } = env.credential;
  const credential = bare as Credential;
  env.addCredential(credential);

  const refused = await runIncident(env, credential, ['rotate']);
  t.not(refused.done.state, 'resolved');
  t.match(await why(env, refused.incident.id), /has no baseline for the new key's permissions and IPs.*never copies them from the leaked key.*set credentials\[\]\.baseline/);
  t.notOk(newKeyOf(env), 'no key was made from the live key');
  await env.incidents.abort(refused.incident.id, 'user:test', 'a new response follows');
  await env.waitForState(refused.incident.id, ['aborted']);

  // An earlier response read the untampered key when it opened.
  const earlier = await runIncident(env, credential, ['notify']);
  t.equal(earlier.done.state, 'resolved', await why(env, earlier.incident.id));
  tamper(env);
  const later = await runIncident(env, credential, ['rotate']);
  t.equal(later.done.state, 'resolved', await why(env, later.incident.id));
  const made = newKeyOf(env)!;
  t.same(made.permissions, { ContractTrade: ['Order', 'Position'], Spot: ['SpotTrade'] }, 'the permissions the key had when the earlier incident read it');
  t.notOk(made.ips.includes(INTRUDER_IP), "not the intruder's IP");
  t.match((await env.store.listTimeline(later.incident.id)).find((e) => e.type === 'rotate.created')?.message, new RegExp(`as incident ${earlier.incident.id} read it`));
});

t.test('a baseline that grants Withdraw is refused when the config loads', async (t) => {
  const { parseConfig } = await import('../../src/config/load.js');
  const credential = (exchange: string) => ({ id: `c-${exchange}`, exchange, account: { uid: '1', masterKey: { env: 'X' } }, secretId: 's', workload: { namespace: 'n', deployment: 'd', selector: 'a=b' }, trades: { categories: ['spot'] }, orderLinkPrefix: 'p-', baseline: { permissions: { Spot: ['SpotTrade'], Wallet: ['AccountTransfer', 'Withdraw'] }, ips: [] } });
  t.throws(() => parseConfig({ credentials: [credential('bybit'), credential('binance')] }), /credentials\[0\]\.baseline\.permissions\.Wallet: Withdraw is never granted to a new key; remove it[\s\S]*credentials\[1\]\.baseline\.permissions\.Wallet: Withdraw is never granted/);
});
