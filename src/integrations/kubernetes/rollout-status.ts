/** The parts of an apps/v1 Deployment that `kubectl rollout status` reads. */
export interface DeploymentLike {
  metadata?: { name?: string; generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: Array<{ type?: string; reason?: string; message?: string }>;
  };
}

export type RolloutState = { done: true; message: string } | { done: false; failed: boolean; message: string };

/**
 * kubectl's rollout-status decision for a Deployment, in its order: spec observed; progress
 * deadline exceeded is a failure; updated replicas; old replicas still there (they still
 * trade); updated replicas available.
 */
export function rolloutState(d: DeploymentLike): RolloutState {
  const name = d.metadata?.name ?? '?';
  const s = d.status ?? {};
  if ((d.metadata?.generation ?? 0) > (s.observedGeneration ?? 0)) return { done: false, failed: false, message: 'Waiting for deployment spec update to be observed...' };
  if (s.conditions?.some((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded')) return { done: false, failed: true, message: `deployment "${name}" exceeded its progress deadline` };
  const updated = s.updatedReplicas ?? 0;
  if (d.spec?.replicas !== undefined && updated < d.spec.replicas) return { done: false, failed: false, message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${d.spec.replicas} new replicas have been updated...` };
  if ((s.replicas ?? 0) > updated) return { done: false, failed: false, message: `Waiting for deployment "${name}" rollout to finish: ${(s.replicas ?? 0) - updated} old replicas are pending termination...` };
  if ((s.availableReplicas ?? 0) < updated) return { done: false, failed: false, message: `Waiting for deployment "${name}" rollout to finish: ${s.availableReplicas ?? 0} of ${updated} updated replicas are available...` };
  return { done: true, message: `deployment "${name}" successfully rolled out` };
}
