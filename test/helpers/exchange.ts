import { randomBytes } from 'node:crypto';
import { ManualClock } from '../../src/core/clock.js';
import { createLeakGuard, type LeakGuard } from '../../src/leakguard.js';
import type { WorkItem } from '../../src/store/store.js';
import type { WorkOutcome } from '../../src/queue/worker.js';
import type { ApiKey } from '../sim/bybit/keys.js';
import { secretJson, WORLD } from '../sim/world.js';
import { e2eConfig, startE2E, type E2E } from './e2e.js';
import { watch } from './github.js';
import { sqliteStore, type TestStore } from './stores.js';

type Teardown = { teardown(fn: () => unknown): void };

export const NOTICE_SECRET_ID = 'prod/leakguard/exchange-notices';
export const WATCH_SECRET_ID = 'prod/leakguard/bybit-watch';
export const CREDENTIAL = 'bybit-prod-trading';

export interface ExchangeSetup {
  e2e: E2E;
  ts: TestStore;
  lg: LeakGuard;
  /** LeakGuard's clock: the poll waits on it (the simulators and signatures run on real time). */
  clock: ManualClock;
  url: string;
  noticeSecret: string;
  /** The credential's watch key: read-only, in the bot's sub-account. */
  watchKey: ApiKey;
  w: ReturnType<typeof watch>;
}

/**
 * The world with the exchange watch on for the runbook's credential: a read-only watch key of the
 * bot's sub-account in its own Secrets Manager secret, the notice webhook's key in another.
 */
export async function exchangeSetup(t: Teardown, opts: { exchange?: Record<string, unknown> } = {}): Promise<ExchangeSetup> {
  // The bot trades once a second: the tests' own orders stay within Bybit's per-UID order limit.
  const e2e = await startE2E({ tradeEveryMs: 1000 });
  t.teardown(() => e2e.close());
  const ts = await sqliteStore(e2e.scrubber);
  t.teardown(() => ts.cleanup());
  const noticeSecret = randomBytes(24).toString('hex');
  const watchKey = e2e.world.bybit.addKey({ uid: e2e.world.accounts.subUid, note: 'leakguard-watch', readOnly: 1, permissions: { ContractTrade: ['Order', 'Position'] } });
  e2e.world.secretsManager.seedSecret({ name: NOTICE_SECRET_ID, secretString: noticeSecret });
  e2e.world.secretsManager.seedSecret({ name: WATCH_SECRET_ID, secretString: secretJson(watchKey, 'exchange watch key') });
  const config = e2eConfig(e2e.world, 'direct', {
    detectors: {
      exchange: {
        enabled: true,
        webhookSecret: { secretsManager: NOTICE_SECRET_ID },
        watch: { [CREDENTIAL]: { key: { secretsManager: WATCH_SECRET_ID } } },
        ...opts.exchange,
      },
    },
  });
  const clock = new ManualClock(Date.now());
  const ended: { item: WorkItem; outcome: WorkOutcome }[] = [];
  const lg = await createLeakGuard(config, { store: ts.store, clients: e2e.clients, scrubber: e2e.scrubber, logger: e2e.logger, clock, runner: { pollMs: 200, onWork: (item, outcome) => ended.push({ item, outcome }) } });
  t.teardown(() => lg.close(0));
  await lg.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (lg.app.server.address() as { port: number }).port;
  const w = watch(lg, ended);
  return { e2e, ts, lg, clock, url: `http://127.0.0.1:${port}/webhooks/exchange`, noticeSecret, watchKey, w };
}

export { WORLD };
