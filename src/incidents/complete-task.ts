import { Value } from '@sinclair/typebox/value';
import type { Clock } from '../core/clock.js';
import type { Credential } from '../core/credential.js';
import { fingerprint, keyHint } from '../core/fingerprint.js';
import type { Actor } from '../core/incident.js';
import type { Scrubber } from '../core/scrubber.js';
import type { SecretsClient } from '../integrations/aws/secrets.js';
import { IntegrationError } from '../integrations/errors.js';
import type { HumanTaskKind, ResponderRegistry } from '../runner/responder.js';
import type { HumanTask, Store } from '../store/store.js';
import { IncidentError } from './errors.js';
import { keyMaterial, type KeyMaterial } from './key-material.js';

export interface CompleteTaskDeps {
  store: Store;
  clock: Clock;
  scrubber: Scrubber;
  secrets: Pick<SecretsClient, 'writeKey'>;
  credentials: (credentialId: string) => Credential | undefined;
  /** Where the kinds of human task are listed (each responder's `tasks`). */
  responders: ResponderRegistry;
  /** The audit and timeline entry of a manual action (Incidents). */
  record(incidentId: string, actor: Actor, type: string, message: string, data: Record<string, unknown>): Promise<void>;
  wake(incidentId: string): void;
}

/** The fields of the key a `newKey` task carries. */
const KEY_FIELDS = ['api_key', 'api_secret'];

/**
 * Completes a human task with what the operator confirmed: exactly the fields of the task's
 * kind. Key material, under whatever name and however deep, is registered with the scrubber
 * before anything else, so no error, log line or row can hold it; a task that takes no key
 * refuses it. A new key (the rotate task of an exchange without a key API, e.g. Binance) is
 * written straight to Secrets Manager as the version named after the task, which is the rotate
 * step's token, so the step adopts it; the task row, the timeline and the audit keep only its
 * hint and fingerprint. The waiting step then finishes with the result.
 */
export async function completeTask(deps: CompleteTaskDeps, taskId: string, actor: Actor, data: Record<string, unknown> = {}): Promise<HumanTask> {
  const material = keyMaterial(data);
  for (const m of material) deps.scrubber.register(m.value);
  const task = await deps.store.getHumanTask(taskId);
  if (!task) throw new IncidentError('not_found', `no human task ${taskId}`);
  if (task.status !== 'open') throw new IncidentError('conflict', `human task ${taskId} is already ${task.status}`);
  const kind = await kindOf(deps, task);
  refuseUnlessFits(kind, task, data, material);
  const result = kind.newKey ? await storeNewKey(deps, task, actor, data) : data;
  const done = await deps.store.completeHumanTask(taskId, actor, result, deps.clock.now());
  if (!done) throw new IncidentError('conflict', `human task ${taskId} was completed meanwhile`);
  await deps.record(task.incidentId, actor, 'human_task.completed', `${task.step}: task done`, { taskId, step: task.step, kind: kind.name, data: result });
  deps.wake(task.incidentId);
  return done;
}

/** The kind the task was opened with: its creation entry names it. */
async function kindOf(deps: CompleteTaskDeps, task: HumanTask): Promise<HumanTaskKind> {
  const created = (await deps.store.listTimeline(task.incidentId)).find((e) => e.type === 'human_task.created' && e.data.taskId === task.id);
  const name = created?.data.kind;
  const kind = Object.values(deps.responders)
    .flatMap((r) => r.tasks ?? [])
    .find((k) => k.name === name);
  if (!kind) throw new IncidentError('invalid', `task ${task.id} (${task.step}) is of kind ${typeof name === 'string' ? name : '(none recorded)'}, which no responder of this LeakGuard lists, so what it takes is unknown; abort the incident and finish by hand`);
  return kind;
}

function refuseUnlessFits(kind: HumanTaskKind, task: HumanTask, data: Record<string, unknown>, material: KeyMaterial[]): void {
  const takes = `it takes ${fieldsOf(kind)} and nothing else`;
  const stray = material.filter((m) => !(kind.newKey && KEY_FIELDS.includes(m.path)));
  if (stray.length) {
    const where = stray.map((m) => (/^[\w.-]{1,64}$/.test(m.path) ? m.path : '(a field)')).join(', ');
    throw new IncidentError(
      'invalid',
      kind.newKey
        ? `task ${task.id} (${task.step}) got key material in ${where}, which it does not take; it was stored nowhere: ${takes}, the key in api_key and api_secret`
        : `task ${task.id} (${task.step}) takes no key, and ${where} holds key material; it was stored nowhere: ${takes}. A new key goes only to a rotate task`,
    );
  }
  // Names the caller made up are counted, not echoed: one could be a secret.
  const unknown = Object.keys(data).filter((name) => !(name in kind.fields.properties));
  const problems = [
    ...(unknown.length ? [`${unknown.length} field(s) it does not take`] : []),
    ...[...Value.Errors(kind.fields, data)].filter((e) => !unknown.includes(e.path.split('/')[1] ?? '')).map((e) => `${e.path || '/'}: ${e.message}`),
  ];
  if (problems.length) throw new IncidentError('invalid', `task ${task.id} (${task.step}) is a ${kind.name} task: ${takes}; ${problems.join('; ')}`);
}

function fieldsOf(kind: HumanTaskKind): string {
  const required = new Set(kind.fields.required ?? []);
  const names = Object.keys(kind.fields.properties);
  const must = names.filter((n) => required.has(n));
  const may = names.filter((n) => !required.has(n));
  return [must.join(', '), may.length ? `optionally ${may.join(', ')}` : ''].filter(Boolean).join(' and ') || 'no field';
}

/** Writes the new key to Secrets Manager (AWSPENDING; the rotate step brings it to the stage its playbook asks for); returns what the row may keep. */
async function storeNewKey(deps: CompleteTaskDeps, task: HumanTask, actor: Actor, data: Record<string, unknown>): Promise<Record<string, unknown>> {
  const { api_key, api_secret, ...rest } = data as { api_key: string; api_secret: string };
  const incident = (await deps.store.getIncident(task.incidentId))!;
  const credential = deps.credentials(incident.credentialId);
  if (!credential) throw new IncidentError('invalid', `credential ${incident.credentialId} is not in the config; the key has nowhere to go`);
  const secret = {
    api_key,
    api_secret,
    api_key_id: api_key,
    created_at: new Date(deps.clock.now()).toISOString(),
    created_by: actor,
    rotation_reason: `${incident.playbook} (incident ${incident.id}), made by a person for task ${task.id}`,
  };
  let versionId: string;
  try {
    versionId = await deps.secrets.writeKey(credential.secretId, task.id, secret, 'AWSPENDING');
  } catch (err) {
    if (err instanceof IntegrationError && err.kind === 'conflict') throw new IncidentError('conflict', `a different key was already stored for task ${task.id}; complete it with that key`);
    throw err;
  }
  return { ...rest, key: { versionId, keyHint: keyHint(api_key), fingerprint: fingerprint(api_key) } };
}
