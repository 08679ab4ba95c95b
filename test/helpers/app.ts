import type { FastifyInstance } from 'fastify';
import { ManualClock } from '../../src/core/clock.js';
import { parseConfig } from '../../src/config/load.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/http/logger.js';
import { captureLog } from './logs.js';
import { sqliteStore, type TestStore } from './stores.js';

/** An app on a fresh SQLite store with a captured log; close it with `done()`. */
export async function testApp(config: unknown = {}, open: () => Promise<TestStore> = sqliteStore) {
  const ts = await open();
  const log = captureLog();
  const logger = createLogger(ts.scrubber, { level: 'debug', destination: log.stream });
  const clock = new ManualClock();
  const app: FastifyInstance = await buildApp({ config: parseConfig(config), store: ts.store, scrubber: ts.scrubber, clock, logger });
  return {
    app,
    ...ts,
    log,
    clock,
    done: async () => {
      await app.close();
      await ts.cleanup();
    },
  };
}
