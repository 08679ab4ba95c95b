import { systemClock, type Clock } from '../../src/core/clock.js';
import { SecretsManagerSim } from './aws/secretsmanager.js';
import { EventBridgeSim } from './aws/eventbridge.js';
import { CloudTrailSim } from './aws/cloudtrail.js';
import { DEFAULT_CREDENTIALS } from './aws/json-protocol.js';
import { BybitSim } from './bybit/server.js';
import type { ApiKey } from './bybit/keys.js';
import { BinanceSim } from './binance/server.js';
import { SlackSim } from './slack.js';
import { KubernetesSim } from './kubernetes/index.js';
import { SimulatedBot } from './bot.js';
import { GitHubSim } from './github/index.js';

/**
 * Every simulator wired together, seeded with the runbook's setup: a Bybit master account
 * with the bot's sub-account, LeakGuard's master key and the bot's key in Secrets Manager,
 * and the live-trading-bot Deployment whose pods run the simulated bot. Used by `npm run
 * sim`, the demo and end-to-end tests.
 */
export interface WorldOptions {
  clock?: Clock;
  delivery?: 'direct' | 'external-secrets';
  replicas?: number;
  /** Clock ms from pod creation to ready. */
  podStartMs?: number;
  tradeEveryMs?: number;
  /** The bot pods' termination grace period. Default 1 s. */
  terminationGraceSeconds?: number;
}

export const WORLD = {
  namespace: 'prod',
  deployment: 'live-trading-bot',
  selector: 'app=live-trading-bot',
  secretId: 'prod/bybit/api',
  masterSecretId: 'prod/leakguard/bybit-master',
  externalSecret: 'live-trading-bot-api',
  k8sSecret: 'live-trading-bot-api',
  orderPrefix: 'ltb-',
  leakguardIp: '10.0.0.7',
  botIp: '10.0.1.20',
  githubOrg: 'example-trading',
  githubRepo: 'live-trading-bot',
} as const;

const [[AWS_KEY_ID, AWS_SECRET]] = Object.entries(DEFAULT_CREDENTIALS) as [[string, string]];
export const AWS_TEST_CREDENTIALS = { accessKeyId: AWS_KEY_ID, secretAccessKey: AWS_SECRET };

export interface World {
  clock: Clock;
  secretsManager: SecretsManagerSim;
  eventBridge: EventBridgeSim;
  cloudTrail: CloudTrailSim;
  kubernetes: KubernetesSim;
  bybit: BybitSim;
  binance: BinanceSim;
  slack: SlackSim;
  bot: SimulatedBot;
  github: GitHubSim;
  /** A classic token for the GitHub simulator with the scopes the detector needs (repo, admin:org_hook). */
  githubToken: string;
  slackWebhook: string;
  urls: Record<'secretsmanager' | 'eventbridge' | 'cloudtrail' | 'kubernetes' | 'bybit' | 'binance' | 'slack' | 'github', string>;
  accounts: { masterUid: number; subUid: number; master: ApiKey; botKey: ApiKey };
  close(): Promise<void>;
}

export function secretJson(key: Pick<ApiKey, 'apiKey' | 'secret'>, reason = 'initial'): string {
  return JSON.stringify({ api_key: key.apiKey, api_secret: key.secret, api_key_id: key.apiKey, created_at: '2026-01-01T00:00:00Z', created_by: 'seed', rotation_reason: reason });
}

