import type { FastifyInstance } from 'fastify';
import { checkCredentials } from '../checks/credentials.js';
import { systemClock, type Clock } from '../core/clock.js';
import { Scrubber } from '../core/scrubber.js';
import type { Config } from '../config/schema.js';
import { createClients, type ClientDeps } from '../integrations/clients.js';
import { Runner } from '../runner/runner.js';
import { openStore, redactUrl } from '../store/open.js';
import { responders } from '../../responders/registry.js';
import { buildApp } from './app.js';
import { createLogger } from './logger.js';

export interface Running {
  app: FastifyInstance;
  runner: Runner;
  url: string;
  /** Stops taking requests, hands running steps back (they resume on the next start), closes the store. Idempotent. */
  shutdown(reason: string): Promise<void>;
}

export interface ServeOptions {
  clock?: Clock;
  handleSignals?: boolean;
  /** Tests: how the clients reach the simulators. */
  clientDeps?: Omit<ClientDeps, 'clock' | 'scrubber' | 'logger'>;
}

/**
 * Starts LeakGuard: store (migrated), clients, the runner (which resumes every unfinished
 * incident), the HTTP app, the startup check of every credential in the background, and a
 * graceful shutdown on SIGTERM/SIGINT.
 */
export async function serve(config: Config, opts: ServeOptions = {}): Promise<Running> {
  const scrubber = new Scrubber();
  const logger = createLogger(scrubber);
  const clock = opts.clock ?? systemClock;
  const store = await openStore({ url: config.store.url, scrubber });
  logger.info({ store: store.dialect, url: store.dialect === 'postgres' ? redactUrl(config.store.url) : config.store.url }, 'store ready');
  const clients = createClients(config, { clock, scrubber, logger, ...opts.clientDeps });
  const runner = new Runner({ store, responders, clock, clients: { ...clients }, logger, credentials: (id) => config.credentials.find((c) => c.id === id) });
  runner.start();
  const app = await buildApp({ config, store, scrubber, clock, logger });
  const url = await app.listen({ host: config.server.host, port: config.server.port });

  // The check never holds the start up: a leak must be answered even if one credential is misconfigured.
  void checkCredentials(config.credentials, clients)
    .then((problems) => {
      for (const p of problems) logger.error({ credential: p.credentialId }, `startup check: ${p.credentialId}: ${p.problem}`);
      if (!problems.length) logger.info({ credentials: config.credentials.length }, 'startup check passed');
    })
    .catch((err: unknown) => logger.error({ err }, 'startup check failed to run'));

  let closing: Promise<void> | undefined;
  const shutdown = (reason: string) =>
    (closing ??= (async () => {
      logger.info({ reason }, 'shutting down: no new requests, handing running steps back');
      const grace = setTimeout(() => {
        logger.error({ graceMs: config.server.shutdownGraceMs }, 'shutdown grace period over; exiting with work unfinished (it resumes at next start)');
        process.exit(1);
      }, config.server.shutdownGraceMs);
      grace.unref();
      await app.close();
      await runner.stop(Math.min(config.server.shutdownGraceMs / 2, 5_000));
      await store.close();
      clients.close();
      clearTimeout(grace);
      logger.info('stopped');
    })());

  if (opts.handleSignals !== false) {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => void shutdown(sig).then(() => process.exit(0)));
  }
  return { app, runner, url, shutdown };
}
