import type { Timer } from '../store/store.js';
import { STEP_DEFAULTS, type PlanStep } from './playbook.js';
import { has } from './progress.js';
import { runStep } from './run-step.js';
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
  // Waiting for people is for playbook steps: a timer step that asks, like a paused one, is tried again later.
  const end = await runStep(s, step);
  if (end.kind === 'exhausted') {
    s.env.logger.error({ incidentId: s.incident.id, timer: timer.id }, `timer step ${step.id} failed ${end.attempts} times; giving up`);
    await s.timeline('timer.failed', `${step.id} failed ${end.attempts} times and will not be retried: ${end.error}`, { timerId: timer.id, step: step.id });
  } else if (end.kind !== 'done') return false;
  // A crash after this entry but before the mark must not write it twice.
  if (!has(await s.store.listTimeline(s.incident.id), 'timer.fired', { timerId: timer.id })) {
    await s.timeline('timer.fired', `timer ${timer.kind} ${timer.id} fired`, { timerId: timer.id, step: step.id });
  }
  await s.store.markTimerFired(timer.id, s.fence.holder, s.clock.now());
  s.emit('timer.fired', { step: step.id });
  return true;
}
