import { ConfigError } from '../config/load.js';
import { RulesError } from '../engine/parse.js';
import type { Config } from '../config/schema.js';
import { createLeakGuard, type LeakGuard, type LeakGuardDeps } from '../leakguard.js';

export interface Running {
  leakguard: LeakGuard;
  url: string;
  /** Stops taking requests, hands running steps back (they resume on the next start), closes the store. Idempotent. */
  shutdown(reason: string): Promise<void>;
}

export interface ServeOptions extends LeakGuardDeps {
  handleSignals?: boolean;
}

/** A start that failed: what failed, in words an operator can act on; nothing is left running. */
export class StartError extends Error {
  constructor(message: string, cause: unknown) {
    super(message, { cause });
    this.name = 'StartError';
  }
}

/**
 * Starts LeakGuard: builds it (store migrated, clients), listens, and only then lets the
 * runner act (it resumes every unfinished incident) and checks every credential in the
 * background. A start that fails stops what it started and throws a StartError naming the cause.
 */
export async function serve(config: Config, opts: ServeOptions = {}): Promise<Running> {
  let leakguard: LeakGuard;
  try {
    leakguard = await createLeakGuard(config, opts);
  } catch (err) {
    // A config that cannot serve is the operator's to fix (exit 2), not a failed start.
    if (err instanceof ConfigError || err instanceof RulesError) throw err;
    throw new StartError(`LeakGuard could not start: ${(err as Error).message}`, err);
  }
  const { app, logger } = leakguard;
  let url: string;
  try {
    url = await app.listen({ host: config.server.host, port: config.server.port });
  } catch (err) {
    await leakguard.close(0);
    throw new StartError(listenFailure(err, config.server), err);
  }
  // Detectors start in the background: a failing one is logged and shown in /readyz, the rest run.
  void leakguard.start();

  let closing: Promise<void> | undefined;
  const shutdown = (reason: string) =>
    (closing ??= (async () => {
      logger.info({ reason }, 'shutting down: no new requests, handing running steps back');
      const grace = setTimeout(() => {
        logger.error({ graceMs: config.server.shutdownGraceMs }, 'shutdown grace period over; exiting with work unfinished (it resumes at next start)');
        process.exit(1);
      }, config.server.shutdownGraceMs);
      grace.unref();
      await leakguard.close(Math.min(config.server.shutdownGraceMs / 2, 5_000));
      clearTimeout(grace);
      logger.info('stopped');
    })());

  if (opts.handleSignals !== false) {
    for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => void shutdown(sig).then(() => process.exit(0)));
  }
  return { leakguard, url, shutdown };
}

function listenFailure(err: unknown, server: Config['server']): string {
  const at = `${server.host}:${server.port}`;
  switch ((err as NodeJS.ErrnoException).code) {
    case 'EADDRINUSE':
      return `cannot listen on ${at}: the port is in use (EADDRINUSE); stop the process holding it or choose another port (server.port, LEAKGUARD_PORT)`;
    case 'EACCES':
      return `cannot listen on ${at}: permission denied (EACCES); ports below 1024 need privileges, choose a higher port (server.port, LEAKGUARD_PORT)`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${at}: no such address on this host (EADDRNOTAVAIL); set server.host (LEAKGUARD_HOST) to an address of this host, or 0.0.0.0`;
    default:
      return `cannot listen on ${at}: ${(err as Error).message}`;
  }
}
