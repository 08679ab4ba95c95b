import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { ManualClock } from '../../src/core/clock.js';
import type { PlaybookName } from '../../src/core/incident.js';
import { buildPlan, type PlanStepInput } from '../../src/runner/playbook.js';
import type { Responder, ResponderRegistry } from '../../src/runner/responder.js';
import type { RunnerOptions } from '../../src/runner/runner.js';
import { parseConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/http/logger.js';
import { createLeakGuard, type LeakGuard } from '../../src/leakguard.js';
import type { Scrubber } from '../../src/core/scrubber.js';
import { captureLog } from './logs.js';
import type { RunnerEvent } from '../../src/runner/session.js';
import { recordingResponders } from '../runner/fixtures/responders.js';
import { BACKENDS, type TestStore } from './stores.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A logger that keeps its lines in memory: runner tests assert on events, not on the log. */
function quietLogger(scrubber: Scrubber) {
  return createLogger(scrubber, { level: 'warn', destination: captureLog().stream });
}

/** An in-process LeakGuard (not started) on a real store with a ManualClock; `record` writes effects into `dir`. */
export async function runnerSetup(t: Teardown, opts: { backend?: keyof typeof BACKENDS; responders?: ResponderRegistry; runner?: Partial<RunnerOptions> } = {}) {
  const ts: TestStore = await BACKENDS[opts.backend ?? 'sqlite']();
  const dir = mkdtempSync(join(tmpdir(), 'leakguard-runner-'));
  const clock = new ManualClock();
  const responders = { ...recordingResponders(dir), ...opts.responders };
  const events: RunnerEvent[] = [];
  const leakguards: LeakGuard[] = [];
  /** A LeakGuard (not started) on this store: its runner, standing for another replica or a restarted process. */
  const newRunner = async (holder: string, more: Partial<RunnerOptions> = {}) => {
    const lg = await createLeakGuard(parseConfig({}), { store: ts.store, clock, responders, logger: quietLogger(ts.scrubber), runner: { holder, leaseTtlMs: 15_000, onEvent: (e) => events.push(e), ...opts.runner, ...more } });
    leakguards.push(lg);
    return lg;
  };
  const first = await newRunner('r1');
  t.teardown(async () => {
    for (const lg of leakguards) await lg.close(0);
    await ts.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });
  const open = async (steps: PlanStepInput[], more: { dryRun?: boolean; credentialId?: string; playbook?: PlaybookName } = {}) => {
    const playbook = more.playbook ?? 'emergency';
    const { incident } = await ts.store.openIncident({
      id: randomUUID(),
      credentialId: more.credentialId ?? `cred-${randomUUID().slice(0, 8)}`,
      dryRun: more.dryRun ?? false,
      reason: 'test',
      target: null,
      plan: buildPlan(playbook, steps),
      at: clock.now(),
    });
    return incident.id;
  };
  return { ...ts, dir, clock, runner: first.runner, incidents: first.incidents, newRunner: async (holder: string, more?: Partial<RunnerOptions>) => (await newRunner(holder, more)).runner, events, open, responders };
}

/** Lets `p` settle while the clock moves forward in `stepMs` steps (with real pauses for I/O). */
export async function withTime<T>(clock: ManualClock, p: Promise<T>, stepMs = 100, maxMs = 10 * 60_000): Promise<T> {
  let settled = false;
  const done = p.finally(() => (settled = true));
  for (let moved = 0; !settled && moved <= maxMs; moved += stepMs) {
    await new Promise((r) => setTimeout(r, 2));
    if (!settled) await clock.advance(stepMs);
  }
  return done;
}

/** A promise a test resolves by hand, to hold a responder at a point. */
export function latch() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  let enter!: () => void;
  const entered = new Promise<void>((r) => (enter = r));
  return { open, opened, enter, entered };
}

/** Holds its step until the test opens the latch; honours its signal (abort, budget). */
export function holding() {
  const l = latch();
  const hold: Responder = {
    name: 'hold',
    params: { type: 'object' },
    async run(ctx) {
      l.enter();
      await Promise.race([
        l.opened,
        new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true })),
      ]);
      return { status: 'succeeded', outputs: { held: true } };
    },
  };
  return { hold, ...l };
}
