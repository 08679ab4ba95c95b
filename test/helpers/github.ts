import { randomBytes } from 'node:crypto';
import type { Signal } from '../../src/core/signal.js';
import { createLeakGuard, type LeakGuard } from '../../src/leakguard.js';
import type { WorkItem } from '../../src/store/store.js';
import type { WorkOutcome } from '../../src/queue/worker.js';
import type { Hook } from '../sim/github/index.js';
import { WORLD } from '../sim/world.js';
import { e2eConfig, startE2E, type E2E } from './e2e.js';
import { sqliteStore, type TestStore } from './stores.js';

type Teardown = { teardown(fn: () => unknown): void };

export const WEBHOOK_SECRET_ID = 'prod/leakguard/github-webhook';
export const TOKEN_SECRET_ID = 'prod/leakguard/github-token';

/** Waits on what LeakGuard tells (signals stored, work items ended): never on time. */
export function watch(lg: LeakGuard, ended: { item: WorkItem; outcome: WorkOutcome }[]) {
  const signals: Signal[] = [];
  lg.intake.events.on('signal', (s, created) => created && signals.push(s));
  const waiters = new Set<() => void>();
  const poke = () => waiters.forEach((w) => w());
  lg.intake.events.on('signal', poke);
  const until = <T>(check: () => T | undefined): Promise<T> =>
    new Promise((resolve) => {
      const look = () => {
        const v = check();
        if (v !== undefined) {
          waiters.delete(look);
          resolve(v);
        }
      };
      waiters.add(look);
      look();
    });
  return {
    signals,
    /** The first stored signal the predicate accepts (stored now or later). */
    signal: (pred: (s: Signal) => boolean) => until(() => signals.find(pred)),
    /** Resolves once `n` runs of work items of this kind have ended with the outcome. */
    ended: (kind: string, outcome: WorkOutcome, n = 1) => until(() => (ended.filter((e) => e.item.kind === kind && e.outcome === outcome).length >= n ? true : undefined)),
    poke,
  };
}

export interface GitHubSetup {
  e2e: E2E;
  ts: TestStore;
  lg: LeakGuard;
  url: string;
  hook: Hook;
  webhookSecret: string;
  w: ReturnType<typeof watch>;
  /** Builds and starts a LeakGuard on the same store and world (after a stop or a kill). */
  restart(): Promise<LeakGuard>;
}

/**
 * The world with the GitHub detector on: LeakGuard listens on a port, the organisation's webhook
 * points at it (JSON, signed with a secret kept in Secrets Manager), REST access is a classic token
 * with repo and admin:org_hook (kept there too), unless `api: false`. `server` is merged into the server section.
 */
export async function githubSetup(t: Teardown, opts: { api?: boolean; github?: Record<string, unknown>; server?: Record<string, unknown>; start?: boolean } = {}): Promise<GitHubSetup> {
  const e2e = await startE2E();
  t.teardown(() => e2e.close());
  const ts = await sqliteStore(e2e.scrubber);
  t.teardown(() => ts.cleanup());
  const webhookSecret = `whsec_${randomBytes(16).toString('hex')}`;
  e2e.world.secretsManager.seedSecret({ name: WEBHOOK_SECRET_ID, secretString: webhookSecret });
  e2e.world.secretsManager.seedSecret({ name: TOKEN_SECRET_ID, secretString: e2e.world.githubToken });
  const config = e2eConfig(e2e.world, 'direct', {
    ...(opts.server ? { server: { egressIps: [WORLD.leakguardIp], ...opts.server } } : {}),
    detectors: {
      github: {
        enabled: true,
        webhookSecret: { secretsManager: WEBHOOK_SECRET_ID },
        ...(opts.api === false ? {} : { api: { baseUrl: e2e.world.urls.github, token: { secretsManager: TOKEN_SECRET_ID } } }),
        organizations: [{ login: WORLD.githubOrg }],
        ...opts.github,
      },
    },
  });
  const ended: { item: WorkItem; outcome: WorkOutcome }[] = [];
  let current: ReturnType<typeof watch> | undefined;
  const build = async (port: number) => {
    const lg = await createLeakGuard(config, {
      store: ts.store,
      clients: e2e.clients,
      scrubber: e2e.scrubber,
      logger: e2e.logger,
      runner: { pollMs: 200, onWork: (item, outcome) => (ended.push({ item, outcome }), current?.poke()) },
    });
    t.teardown(() => lg.close(0));
    await lg.app.listen({ host: '127.0.0.1', port });
    return lg;
  };
  let lg = await build(0);
  const port = (lg.app.server.address() as { port: number }).port;
  const url = `http://127.0.0.1:${port}/webhooks/github`;
  const hook = e2e.world.github.addHook({ org: WORLD.githubOrg, url, secret: webhookSecret });
  current = watch(lg, ended);
  if (opts.start !== false) await lg.start();
  const setup: GitHubSetup = {
    e2e,
    ts,
    lg,
    url,
    hook,
    webhookSecret,
    w: current,
    async restart() {
      lg = await build(port);
      setup.lg = lg;
      current = watch(lg, ended);
      setup.w = current;
      await lg.start();
      return lg;
    },
  };
  return setup;
}
