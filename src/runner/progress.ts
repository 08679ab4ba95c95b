import type { StepRun, TimelineEntry } from '../core/incident.js';
import type { OperatorRequest } from '../store/store.js';
import type { PlanStep } from './playbook.js';

/**
 * Where a step stands, read from the journal alone (so it is the same after a crash):
 * - done: its last run succeeded or was skipped;
 * - run: start (or re-run) `attempt`; an interrupted run keeps its attempt and key,
 *   a failed one is retried with attempt+1 no earlier than `notBefore` (backoff);
 * - exhausted: it failed on every attempt its retry policy allows.
 */
export type StepProgress =
  | { kind: 'done' }
  | { kind: 'run'; attempt: number; interrupted: boolean; notBefore: number }
  | { kind: 'exhausted'; attempts: number; error: string };

export function progressOf(step: Pick<PlanStep, 'id' | 'retries' | 'backoffMs' | 'retriesSince'>, runs: readonly StepRun[]): StepProgress {
  const mine = runs.filter((r) => r.step === step.id).sort((a, b) => a.attempt - b.attempt);
  const last = mine.at(-1);
  if (!last) return { kind: 'run', attempt: 1, interrupted: false, notBefore: 0 };
  if (last.status === 'succeeded' || last.status === 'skipped') return { kind: 'done' };
  if (last.status === 'running') return { kind: 'run', attempt: last.attempt, interrupted: true, notBefore: 0 };
  // Attempt numbers go on across an escalation (they key the journal); only the failures since count.
  const failures = step.retriesSince === undefined ? last.attempt : mine.filter((r) => r.status === 'failed' && r.startedAt >= step.retriesSince!).length;
  if (failures > step.retries) return { kind: 'exhausted', attempts: failures, error: last.error ?? 'failed' };
  if (failures === 0) return { kind: 'run', attempt: last.attempt + 1, interrupted: false, notBefore: 0 };
  const backoff = step.backoffMs * 2 ** (failures - 1);
  return { kind: 'run', attempt: last.attempt + 1, interrupted: false, notBefore: (last.finishedAt ?? 0) + backoff };
}

/** Timeline look-ups the runner and src/incidents both need. */
export function has(timeline: readonly TimelineEntry[], type: string, match: Record<string, unknown> = {}): boolean {
  return timeline.some((e) => e.type === type && Object.entries(match).every(([k, v]) => e.data[k] === v));
}

/** An operator's abort of the incident, if there is one. */
export function abortRequest(requests: readonly OperatorRequest[]): OperatorRequest | undefined {
  return requests.find((r) => r.kind === 'abort');
}

export interface PendingApproval {
  step: string;
  reason: string;
  autoApproveAt: number | null;
}

/** Whether the step's approval was granted (by an operator, or on its own when nobody answered in time). */
export function approved(requests: readonly OperatorRequest[], step: string): boolean {
  return requests.some((r) => r.kind === 'approve' && r.step === step);
}

/** Approvals the runner asked for (on its timeline) without a grant yet, oldest first. */
export function pendingApprovals(timeline: readonly TimelineEntry[], requests: readonly OperatorRequest[]): PendingApproval[] {
  return timeline
    .filter((e) => e.type === 'approval.requested' && !approved(requests, String(e.data.step)))
    .map((e) => ({ step: String(e.data.step), reason: String(e.data.reason ?? ''), autoApproveAt: typeof e.data.autoApproveAt === 'number' ? e.data.autoApproveAt : null }));
}
