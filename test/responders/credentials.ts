import { parseConfig } from '../../src/config/load.js';
import type { Credential } from '../../src/core/credential.js';
import { secretJson, WORLD } from '../sim/world.js';
import type { ResponderWorld } from './harness.js';

/** A Deployment in the world's namespace; with a prefix its pods run the simulated bot on `secretId`. */
export function addDeployment(env: ResponderWorld, name: string, secretId: string, prefix?: string) {
  env.world.kubernetes.addDeployment({
    metadata: { name, namespace: WORLD.namespace, labels: { app: name } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'bot', image: 'ghcr.io/example/bot:1.0', env: prefix ? [{ name: 'BOT_ORDER_PREFIX', value: prefix }, { name: 'BOT_SYMBOL', value: 'BTCUSDT' }, { name: 'BOT_CATEGORY', value: 'linear' }, { name: 'BOT_SECRET_ID', value: secretId }] : [] }],
        },
      },
    } as never,
  });
}

/** The credential as the config loader makes it (defaults applied). */
function credential(env: ResponderWorld, c: Record<string, unknown>): Credential {
  return parseConfig({ ...env.config, credentials: [c] }).credentials[0]!;
}

/**
 * A second Bybit credential in the same world: its own sub-account, key, secret and bot
 * Deployment (trading on its own prefix), LeakGuard's master key shared. Added to the runner.
 */
export function addBybitCredential(env: ResponderWorld, id: string, people: string[]) {
  const { bybit, secretsManager, accounts } = env.world;
  const uid = bybit.addSubAccount(accounts.masterUid).uid;
  const key = bybit.addKey({ uid, note: id, permissions: { ContractTrade: ['Order', 'Position'] }, ips: [WORLD.botIp, WORLD.leakguardIp] });
  const secretId = `prod/bybit/${id}`;
  secretsManager.seedSecret({ name: secretId, secretString: secretJson(key) });
  addDeployment(env, id, secretId, `${id.slice(0, 3)}-`);
  const c = credential(env, {
    ...env.credential,
    id,
    account: { uid: String(uid), masterKey: { secretsManager: WORLD.masterSecretId } },
    secretId,
    workload: { namespace: WORLD.namespace, deployment: id, selector: `app=${id}` },
    orderLinkPrefix: `${id.slice(0, 3)}-`,
    people,
    baseline: { permissions: { ContractTrade: ['Order', 'Position'] }, ips: [WORLD.botIp] },
  });
  env.addCredential(c);
  return { credential: c, key };
}

/** A Binance spot credential (key changes are manual there) with a Deployment that runs no bot. */
export function addBinanceCredential(env: ResponderWorld) {
  const id = 'binance-prod-spot';
  const key = env.world.binance.addKey({ uid: 7001, ips: [WORLD.botIp, WORLD.leakguardIp] });
  env.world.binance.seed({ balances: [{ uid: 7001, asset: 'USDT', free: '1000' }] });
  const secretId = 'prod/binance/api';
  env.world.secretsManager.seedSecret({ name: secretId, secretString: secretJson(key) });
  addDeployment(env, id, secretId);
  const c = credential(env, {
    id,
    exchange: 'binance',
    secretId,
    workload: { namespace: WORLD.namespace, deployment: id, selector: `app=${id}` },
    trades: { categories: ['spot'], symbols: ['BTCUSDT'] },
    orderLinkPrefix: 'bnb-',
  });
  env.addCredential(c);
  return { credential: c, key };
}
