import { readFileSync } from 'node:fs';
import { RestClientV5, type RestClientOptions } from 'bybit-api';
import type { ApiKey } from './keys.js';
import { BybitSim, type BybitSimOptions } from './server.js';

/** Shared set-up of the Bybit simulator tests: one master account, one sub-account, their keys. */
export interface BybitWorld {
  sim: BybitSim;
  masterUid: number;
  subUid: number;
  /** Master key as LeakGuard holds it: key admin without Withdrawal, bound to LeakGuard's egress IP. */
  master: ApiKey;
  /** The bot's sub-account trading key. */
  bot: ApiKey;
  client(key: Pick<ApiKey, 'apiKey' | 'secret'>, opts?: RestClientOptions, ip?: string): RestClientV5;
}

export const LEAKGUARD_IP = '10.0.0.7';

export async function startBybit(teardown: (fn: () => unknown) => void, opts: BybitSimOptions = {}): Promise<BybitWorld> {
  const sim = new BybitSim(opts);
  await sim.start();
  teardown(() => sim.close());
  const masterUid = sim.addMaster(1448939).uid;
  const subUid = sim.addSubAccount(masterUid, 53888000).uid;
  const master = sim.addKey({
    uid: masterUid,
    note: 'leakguard',
    permissions: { Wallet: ['AccountTransfer', 'SubMemberTransfer'] },
    ips: [LEAKGUARD_IP],
  });
  const bot = sim.addKey({
    uid: subUid,
    note: 'bot',
    permissions: { ContractTrade: ['Order', 'Position'], Spot: ['SpotTrade'], Wallet: ['AccountTransfer'] },
  });
  const client = (key: Pick<ApiKey, 'apiKey' | 'secret'>, o: RestClientOptions = {}, ip?: string) =>
    new RestClientV5(
      { key: key.apiKey, secret: key.secret, baseUrl: sim.url, ...o },
      // The simulator reads the caller's IP from this header; the master key only works from LeakGuard's IP.
      { headers: { 'x-sim-client-ip': ip ?? (key.apiKey === master.apiKey ? LEAKGUARD_IP : '127.0.0.1') } },
    );
  return { sim, masterUid, subUid, master, bot, client };
}

/** A Bybit fixture from shared/fixtures/bybit. */
export function bybitFixture<T = { response_example: { result: Record<string, unknown> } }>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../../../shared/fixtures/bybit/${name}`, import.meta.url), 'utf8')) as T;
}

/**
 * Where `actual` differs in shape from `fixture`: keys it lacks and values of another JSON type,
 * following objects and the first element of arrays. `opaque` paths are compared as a type only
 * (maps keyed by data, such as cumFeeDetail's coins).
 */
export function shapeDiff(fixture: unknown, actual: unknown, opaque: string[] = [], path = ''): string[] {
  const kind = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
  if (kind(fixture) !== kind(actual)) return [`${path}: ${kind(actual)} instead of ${kind(fixture)}`];
  if (opaque.includes(path)) return [];
  if (Array.isArray(fixture) && Array.isArray(actual)) {
    return fixture.length && actual.length ? shapeDiff(fixture[0], actual[0], opaque, `${path}[]`) : [];
  }
  if (fixture && typeof fixture === 'object') {
    const a = actual as Record<string, unknown>;
    return Object.entries(fixture).flatMap(([k, v]) =>
      k in a ? shapeDiff(v, a[k], opaque, `${path}.${k}`) : [`${path}.${k}: missing`],
    );
  }
  return [];
}
