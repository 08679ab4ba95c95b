import type { StepRun } from '../core/incident.js';
import type { PlanStep } from './playbook.js';
import type { StepOutcome } from './responder.js';
import type { Session } from './session.js';
import { stepContext } from './step-context.js';
import { WaitingError } from './waiting.js';

export type AttemptResult = 'succeeded' | 'failed' | 'awaiting_approval' | 'waiting_for_human' | 'stopped';

class StepTimeoutError extends Error {
  constructor(step: PlanStep) {
    super(`${step.id} ran out of its time budget of ${step.timeoutMs} ms`);
    this.name = 'StepTimeoutError';
  }
}

/**
 * One attempt of one step: journal its start, put it on the timeline, run it within its time
 * budget, then journal and put on the timeline its outcome and outputs. A holder that lost its
 * lease (or is shutting down) writes no outcome: the journal row stays `running` and the
 * next holder re-runs the step with the same key.
 */
export async function runAttempt(s: Session, step: PlanStep, attempt: number, interrupted: boolean, runs: readonly StepRun[]): Promise<AttemptResult> {
  const key = { incidentId: s.incident.id, step: step.id, attempt };
  const responder = s.env.responders[step.step];
  await s.store.startStep({ ...key, at: s.clock.now() }, s.fence);
  s.emit('step.journal.started', { step: step.id, attempt });
  const how = interrupted ? 're-run after an interruption, same idempotency key' : attempt > 1 ? `retry ${attempt - 1}` : 'first attempt';
  await s.timeline('step.started', `${step.id} started (${how})`, { step: step.id, responder: step.step, attempt, interrupted, dryRun: s.incident.dryRun });
  s.emit('step.started', { step: step.id, attempt });

  const budget = new AbortController();
  const signal = AbortSignal.any([s.lost, s.operator.signal, budget.signal]);
  s.clock.sleep(step.timeoutMs, signal).then(
    () => budget.abort(new StepTimeoutError(step)),
    () => {},
  );
  let outcome: StepOutcome;
  try {
    if (!responder) throw new Error(`no responder named ${step.step}`);
    // The race lets the runner move on when the budget is spent even if a step ignores its signal.
    outcome = await Promise.race([responder.run(stepContext(s, step, key, signal, runs), step.params), rejectOnAbort(signal)]);
  } catch (err) {
    if (err instanceof WaitingError && !signal.aborted) return err.state;
    if (s.lost.aborted) return 'stopped';
    const reason = budget.signal.aborted ? (budget.signal.reason as Error) : s.operator.signal.aborted ? new Error('aborted by an operator') : err;
    outcome = { status: 'failed', message: reason instanceof Error ? reason.message : String(reason) };
  } finally {
    budget.abort();
  }

  const failed = outcome.status === 'failed';
  const error = failed ? (outcome.message ?? 'failed') : null;
  const outputs = outcome.outputs ?? {};
  await s.store.finishStep({ ...key, status: outcome.status, at: s.clock.now(), outputs, error }, s.fence);
  s.emit('step.journal.finished', { step: step.id, attempt });
  await s.timeline(
    failed ? 'step.failed' : 'step.finished',
    failed ? `${step.id} failed (attempt ${attempt}): ${error}` : `${step.id} ${outcome.status}${outcome.message ? `: ${outcome.message}` : ''}`,
    { step: step.id, attempt, status: outcome.status, outputs, message: outcome.message ?? null, error },
  );
  s.emit('step.finished', { step: step.id, responder: step.step, attempt });
  return failed ? 'failed' : 'succeeded';
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
