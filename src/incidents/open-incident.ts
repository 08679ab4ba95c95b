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
}

export interface OpenIncidentDeps {
  store: Store;
  clock: Clock;
  clients: Pick<LeakGuardClients, 'secrets' | 'exchanges'>;
}

/**
 * Opens the incident for a credential, recording its target while the key still works:
 * fingerprint, key hint, permissions, IPs and the Secrets Manager VersionId. Every step acts
 * on this record and never re-reads AWSCURRENT (which may hold the new key by then). When
 * the credential already has an active incident, the signals attach to it instead.
 */
export async function openIncident(deps: OpenIncidentDeps, req: OpenIncidentRequest, signal?: AbortSignal): Promise<{ incident: Incident; created: boolean }> {
  const existing = await deps.store.getActiveIncident(req.credential.id);
  const { incident, created } = existing
    ? { incident: existing, created: false }
    : await deps.store.openIncident({
        id: randomUUID(),
        credentialId: req.credential.id,
        dryRun: req.dryRun ?? false,
        reason: req.reason,
        target: await readTarget(deps, req.credential, signal),
        plan: req.plan,
        at: deps.clock.now(),
      });
  for (const id of req.signalIds ?? []) await deps.store.attachSignal(id, incident.id);
  await deps.store.appendTimeline({
    incidentId: incident.id,
    at: deps.clock.now(),
    actor: req.actor,
    type: created ? 'incident.opened' : 'incident.signal_attached',
    message: created ? `${req.plan.playbook} for ${req.credential.id}: ${req.reason}` : `more evidence for the running ${incident.playbook}: ${req.reason}`,
    data: { playbook: req.plan.playbook, target: incident.target, signalIds: req.signalIds ?? [], dryRun: incident.dryRun },
  });
  return { incident, created };
}

/** What the key is, read now; a key the exchange no longer answers for keeps what Secrets Manager knows. */
async function readTarget(deps: OpenIncidentDeps, credential: Credential, signal?: AbortSignal): Promise<IncidentTarget> {
  const current = await deps.clients.secrets.readKey(credential.secretId, {}, signal);
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
