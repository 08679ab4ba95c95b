import type { Clock } from '../core/clock.js';
import type { Credential } from '../core/credential.js';
import { fingerprint, keyHint } from '../core/fingerprint.js';
import type { Actor } from '../core/incident.js';
import type { SecretsClient } from '../integrations/aws/secrets.js';
import { IntegrationError } from '../integrations/errors.js';
import { IncidentError } from './errors.js';
import { parsePlan } from '../runner/playbook.js';
import type { HumanTask, Store } from '../store/store.js';

export interface CompleteTaskDeps {
  store: Store;
  clock: Clock;
  secrets: Pick<SecretsClient, 'writeKey'>;
  credentials: (credentialId: string) => Credential | undefined;
  /** The plain completion (Incidents): audits it, puts it on the timeline, wakes the runner. */
  tasks: { completeHumanTask(taskId: string, actor: Actor, data: Record<string, unknown>): Promise<HumanTask> };
}

/**
 * Completes a human task for the HTTP API. A confirmation that carries a new key (the rotate
 * task of an exchange without a key API, e.g. Binance) is written straight to Secrets Manager
 * as the version named after the task, which is the rotate step's token, so the step adopts
 * it; the task row, the timeline and the audit keep only its hint and fingerprint.
 */
export async function completeTask(deps: CompleteTaskDeps, taskId: string, actor: Actor, data: Record<string, unknown> = {}): Promise<HumanTask> {
  const { api_key, api_secret, ...rest } = data;
  if (api_key === undefined && api_secret === undefined) return deps.tasks.completeHumanTask(taskId, actor, rest);
  if (typeof api_key !== 'string' || typeof api_secret !== 'string' || !api_key || !api_secret) throw new IncidentError('invalid', 'a new key needs both api_key and api_secret, as strings');
  const task = await deps.store.getHumanTask(taskId);
  if (!task) throw new IncidentError('not_found', `no human task ${taskId}`);
  if (task.status !== 'open') throw new IncidentError('conflict', `human task ${taskId} is already ${task.status}`);
  const plan = parsePlan(await deps.store.getPlan(task.incidentId));
  const step = [...plan.steps, ...(plan.onFailure ?? [])].find((s) => s.id === task.step);
  if (step?.step !== 'rotate') throw new IncidentError('invalid', `task ${taskId} (${task.step}) takes no key; only a rotate step's task does: complete it without api_key and api_secret`);
  const incident = (await deps.store.getIncident(task.incidentId))!;
  const credential = deps.credentials(incident.credentialId);
  if (!credential) throw new IncidentError('invalid', `credential ${incident.credentialId} is not in the config; the key has nowhere to go`);

  const secret = {
    api_key,
    api_secret,
    api_key_id: api_key,
    created_at: new Date(deps.clock.now()).toISOString(),
    created_by: actor,
    rotation_reason: `${incident.playbook} (incident ${incident.id}), made by a person for task ${taskId}`,
  };
  let versionId: string;
  try {
    // AWSPENDING: the rotate step brings it to the stage its playbook asks for.
    versionId = await deps.secrets.writeKey(credential.secretId, taskId, secret, 'AWSPENDING');
  } catch (err) {
    if (err instanceof IntegrationError && err.kind === 'conflict') throw new IncidentError('conflict', `a different key was already stored for task ${taskId}; complete it with that key`);
    throw err;
  }
  return deps.tasks.completeHumanTask(taskId, actor, { ...rest, key: { versionId, keyHint: keyHint(api_key), fingerprint: fingerprint(api_key) } });
}
