import type { FastifyInstance } from 'fastify';
import { ManualClock } from '../../src/core/clock.js';
import { parseConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/http/logger.js';
import { createLeakGuard } from '../../src/leakguard.js';
import { captureLog } from './logs.js';
import { sqliteStore, type TestStore } from './stores.js';

/** LeakGuard's app (not started) on a fresh SQLite store with a captured log; close it with `done()`. */
export async function testApp(config: unknown = {}, open: () => Promise<TestStore> = sqliteStore) {
  const ts = await open();
  const log = captureLog();
  const logger = createLogger(ts.scrubber, { level: 'debug', destination: log.stream });
  const clock = new ManualClock();
  const leakguard = await createLeakGuard(parseConfig(config), { store: ts.store, scrubber: ts.scrubber, clock, logger });
  const app: FastifyInstance = leakguard.app;
  return {
    app,
    ...ts,
    log,
    clock,
    done: async () => {
      await leakguard.close(0);
      await ts.cleanup();
    },
  };
}
