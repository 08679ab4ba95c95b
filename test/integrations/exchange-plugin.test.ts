import t from 'tap';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { defaultExchanges } from '../../src/integrations/exchanges/registry.js';
import { addDeployment } from '../responders/credentials.js';
import { fastPlan, responderWorld, why } from '../responders/harness.js';
import { secretJson, WORLD } from '../sim/world.js';
import { toy } from '../fixtures/exchanges/toy/index.js';
import { ToySim } from '../fixtures/exchanges/toy/sim.js';

t.setTimeout(120_000);

// The one line that plugs the throwaway exchange in.
const exchanges = [...defaultExchanges, toy];

t.test('the list builds the config: an unlisted exchange is refused, a listed one validated with its own rules', async (t) => {
  const credential = { id: 'toy-1', exchange: 'toy', secretId: 's', workload: { namespace: 'n', deployment: 'd', selector: 'a=b' }, trades: { categories: ['spot'] }, orderLinkPrefix: 'x' };
  const refused = t.throws(() => parseConfig({ credentials: [credential] })) as ConfigError;
  t.match(refused.problems.join('\n'), 'credentials[0].exchange: must be one of the allowed forms ("bybit", "binance")');
  const rules = t.throws(() => parseConfig({ exchanges: { toy: { baseUrl: 'http://x' } }, credentials: [credential] }, 'config', exchanges)) as ConfigError;
  t.same(rules.problems, ['credentials[0].account: toy needs uid and masterKey'], "the toy module's own credential rule");
  const missing = t.throws(() => parseConfig({}, 'config', exchanges)) as ConfigError;
  t.match(missing.problems.join('\n'), 'exchanges.toy.baseUrl: required', "the toy module's config schema");
});

t.test('break-glass for a credential on an exchange added with one line, against its simulator and the AWS and Kubernetes simulators', async (t) => {
  const sim = new ToySim();
  await sim.start();
  t.teardown(() => sim.close());
  const env = await responderWorld(t, { exchanges, config: { exchanges: { toy: { baseUrl: sim.url } } } });
  const { world } = env;

  const master = sim.addKey({ account: 'root', note: 'leakguard', isMaster: true, permissions: { keys: ['manage'] }, ips: [WORLD.leakguardIp] });
  const leaked = sim.addKey({ account: 'bot-7', note: 'toy-bot', permissions: { trade: ['spot'] }, ips: [WORLD.botIp] });
  const placed = [sim.addOrder({ account: 'bot-7', symbol: 'TOYUSDT', placedBy: leaked.apiKey }), sim.addOrder({ account: 'bot-7', symbol: 'TOYBTC', placedBy: leaked.apiKey })];
  world.secretsManager.seedSecret({ name: 'prod/leakguard/toy-master', secretString: secretJson(master, 'leakguard master key') });
  world.secretsManager.seedSecret({ name: 'prod/toy/api', secretString: secretJson(leaked) });
  addDeployment(env, 'toy-bot', 'prod/toy/api');
  const credential = parseConfig(
    {
      ...env.config,
      credentials: [
        {
          id: 'toy-prod',
          exchange: 'toy',
          account: { uid: 'bot-7', masterKey: { secretsManager: 'prod/leakguard/toy-master' } },
          secretId: 'prod/toy/api',
          workload: { namespace: WORLD.namespace, deployment: 'toy-bot', selector: 'app=toy-bot' },
          trades: { categories: ['spot'] },
          orderLinkPrefix: 'toy-',
          baseline: { permissions: { trade: ['spot'] }, ips: [WORLD.botIp] },
        },
      ],
    },
    'config',
    exchanges,
  ).credentials[0]!;
  env.addCredential(credential);
  const botPods = () => world.kubernetes.pods(WORLD.namespace, 'app=toy-bot').filter((p) => !(p.metadata as { deletionTimestamp?: string }).deletionTimestamp);
  await world.kubernetes.settle();
  t.equal(botPods().length, 2, 'the bot runs before the incident');

  const incident = await env.open(fastPlan('break-glass'), { credential });
  t.same(incident.target?.ips, [WORLD.botIp], "the target was read from the toy exchange when the incident opened");
  env.runner.start();
  const done = await env.waitForState(incident.id, ['resolved', 'needs_attention', 'aborted'], 60_000);
  t.equal(done.state, 'resolved', await why(env, incident.id));

  t.not(sim.keys().find((k) => k.apiKey === leaked.apiKey)?.deletedAt, null, 'the leaked key is deleted at the toy exchange');
  t.same(sim.orders().filter((o) => o.open), [], 'no order is left open');
  t.ok(placed.every((o) => sim.orders().find((x) => x.id === o.id)?.open === false), "the leaked key's orders were cancelled");

  const versions = world.secretsManager.secret('prod/toy/api')!.versions;
  const current = JSON.parse(versions.find((v) => v.stages.includes('AWSCURRENT'))!.secretString!) as { api_key: string; api_secret: string };
  t.equal(versions.find((v) => v.stages.includes('AWSPREVIOUS'))?.versionId, incident.target?.versionId, 'the leaked key is AWSPREVIOUS');
  const live = sim.keys().filter((k) => k.account === 'bot-7' && k.deletedAt === null);
  t.same(live.map((k) => [k.apiKey, k.secret]), [[current.api_key, current.api_secret]], 'AWSCURRENT holds the one live key of the account: the new one');
  t.same(live[0]?.permissions, leaked.permissions, "with the baseline's permissions (the leaked key's before the leak)");
  t.same([...live[0]!.ips].sort(), [WORLD.botIp, WORLD.leakguardIp].sort(), "the baseline's IPs plus LeakGuard's egress IP");

  const pods = botPods();
  t.equal(pods.length, 2, 'the bot is back at its replica count');
  t.ok(pods.every((p) => (p.status as { phase?: string } | undefined)?.phase === 'Running'), 'its pods run');
  const runs = await env.store.listStepRuns(incident.id);
  t.same(runs.find((r) => r.step === 'verify')?.outputs.pods, 2, "verify saw the new rollout's pods ready");

  const everything = JSON.stringify({ timeline: await env.store.listTimeline(incident.id), runs }) + env.log.text();
  for (const secret of [leaked.secret, master.secret, current.api_secret, leaked.apiKey, master.apiKey]) t.notOk(everything.includes(secret), 'no toy key or secret in the store, the timeline or the log');
});