export async function startWorld(opts: WorldOptions = {}): Promise<World> {
  const clock = opts.clock ?? systemClock;
  const secretsManager = new SecretsManagerSim({ clock });
  const eventBridge = new EventBridgeSim({ clock });
  const cloudTrail = new CloudTrailSim({ clock });
  const bybit = new BybitSim({ clock });
  const binance = new BinanceSim({ clock });
  const slack = new SlackSim({ clock });
  const github = new GitHubSim({ clock });
  const kubernetes = new KubernetesSim({
    clock,
    podStartMs: opts.podStartMs ?? 300,
    controllerDelayMs: 50,
    readSecret: async (id) => secretsManager.secret(id)?.versions.find((v) => v.stages.includes('AWSCURRENT'))?.secretString,
  });
  const servers = await Promise.all([secretsManager.start(), eventBridge.start(), cloudTrail.start(), bybit.start(), binance.start(), slack.start(), kubernetes.start(), github.start()]);
  const [sm, eb, ct, by, bn, sl, k8s, gh] = servers;

  const masterUid = bybit.addMaster(1448939).uid;
  const subUid = bybit.addSubAccount(masterUid, 53888000).uid;
  const master = bybit.addKey({ uid: masterUid, note: 'leakguard', permissions: { Wallet: ['AccountTransfer', 'SubMemberTransfer'] }, ips: [WORLD.leakguardIp] });
  const botKey = bybit.addKey({
    uid: subUid,
    note: 'live-trading-bot',
    permissions: { ContractTrade: ['Order', 'Position'], Spot: ['SpotTrade'] },
    ips: [WORLD.botIp, WORLD.leakguardIp],
  });
  bybit.seed({ markPrices: { BTCUSDT: '60000' }, positions: [{ uid: subUid, category: 'linear', symbol: 'BTCUSDT', side: 'Buy', size: '0.5', avgPrice: '58000' }] });
  secretsManager.seedSecret({ name: WORLD.masterSecretId, secretString: secretJson(master, 'leakguard master key') });
  secretsManager.seedSecret({ name: WORLD.secretId, secretString: secretJson(botKey) });
  github.addRepo({ org: WORLD.githubOrg, name: WORLD.githubRepo, visibility: 'private' });
  const githubToken = github.addClassicToken(['repo', 'admin:org_hook']);

  const bot = new SimulatedBot({ bybitUrl: by.url, secretsManager: { url: sm.url, ...AWS_TEST_CREDENTIALS }, tradeEveryMs: opts.tradeEveryMs ?? 200, ip: WORLD.botIp });
  bot.attach(kubernetes);
  const externalSecrets = opts.delivery === 'external-secrets';
  if (externalSecrets) {
    kubernetes.addExternalSecret({
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: { name: WORLD.externalSecret, namespace: WORLD.namespace },
      spec: { refreshInterval: '1h', secretStoreRef: { name: 'aws', kind: 'ClusterSecretStore' }, target: { name: WORLD.k8sSecret }, dataFrom: [{ extract: { key: WORLD.secretId } }] },
    });
    await kubernetes.settle();
  }
  const keyRef = (key: string) => ({ valueFrom: { secretKeyRef: { name: WORLD.k8sSecret, key } } });
  kubernetes.addDeployment({
    metadata: { name: WORLD.deployment, namespace: WORLD.namespace, labels: { app: 'live-trading-bot' } },
    spec: {
      replicas: opts.replicas ?? 3,
      selector: { matchLabels: { app: 'live-trading-bot' } },
      template: {
        metadata: { labels: { app: 'live-trading-bot' } },
        spec: {
          terminationGracePeriodSeconds: opts.terminationGraceSeconds ?? 1,
          containers: [
            {
              name: 'bot',
              image: 'ghcr.io/example/live-trading-bot:1.0',
              env: [
                { name: 'BOT_ORDER_PREFIX', value: WORLD.orderPrefix },
                { name: 'BOT_SYMBOL', value: 'BTCUSDT' },
                { name: 'BOT_CATEGORY', value: 'linear' },
                ...(externalSecrets ? [{ name: 'BYBIT_API_KEY', ...keyRef('api_key') }, { name: 'BYBIT_API_SECRET', ...keyRef('api_secret') }] : [{ name: 'BOT_SECRET_ID', value: WORLD.secretId }]),
              ],
            },
          ],
        },
      },
    },
  });

  return {
    clock,
    secretsManager,
    eventBridge,
    cloudTrail,
    kubernetes,
    bybit,
    binance,
    slack,
    bot,
    github,
    githubToken,
    slackWebhook: slack.addWebhook(),
    urls: { secretsmanager: sm.url, eventbridge: eb.url, cloudtrail: ct.url, bybit: by.url, binance: bn.url, slack: sl.url, kubernetes: k8s.url, github: gh.url },
    accounts: { masterUid, subUid, master, botKey },
    close: async () => {
      bot.detach();
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}
