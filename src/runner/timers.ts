import type { Timer } from '../store/store.js';
import { runAttempt } from './execute-step.js';
import { STEP_DEFAULTS, type PlanStep } from './playbook.js';
import { has, progressOf } from './progress.js';
import type { Session } from './session.js';
import type { TimerPayload } from './step-context.js';

/**
 * Runs the step a due timer carries, under the incident's lease, journaled like any step
 * (so a crash mid-way re-runs it with the same key), then marks the timer fired. The store's
 * claim keeps other replicas off it meanwhile; the journal keeps a re-claimed timer from
 * running its step twice. Returns false when it must be tried again later.
 */
export async function fireTimer(s: Session, timer: Timer): Promise<boolean> {
  const p = timer.payload as unknown as TimerPayload;
  const step: PlanStep = {
    id: p.step,
    step: p.responder,
    params: p.params ?? {},
    timeoutMs: p.timeoutMs ?? STEP_DEFAULTS.timeoutMs,
    retries: p.retries ?? STEP_DEFAULTS.retries,
    backoffMs: STEP_DEFAULTS.backoffMs,
  };
  // The kill switch holds timers too; the claim lapses and the timer is tried again after the resume.
  const paused = (await s.store.listPauses()).some((x) => x.scope === 'global' || x.scope === s.incident.credentialId);
  if (paused) return false;
  for (;;) {
    const runs = await s.store.listStepRuns(s.incident.id);
    const progress = progressOf(step, runs);
    if (progress.kind === 'done') break;
    if (progress.kind === 'exhausted') {
      s.env.logger.error({ incidentId: s.incident.id, timer: timer.id }, `timer step ${step.id} failed ${progress.attempts} times; giving up`);
      await s.timeline('timer.failed', `${step.id} failed ${progress.attempts} times and will not be retried: ${progress.error}`, { timerId: timer.id, step: step.id });
      break;
    }
    const wait = progress.notBefore - s.clock.now();
    if (wait > 0) await s.clock.sleep(wait, s.lost).catch(() => {});
    if (s.lost.aborted) return false;
    const result = await runAttempt(s, step, progress.attempt, progress.interrupted, runs);
    // Waiting for people is for playbook steps; a timer step that asks is tried again later.
    if (result === 'stopped' || result === 'awaiting_approval' || result === 'waiting_for_human') return false;
  }
  // A crash after this entry but before the mark must not write it twice.
  if (!has(await s.store.listTimeline(s.incident.id), 'timer.fired', { timerId: timer.id })) {
    await s.timeline('timer.fired', `timer ${timer.kind} ${timer.id} fired`, { timerId: timer.id, step: step.id });
  }
  await s.store.markTimerFired(timer.id, s.fence.holder, s.clock.now());
  s.emit('timer.fired', { step: step.id });
  return true;
}
