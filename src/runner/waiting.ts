import type { IncidentState } from '../core/incident.js';
import { approved, pendingApprovals } from './progress.js';
import type { Session } from './session.js';

/**
 * Thrown through a responder when it must wait for a person: the step is left `running` in
 * the journal (not failed), the incident parks, and the step is re-run with the same key once
 * the wait is over, when its request returns instead of throwing.
 */
export class WaitingError extends Error {
  constructor(readonly state: Extract<IncidentState, 'awaiting_approval' | 'waiting_for_human'>, what: string) {
    super(`waiting: ${what}`);
    this.name = 'WaitingError';
  }
}

/**
 * The approval gate of one step (from the plan or asked by the step itself). Requests it
 * once; grants it on its own once the auto-approve time has come. True when granted.
 */
export async function approvalGate(s: Session, step: string, req: { reason: string; autoApproveAfterMs?: number }): Promise<boolean> {
  const [timeline, requests] = await Promise.all([s.store.listTimeline(s.incident.id), s.store.listRequests(s.incident.id)]);
  if (approved(requests, step)) return true;
  const now = s.clock.now();
  const pending = pendingApprovals(timeline, requests).find((p) => p.step === step);
  if (!pending) {
    const autoApproveAt = req.autoApproveAfterMs === undefined ? null : now + req.autoApproveAfterMs;
    const when = autoApproveAt === null ? 'until an operator approves' : `until an operator approves, or on its own at ${new Date(autoApproveAt).toISOString()}`;
    await s.timeline('approval.requested', `${step} waits for approval ${when}: ${req.reason}`, { step, reason: req.reason, autoApproveAt });
    return false;
  }
  if (pending.autoApproveAt !== null && pending.autoApproveAt <= now) {
    await s.store.addRequest({ incidentId: s.incident.id, kind: 'approve', step, actor: 'system:auto-approve', reason: 'nobody answered in time', at: now });
    await s.timeline('approval.granted', `${step} approved automatically: nobody answered in time`, { step, auto: true }, 'system:auto-approve');
    return true;
  }
  return false;
}
