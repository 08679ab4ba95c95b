import type { Credential } from '../core/credential.js';
import type { Actor } from '../core/incident.js';
import type { Plan } from '../runner/playbook.js';
import { openIncident, type OpenIncidentDeps } from './open-incident.js';

export interface OffboardRequest {
  /** As listed in credentials' `people` (e.g. an e-mail address). */
  person: string;
  actor: Actor;
  /** Every managed credential; those listing the person are rotated. */
  credentials: readonly Credential[];
  /** The offboarding playbook's plan (playbookPlan('offboarding', config.playbooks)). */
  plan: Plan;
}

export interface Offboarded {
  credentialId: string;
  incidentId: string;
  /** False when the credential already had an active incident; the request attached to it. */
  created: boolean;
}

/**
 * Offboarding: one emergency rotation per credential the person had access to, each its own
 * incident (DESIGN.md, "one response to one credential"). Audited once with the person and
 * every incident it opened.
 */
export async function offboard(deps: OpenIncidentDeps, req: OffboardRequest, signal?: AbortSignal): Promise<Offboarded[]> {
  const out: Offboarded[] = [];
  for (const credential of req.credentials.filter((c) => c.people.includes(req.person))) {
    const { incident, created } = await openIncident(deps, { credential, plan: req.plan, reason: `offboarding ${req.person}: rotate every key they had access to`, actor: req.actor }, signal);
    out.push({ credentialId: credential.id, incidentId: incident.id, created });
  }
  await deps.store.appendAudit({ at: deps.clock.now(), actor: req.actor, action: 'offboarding', target: req.person, data: { incidents: out } });
  return out;
}
