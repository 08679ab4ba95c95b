import type { PlaybookName } from '../../src/core/incident.js';
import type { Plan } from '../../src/runner/playbook.js';
import { systemClock, type Clock } from '../../src/core/clock.js';
import type { Credential } from '../../src/core/credential.js';
import { createLeakGuard, type LeakGuard } from '../../src/leakguard.js';
import type { ResponderRegistry } from '../../src/runner/responder.js';
import type { Runner, RunnerOptions } from '../../src/runner/runner.js';
import type { RunnerEvent } from '../../src/runner/session.js';
import { playbookPlan } from '../../responders/playbooks.js';
import { startE2E, type E2E } from '../helpers/e2e.js';
import { eventually } from '../helpers/runner-child.js';
import { sqliteStore, type TestStore } from '../helpers/stores.js';
import { WORLD } from '../sim/world.js';
import type { WorldOptions } from '../sim/world.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** Step settings that keep end-to-end runs short on real time (never asserted on). */
export const FAST_STEPS: Record<string, Record<string, unknown>> = {
  freeze: { pollMs: 50 },
  cancel: { pollMs: 100 },
  restore: { pollMs: 50 },
  verify: { pollMs: 100, activationWaitMs: 10_000 },
  monitor: { windowMs: 500 },
  assess: { timeBoxMs: 2_000, logSampleMs: 200 },
};

/** A playbook's default plan with FAST_STEPS merged into its params (and into its failure steps). */
export function fastPlan(name: PlaybookName, tweak: (plan: Plan) => void = () => {}): Plan {
  const plan = playbookPlan(name);
  for (const s of [...plan.steps, ...(plan.onFailure ?? [])]) s.params = { ...FAST_STEPS[s.step], ...s.params, ...(s.step === 'monitor' ? FAST_STEPS.monitor : {}) };
  tweak(plan);
  return plan;
}

/**
 * The simulator world with the simulated bot, LeakGuard's real clients and responders, a real
 * SQLite store and a runner on the system clock: what the playbook tests run against.
 */
export async function responderWorld(t: Teardown, opts: Pick<WorldOptions, 'delivery'> & Pick<Parameters<typeof startE2E>[0] & object, 'config' | 'exchanges'> & { runnerClock?: Clock; responders?: ResponderRegistry } = {}) {
  const e2e: E2E = await startE2E({ replicas: 3, podStartMs: 300, tradeEveryMs: 100, ...opts });
  const ts: TestStore = await sqliteStore(e2e.scrubber);
  const events: RunnerEvent[] = [];
  const hooks: ((e: RunnerEvent) => void)[] = [];
  /** Credentials by id: the world's own, and any a test adds (addCredential). */
  const credentials = new Map<string, Credential>([[e2e.credential.id, e2e.credential]]);
  const clock = opts.runnerClock ?? systemClock;
  const leakguards: LeakGuard[] = [];
  /** A LeakGuard on this store (or `store`) and these clients, not started; a second one stands for a restarted process. */
  const newLeakGuard = async (more: Partial<RunnerOptions> = {}): Promise<LeakGuard> => {
    const { store = ts.store, ...runner } = more;
    const lg = await createLeakGuard(e2e.config, {
      store,
      clients: e2e.clients,
      scrubber: e2e.scrubber,
      logger: e2e.logger,
      clock,
      ...(opts.responders ? { responders: opts.responders } : {}),
      runner: {
        credentials: (id) => credentials.get(id),
        pollMs: 50,
        leaseTtlMs: 5_000,
        onEvent: (e) => {
          events.push(e);
          for (const h of hooks) h(e);
        },
        ...runner,
      },
    });
    leakguards.push(lg);
    return lg;
  };
  const newRunner = async (more: Partial<RunnerOptions> = {}): Promise<Runner> => (await newLeakGuard(more)).runner;
  const first = await newLeakGuard();
  const { runner, incidents, app } = first;
  t.teardown(async () => {
    for (const lg of leakguards) await lg.close(0);
    await ts.cleanup();
    await e2e.close();
  });
  const { world } = e2e;
  const open = async (plan: Plan, more: { dryRun?: boolean; credential?: Credential } = {}) => {
    const { incident } = await incidents.open({ credential: e2e.credential, plan, reason: 'test', actor: 'system:test', ...more });
    return incident;
  };
  const addCredential = (c: Credential) => void credentials.set(c.id, c);
  const waitForState = (id: string, states: string[], timeoutMs = 60_000) =>
    eventually(async () => {
      const i = await ts.store.getIncident(id);
      return i && states.includes(i.state) ? i : undefined;
    }, `incident ${id} in ${states.join('/')}`, timeoutMs);
  /** Open, with the bot trading on its first key. */
  const botTrading = (hint: string) => eventually(async () => (world.bot.placedWith(hint) > 0 ? true : undefined), `the bot trading on ${hint}`);
  const botPods = () => world.kubernetes.pods(WORLD.namespace, WORLD.selector).filter((p) => !(p.metadata as { deletionTimestamp?: string }).deletionTimestamp);
  return { ...e2e, ...ts, clock, lg: first, runner, incidents, app, newRunner, credentials, addCredential, events, hooks, open, waitForState, botTrading, botPods };
}

/** Every secret the world holds (key ids and secrets), to prove none reached the store, the timeline or the log. */
export function worldSecrets(e2e: Pick<E2E, 'world'>): string[] {
  return e2e.world.bybit.keys().flatMap((k) => [k.apiKey, k.secret]);
}

export type ResponderWorld = Awaited<ReturnType<typeof responderWorld>>;

/** Why an incident ended where it did: its failures and state changes, for assertion messages. */
export async function why(env: Pick<ResponderWorld, 'store'>, id: string): Promise<string> {
  return (await env.store.listTimeline(id)).filter((e) => e.type === 'step.failed' || e.type === 'incident.state_changed').map((e) => e.message).join('\n');
}
