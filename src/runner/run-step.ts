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
    const result = await runAttempt(s, step, progress.attempt, progress.interrupted, runs);
    if (result === 'stopped' || result === 'awaiting_approval' || result === 'waiting_for_human') return { kind: result };
  }
}
