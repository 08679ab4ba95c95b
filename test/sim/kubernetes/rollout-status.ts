import type { Deployment } from './deployments.js';

export interface RolloutStatus {
  done: boolean;
  /** Set when kubectl would exit 1 (the progress deadline passed). */
  error?: string;
  message: string;
}

/**
 * `kubectl rollout status` for a Deployment, in the order of the rules in
 * shared/fixtures/kubernetes/kubectl-rollout-rules.txt (section 2). Tests use it to check that the
 * status the simulator reports reads right to kubectl at every point of a rollout.
 */
export function kubectlRolloutStatus(d: Deployment): RolloutStatus {
  const name = d.metadata.name;
  const s = d.status ?? {};
  if ((d.metadata.generation ?? 0) > (s.observedGeneration ?? 0))
    return { done: false, message: 'Waiting for deployment spec update to be observed...' };
  if (s.conditions?.some((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded'))
    return { done: false, error: `deployment "${name}" exceeded its progress deadline`, message: `deployment "${name}" exceeded its progress deadline` };
  const updated = s.updatedReplicas ?? 0;
  const replicas = s.replicas ?? 0;
  const available = s.availableReplicas ?? 0;
  const waiting = `Waiting for deployment "${name}" rollout to finish: `;
  if (d.spec.replicas !== undefined && updated < d.spec.replicas)
    return { done: false, message: `${waiting}${updated} out of ${d.spec.replicas} new replicas have been updated...` };
  if (replicas > updated) return { done: false, message: `${waiting}${replicas - updated} old replicas are pending termination...` };
  if (available < updated) return { done: false, message: `${waiting}${available} of ${updated} updated replicas are available...` };
  return { done: true, message: `deployment "${name}" successfully rolled out` };
}
