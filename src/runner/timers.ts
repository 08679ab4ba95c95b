import type { WorkItem } from '../store/store.js';
import { completeRecord } from './execute.js';
import { STEP_DEFAULTS, type PlanStep } from './playbook.js';
import { has } from './progress.js';
import { runStep } from './run-step.js';
import type { Session } from './session.js';
import type { TimerPayload } from './step-context.js';

/**
 * Runs the step a due timer (a `step-timer` work item) carries, under the incident's lease,
 * journaled like any step, so a crash mid-way re-runs it with the same key and a re-claimed
 * item does not run its step twice. True once the step has ended for good (succeeded, or
 * failed on every attempt); false when it must be tried again later (paused, lease lost).
 */
export async function fireTimer(s: Session, item: WorkItem): Promise<boolean> {
  const p = item.payload as unknown as TimerPayload;
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
    s.env.logger.error({ incidentId: s.incident.id, timer: item.id }, `timer step ${step.id} failed ${end.attempts} times; giving up`);
    await s.timeline('timer.failed', `${step.id} failed ${end.attempts} times and will not be retried: ${end.error}`, { timerId: item.id, step: step.id });
  } else if (end.kind !== 'done') return false;
  const timeline = await s.store.listTimeline(s.incident.id);
  // The incident may be closed, so no drive() fills in what a crash kept off the timeline.
  await completeRecord(s, await s.store.listStepRuns(s.incident.id), timeline);
  // A crash after this entry but before the item is completed must not write it twice.
  if (!has(timeline, 'timer.fired', { timerId: item.id })) {
    await s.timeline('timer.fired', `timer ${item.kind} ${item.id} fired`, { timerId: item.id, step: step.id });
  }
  s.emit('timer.fired', { step: step.id });
  return true;
}
