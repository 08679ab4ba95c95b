import type { Pause } from '../store/store.js';
import { runAttempt } from './execute-step.js';
import type { PlanStep } from './playbook.js';
import { progressOf } from './progress.js';
import type { Session } from './session.js';

/** How running a step ended; anything but done and exhausted means it is to be taken up again later. */
export type StepEnd =
  | { kind: 'done' }
  | { kind: 'exhausted'; attempts: number; error: string }
  | { kind: 'paused'; pause: Pause }
  | { kind: 'aborted' }
  | { kind: 'stopped' }
  | { kind: 'awaiting_approval' | 'waiting_for_human' };

/** The kill switch: a global pause, or one for the incident's credential. */
export async function activePause(s: Session): Promise<Pause | undefined> {
  return (await s.store.listPauses()).find((p) => p.scope === 'global' || p.scope === s.incident.credentialId);
}

/**
 * Runs one step to its end: every attempt its policy allows, with backoff between them, the
 * kill switch looked at before each attempt, and an operator abort or a lost lease ending it
 * at once. Where it stands is read from the journal, and the incident afresh, before each
 * attempt, so a re-run after a crash picks up the same attempt with the same key. Playbook steps, failure steps and timer
 * steps all run through here.
 */
export async function runStep(s: Session, step: PlanStep): Promise<StepEnd> {
  for (;;) {
    const runs = await s.store.listStepRuns(s.incident.id);
    const progress = progressOf(step, runs);
    if (progress.kind === 'done' || progress.kind === 'exhausted') return progress;
    const pause = await activePause(s);
    if (pause) return { kind: 'paused', pause };
    // A retry sees the incident as it is now (e.g. a target recorded after the first attempt).
    s.incident = (await s.store.getIncident(s.incident.id)) ?? s.incident;
    const backoff = progress.notBefore - s.clock.now();
    if (backoff > 0) await s.clock.sleep(backoff, AbortSignal.any([s.lost, s.operator.signal])).catch(() => {});
    if (s.lost.aborted) return { kind: 'stopped' };
    if (s.operator.signal.aborted) return { kind: 'aborted' };
    if (!s.incident.target && !s.env.responders[step.step]?.beforeTarget) await targetRead(s);
    const result = await runAttempt(s, step, progress.attempt, progress.interrupted, runs);
    if (result === 'stopped' || result === 'awaiting_approval' || result === 'waiting_for_human') return { kind: result };
  }
}

/** How long a step waits for the target read of an incident just opened; past it, the step runs and says the target is missing. */
const TARGET_WAIT_MS = 60_000;
const TARGET_LOOK_MS = 25;

/**
 * Waits while the incident's target is still being read: the incident row is written before
 * the target so that a freeze never waits for Secrets Manager, and a runner may claim it in
 * between (its `incident.opened` entry says `targetPending`). Ends when the read has ended,
 * recorded (incident.target) or failed (incident.target_incomplete), or after TARGET_WAIT_MS
 * (an opener that died mid-read); the step then sees the incident as it is.
 */
async function targetRead(s: Session): Promise<void> {
  const until = s.clock.now() + TARGET_WAIT_MS;
  const stop = AbortSignal.any([s.lost, s.operator.signal]);
  for (;;) {
    const timeline = await s.store.listTimeline(s.incident.id);
    const pending = timeline.some((e) => e.type === 'incident.opened' && e.data.targetPending === true) && !timeline.some((e) => e.type === 'incident.target' || e.type === 'incident.target_incomplete');
    if (!pending || s.clock.now() >= until || stop.aborted) break;
    await s.clock.sleep(TARGET_LOOK_MS, stop).catch(() => {});
  }
  s.incident = (await s.store.getIncident(s.incident.id)) ?? s.incident;
}
