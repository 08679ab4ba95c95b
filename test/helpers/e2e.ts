import type { Logger } from 'pino';
import { Scrubber } from '../../src/core/scrubber.js';
import { systemClock, type Clock } from '../../src/core/clock.js';
import type { Credential } from '../../src/core/credential.js';
import { parseConfig } from '../../src/config/load.js';
import { defaultExchanges } from '../../src/integrations/exchanges/registry.js';
import type { ExchangeList } from '../../src/integrations/exchanges/module.js';
import type { Config } from '../../src/config/schema.js';
import { createLogger } from '../../src/http/logger.js';
import type { ClientDeps, LeakGuardClients } from '../../src/integrations/clients.js';
import { wireClients } from '../../src/leakguard.js';
import { kubeConfigFor } from '../sim/kubernetes/kubeconfig.js';
import { AWS_TEST_CREDENTIALS, startWorld, WORLD, type World, type WorldOptions } from '../sim/world.js';
import { captureLog } from './logs.js';
import { FAST_POLICY } from './aws.js';

/**
 * LeakGuard's config and real clients pointed at a fresh simulator world: what end-to-end
 * tests of responders and playbooks start from. The credential is the runbook's
 * bybit-prod-trading, in the world's delivery mode.
 */
export interface E2E {
  world: World;
  config: Config;
  credential: Credential;
  clients: LeakGuardClients;
  scrubber: Scrubber;
  log: ReturnType<typeof captureLog>;
  logger: Logger;
  close(): Promise<void>;
}

/** `extra` replaces top-level sections, but its `exchanges` sections are added to the world's; `exchanges` is the list to parse with. */
export function e2eConfig(world: Pick<World, 'urls' | 'accounts'>, delivery: WorldOptions['delivery'] = 'direct', extra: Record<string, unknown> = {}, exchanges: ExchangeList = defaultExchanges): Config {
  return parseConfig({
    server: { egressIps: [WORLD.leakguardIp] },
    aws: { region: 'us-east-1', endpoints: { secretsmanager: world.urls.secretsmanager, events: world.urls.eventbridge, cloudtrail: world.urls.cloudtrail } },
    credentials: [
      {
        id: 'bybit-prod-trading',
        exchange: 'bybit',
        account: { uid: String(world.accounts.subUid), masterKey: { secretsManager: WORLD.masterSecretId } },
        secretId: WORLD.secretId,
        workload: { namespace: WORLD.namespace, deployment: WORLD.deployment, selector: WORLD.selector },
        delivery: delivery === 'external-secrets' ? { mode: 'external-secrets', externalSecret: WORLD.externalSecret, secretName: WORLD.k8sSecret } : { mode: 'direct' },
        trades: { categories: ['spot', 'linear'], settleCoins: ['USDT'], symbols: ['BTCUSDT'] },
        orderLinkPrefix: WORLD.orderPrefix,
        people: ['alice@example.com'],
        // What the world's bot key was made with: a new key gets this, never the leaked key's settings.
        baseline: { permissions: { ContractTrade: ['Order', 'Position'], Spot: ['SpotTrade'] }, ips: [WORLD.botIp] },
      },
    ],
    notifiers: { slack: { webhookUrl: { env: 'LG_TEST_SLACK_URL' } }, eventbridge: { busName: 'leakguard' } },
    ...extra,
    exchanges: { bybit: { baseUrl: world.urls.bybit }, binance: { baseUrl: world.urls.binance }, ...(extra.exchanges as Record<string, unknown> | undefined) },
  }, 'config', exchanges);
}

/** What the clients need to reach a world, also from another process (crash tests). */
export interface WorldAddress {
  urls: World['urls'];
  slackWebhook: string;
  k8sToken: string;
}

/** How LeakGuard's real clients reach a world: the simulators' endpoints, credentials and the caller's IP. */
export function e2eClientDeps(world: WorldAddress): Omit<ClientDeps, 'clock' | 'scrubber' | 'logger'> {
  return {
    env: { LG_TEST_SLACK_URL: world.slackWebhook },
    awsCredentials: AWS_TEST_CREDENTIALS,
    kubeConfig: kubeConfigFor(world.urls.kubernetes, world.k8sToken, WORLD.namespace),
    // The Bybit simulator reads the caller's IP from this header: LeakGuard calls from its egress IP.
    exchangeHeaders: { 'x-sim-client-ip': WORLD.leakguardIp },
    policy: FAST_POLICY,
  };
}

/** LeakGuard's real clients pointed at a simulator world. */
export async function e2eClients(config: Config, world: WorldAddress, deps: { clock: Clock; scrubber: Scrubber; logger: Logger; exchanges?: ExchangeList }): Promise<LeakGuardClients> {
  const { exchanges, ...rest } = deps;
  return (await wireClients(config, { ...rest, clientDeps: { ...e2eClientDeps(world), ...(exchanges ? { exchanges } : {}) } })).clients;
}

/** `exchanges`: the list to parse the config and build adapters with (a test adds a throwaway exchange). */
export async function startE2E(opts: WorldOptions & { config?: Record<string, unknown>; exchanges?: ExchangeList } = {}): Promise<E2E> {
  const world = await startWorld({ tradeEveryMs: 100, ...opts });
  const config = e2eConfig(world, opts.delivery, opts.config, opts.exchanges);
  const scrubber = new Scrubber();
  const log = captureLog();
  const logger = createLogger(scrubber, { level: 'debug', destination: log.stream });
  const clients = await e2eClients(config, { ...world, k8sToken: world.kubernetes.token }, { clock: opts.clock ?? systemClock, scrubber, logger, ...(opts.exchanges ? { exchanges: opts.exchanges } : {}) });
  return {
    world,
    config,
    credential: config.credentials[0]!,
    clients,
    scrubber,
    log,
    logger,
    close: async () => {
      clients.close();
      await world.close();
    },
  };
}
