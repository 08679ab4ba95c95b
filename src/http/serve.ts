import type { FastifyInstance } from 'fastify';
import { systemClock, type Clock } from '../core/clock.js';
import { Scrubber } from '../core/scrubber.js';
import type { Config } from '../config/schema.js';
import { openStore, redactUrl } from '../store/open.js';
import { buildApp } from './app.js';
import { createLogger } from './logger.js';

export interface Running {
  app: FastifyInstance;
  url: string;
  /** Stops taking requests, lets in-flight ones finish, closes the store. Idempotent. */
  shutdown(reason: string): Promise<void>;
}

/** Starts LeakGuard: store (migrated), HTTP app, graceful shutdown on SIGTERM/SIGINT. */
export async function serve(config: Config, opts: { clock?: Clock; handleSignals?: boolean } = {}): Promise<Running> {
  const scrubber = new Scrubber();
  const logger = createLogger(scrubber);
  const clock = opts.clock ?? systemClock;
  const store = await openStore({ url: config.store.url, scrubber });
  logger.info({ store: store.dialect, url: store.dialect === 'postgres' ? redactUrl(config.store.url) : config.store.url }, 'store ready');
  const app = await buildApp({ config, store, scrubber, clock, logger });
  const url = await app.listen({ host: config.server.host, port: config.server.port });

  let closing: Promise<void> | undefined;
  const shutdown = (reason: string) =>
    (closing ??= (async () => {
      logger.info({ reason }, 'shutting down: no new requests, finishing in-flight ones');
      const grace = setTimeout(() => {
        logger.error({ graceMs: config.server.shutdownGraceMs }, 'shutdown grace period over; exiting with work unfinished (it resumes at next start)');
        process.exit(1);
      }, config.server.shutdownGraceMs);
      grace.unref();
      await app.close();
      await store.close();
      clearTimeout(grace);
      logger.info('stopped');
    })());

  if (opts.handleSignals !== false) {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => void shutdown(sig).then(() => process.exit(0)));
  }
  return { app, url, shutdown };
}
