import type { Plan } from '../runner/playbook.js';
import type { Store } from '../store/store.js';
import type { IncidentRecord } from './postmortem.js';

/** Everything a post-mortem is rendered from, read from the store; undefined for an unknown id. */
export async function readIncidentRecord(store: Store, incidentId: string): Promise<IncidentRecord | undefined> {
  const incident = await store.getIncident(incidentId);
  if (!incident) return undefined;
  const [steps, timeline, signals, plan] = await Promise.all([store.listStepRuns(incidentId), store.listTimeline(incidentId), store.listSignals({ incidentId }), store.getPlan(incidentId) as Promise<Plan | undefined>]);
  const budgets = Object.fromEntries([...(plan?.steps ?? []), ...(plan?.onFailure ?? [])].map((s) => [s.id, s.timeoutMs]));
  return { incident, steps, timeline, signals, budgets };
}
