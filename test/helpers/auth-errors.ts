import { createHash, randomBytes } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import { ManualClock } from '../../src/core/clock.js';
import type { Signal } from '../../src/core/signal.js';
import { parseConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/http/logger.js';
import { createLeakGuard, type LeakGuard } from '../../src/leakguard.js';
import { WORLD } from '../sim/world.js';
import { captureLog } from './logs.js';
import { sqliteStore, type TestStore } from './stores.js';

type Teardown = { teardown(fn: () => unknown): void };

/** Two credentials: the runbook's Bybit bot and a Binance one in another namespace. */
export const BYBIT_ID = 'bybit-prod-trading';
export const BINANCE_ID = 'binance-prod-trading';
export const BINANCE_NS = 'binance-bots';

export interface AuthErrorsSetup {
  lg: LeakGuard;
  ts: TestStore;
  clock: ManualClock;
  log: ReturnType<typeof captureLog>;
  /** A token bound to nothing (records mapped by their Kubernetes fields), and one bound to each credential. */
  tokens: { fields: string; bybit: string; binance: string };
  signals: Signal[];
  /** The first stored signal the predicate accepts, now or later. */
  signal(pred: (s: Signal) => boolean): Promise<Signal>;
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * A LeakGuard on a manual clock with the auth-errors detector on (not started unless `start`):
 * spike floor 20 in 60 s windows, 5 times the baseline, bans from 3 lines. `kubeConfig` points
 * the pod-log follower at a Kubernetes simulator; without it the follower is off.
 */
export async function authErrorsSetup(t: Teardown, opts: { kubeConfig?: KubeConfig; spike?: Record<string, unknown>; start?: boolean; clock?: ManualClock } = {}): Promise<AuthErrorsSetup> {
  const ts = await sqliteStore();
  t.teardown(() => ts.cleanup());
  const clock = opts.clock ?? new ManualClock();
  const log = captureLog();
  const logger = createLogger(ts.scrubber, { level: 'debug', destination: log.stream });
  const tokens = { fields: `lg_${randomBytes(12).toString('hex')}`, bybit: `lg_${randomBytes(12).toString('hex')}`, binance: `lg_${randomBytes(12).toString('hex')}` };
  const credential = (id: string, exchange: string, namespace: string) => ({
    id,
    exchange,
    ...(exchange === 'bybit' ? { account: { uid: '53888000', masterKey: { env: 'LG_TEST_UNUSED_MASTER' } } } : {}),
    secretId: `prod/${exchange}/api`,
    workload: { namespace, deployment: WORLD.deployment, selector: WORLD.selector },
    trades: { categories: ['spot'] },
    orderLinkPrefix: WORLD.orderPrefix,
  });
  const config = parseConfig({
    credentials: [credential(BYBIT_ID, 'bybit', WORLD.namespace), credential(BINANCE_ID, 'binance', BINANCE_NS)],
    detectors: {
      'auth-errors': {
        enabled: true,
        spike: { windowSeconds: 60, floor: 20, multiple: 5, banFloor: 3, ...opts.spike },
        podLogs: { enabled: opts.kubeConfig !== undefined },
        ingest: {
          tokens: [
            { name: 'fluent-bit', sha256: sha(tokens.fields) },
            { name: 'bybit-shipper', sha256: sha(tokens.bybit), credentialId: BYBIT_ID },
            { name: 'binance-shipper', sha256: sha(tokens.binance), credentialId: BINANCE_ID },
          ],
          maxBytes: 64 * 1024,
          maxDecompressedBytes: 256 * 1024,
        },
      },
    },
  });
  const lg = await createLeakGuard(config, { store: ts.store, scrubber: ts.scrubber, clock, logger, ...(opts.kubeConfig ? { clientDeps: { kubeConfig: opts.kubeConfig } } : {}) });
  t.teardown(() => lg.close(0));
  const signals: Signal[] = [];
  const waiters = new Set<() => void>();
  lg.intake.events.on('signal', (s, created) => {
    if (created) signals.push(s);
    waiters.forEach((w) => w());
  });
  if (opts.start) await lg.start();
  return {
    lg,
    ts,
    clock,
    log,
    tokens,
    signals,
    signal: (pred) =>
      new Promise((resolve) => {
        const look = () => {
          const s = signals.find(pred);
          if (s) {
            waiters.delete(look);
            resolve(s);
          }
        };
        waiters.add(look);
        look();
      }),
  };
}
