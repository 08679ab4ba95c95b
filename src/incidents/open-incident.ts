import { randomUUID } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { Credential } from '../core/credential.js';
import { fingerprint, keyHint } from '../core/fingerprint.js';
import type { Actor, Incident, IncidentTarget } from '../core/incident.js';
import type { LeakGuardClients } from '../integrations/clients.js';
import type { Plan } from '../runner/playbook.js';
import type { Store } from '../store/store.js';

export interface OpenIncidentRequest {
  credential: Credential;
  plan: Plan;
  reason: string;
  actor: Actor;
  dryRun?: boolean;
  signalIds?: string[];
  /** The Secrets Manager version the signal matched; AWSCURRENT when absent. */
  targetVersionId?: string;
  /**
   * The request is stronger than the credential's active incident (the rules decide what is
   * stronger): its plan replaces the running one, keeping what is done. Else it only attaches.
   */
  escalate?: boolean;
  /** Written to the timeline with the opening or attaching entry: the rule that decided and its signals. */
  decision?: Record<string, unknown>;
  /** Opens waiting for an operator (the kill switch was on when it was decided); the plan carries the approval gate. */
  awaitingApproval?: boolean;
}

export interface OpenIncidentDeps {
  store: Store;
  clock: Clock;
  clients: Pick<LeakGuardClients, 'secrets' | 'exchanges'>;
}

/**
 * Opens the incident for a credential, or attaches the request to its active incident. The row
 * is written first, so the runner can freeze the bot even when Secrets Manager is down; then the
 * target is read while the key still works (fingerprint, hint, VersionId, permissions, IPs): the
 * version the signal matched, AWSCURRENT when it names none. Every step acts on this record and
 * never re-reads AWSCURRENT (which may hold the new key by then). A target that cannot be read
 * is said on the timeline, with why; the steps that need it fail with what to do.
 */
export async function openIncident(deps: OpenIncidentDeps, req: OpenIncidentRequest, signal?: AbortSignal, opened: (incidentId: string) => void = () => {}): Promise<{ incident: Incident; created: boolean }> {
  const existing = await deps.store.getActiveIncident(req.credential.id);
  let { incident, created } = existing
    ? { incident: existing, created: false }
    : await deps.store.openIncident({ id: randomUUID(), credentialId: req.credential.id, dryRun: req.dryRun ?? false, reason: req.reason, target: null, plan: req.plan, at: deps.clock.now() });
  if (created && req.awaitingApproval) incident = await deps.store.updateIncident(incident.id, { state: 'awaiting_approval', at: deps.clock.now() });
  for (const id of req.signalIds ?? []) await deps.store.attachSignal(id, incident.id);
  await deps.store.appendTimeline({
    incidentId: incident.id,
    at: deps.clock.now(),
    actor: req.actor,
    type: created ? 'incident.opened' : 'incident.signal_attached',
    message: created ? `${req.plan.playbook} for ${req.credential.id}: ${req.reason}` : `more evidence for the running ${incident.playbook}: ${req.reason}`,
    // targetPending: the steps that act on the target wait until incident.target or incident.target_incomplete follows.
    data: { playbook: req.plan.playbook, signalIds: req.signalIds ?? [], dryRun: incident.dryRun, ...(req.decision ? { decision: req.decision } : {}), ...(created ? { targetPending: true } : {}) },
  });
  if (!created) return { incident, created };
  try {
    const target = await readTarget(deps, req.credential, req.targetVersionId, signal);
    incident = await deps.store.updateIncident(incident.id, { target, at: deps.clock.now() });
    await deps.store.appendTimeline({ incidentId: incident.id, at: deps.clock.now(), actor: 'system:incidents', type: 'incident.target', message: `target: key ${target.keyHint} (version ${target.versionId})`, data: { target } });
  } catch (err) {
    const why = (err as Error).message;
    await deps.store.appendTimeline({
      incidentId: incident.id,
      at: deps.clock.now(),
      actor: 'system:incidents',
      type: 'incident.target_incomplete',
      message: `the target key could not be read from ${req.credential.secretId}: ${why}; steps that need it (cancel, revoke, rotate) fail until it is known: fix access to Secrets Manager, then open the response again`,
      data: { secretId: req.credential.secretId, error: why },
    });
  }
  // Woken once the target is settled, so the first steps see it; an outage that holds the read up
  // does not hold the freeze up: the runners' poll claims the incident meanwhile.
  opened(incident.id);
  return { incident, created };
}

/** What the key is, read now; a key the exchange no longer answers for keeps what Secrets Manager knows. */
async function readTarget(deps: OpenIncidentDeps, credential: Credential, versionId: string | undefined, signal?: AbortSignal): Promise<IncidentTarget> {
  const current = await deps.clients.secrets.readKey(credential.secretId, versionId ? { versionId } : {}, signal);
  const target: IncidentTarget = { fingerprint: fingerprint(current.secret.api_key), keyHint: keyHint(current.secret.api_key_id), versionId: current.versionId };
  const exchange = deps.clients.exchanges.exchangeFor(credential);
  if (exchange.capabilities.queryKey === 'api') {
    try {
      const info = await exchange.describeKey(current.material, signal ? { signal } : {});
      target.permissions = info.permissions;
      target.ips = info.ips;
    } catch (err) {
      // Already revoked or otherwise dead: the response goes on; rotate falls back to the config.
      target.describeError = (err as Error).message;
    }
  }
  return target;
}
