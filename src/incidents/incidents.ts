import type { Clock } from '../core/clock.js';
import { isActive, type Actor, type Incident } from '../core/incident.js';
import { pendingApprovals, progressOf } from '../runner/progress.js';
import { parsePlan, validatePlan, type Plan } from '../runner/playbook.js';
import type { ResponderRegistry } from '../runner/responder.js';
import type { HumanTask, Store } from '../store/store.js';
import type { Credential } from '../core/credential.js';
import type { Scrubber } from '../core/scrubber.js';
import { completeTask } from './complete-task.js';
import { IncidentError } from './errors.js';
import { offboard, type OffboardRequest, type Offboarded } from './offboard.js';
import { ROTATIONS_WORK, type RotationBatch } from './rotations.js';
import { openIncident, type OpenIncidentDeps, type OpenIncidentRequest } from './open-incident.js';

export interface IncidentsDeps {
  store: Store;
  clock: Clock;
  responders: ResponderRegistry;
  clients: OpenIncidentDeps['clients'];
  credentials: (credentialId: string) => Credential | undefined;
  /** Key material in a task's completion is registered here first. */
  scrubber: Scrubber;
  /** Tells the runners there is something to act on: an incident (new, or an operator's request for it), or, without an id, anything. */
  wake?: (incidentId?: string) => void;
}

/**
 * The one owner of incidents (DESIGN.md): opening, attaching signals, escalating, operator
 * requests, human tasks, offboarding. Each request is recorded (timeline, audit, or its own
 * row) and the runner holding the incident acts on it at the next step boundary, so no
 * request races a step; the runners are woken at once.
 */
export class Incidents {
  private readonly store: Store;
  private readonly clock: Clock;

  constructor(private readonly deps: IncidentsDeps) {
    this.store = deps.store;
    this.clock = deps.clock;
  }

  /**
   * Opens the credential's incident, or attaches to the active one (open-incident.ts); a
   * stronger request (`escalate`) also replaces its plan, whatever state it waits in.
   */
  async open(req: OpenIncidentRequest, signal?: AbortSignal): Promise<{ incident: Incident; created: boolean; escalated: boolean }> {
    const { incident, created } = await openIncident(this.deps, req, signal, (id) => this.#wake(id));
    if (created || !req.escalate || incident.playbook === req.plan.playbook) return { incident, created, escalated: false };
    await this.escalate(incident.id, req.plan, req.actor, req.reason);
    return { incident: (await this.store.getIncident(incident.id)) ?? incident, created, escalated: true };
  }

  /** An incident a person declared (the API): opened or attached like any other, and audited with who asked. */
  async declare(req: OpenIncidentRequest): Promise<{ incident: Incident; created: boolean; escalated: boolean }> {
    const out = await this.open(req);
    await this.store.appendAudit({ at: this.clock.now(), actor: req.actor, action: out.created ? 'incident.declared' : 'incident.declared_attached', target: out.incident.id, data: { credentialId: req.credential.id, playbook: req.plan.playbook, reason: req.reason, dryRun: req.dryRun ?? false } });
    return out;
  }

  /**
   * Tries again a step that failed on every attempt (the incident waits in needs_attention):
   * its earlier failures no longer count against its retries, as after an escalation.
   */
  async retry(incidentId: string, actor: Actor, step?: string): Promise<string> {
    const incident = await this.#active(incidentId);
    const plan = parsePlan(await this.store.getPlan(incidentId));
    const runs = await this.store.listStepRuns(incidentId);
    const failed = [...plan.steps, ...(plan.onFailure ?? [])].filter((s) => progressOf(s, runs).kind === 'exhausted').map((s) => s.id);
    const target = step ?? failed[0];
    if (!target || !failed.includes(target)) {
      throw new IncidentError('conflict', `incident ${incidentId} (${incident.state}) has ${failed.length ? `only ${failed.join(', ')} failed` : 'no failed step'}${step ? `, not ${step}` : ''}; retry a step that failed on every attempt`);
    }
    const at = this.clock.now();
    const fresh = (steps: Plan['steps']) => steps.map((s) => (s.id === target ? { ...s, retriesSince: at } : s));
    const next: Plan = { ...plan, steps: fresh(plan.steps), ...(plan.onFailure ? { onFailure: fresh(plan.onFailure) } : {}) };
    await this.store.updateIncident(incidentId, { plan: next, at });
    await this.#record(incidentId, actor, 'incident.retry_requested', `${target} is tried again`, { step: target });
    this.#wake(incidentId);
    return target;
  }

  /**
   * Rolls the credential of a finished incident back (the rollback playbook, `plan`): a new
   * incident, recorded on both. Refused while the credential has an active incident: abort it first.
   */
  async rollback(incidentId: string, plan: Plan, actor: Actor, reason: string): Promise<Incident> {
    const of = await this.store.getIncident(incidentId);
    if (!of) throw new IncidentError('not_found', `no incident ${incidentId}`);
    const credential = this.deps.credentials(of.credentialId);
    if (!credential) throw new IncidentError('invalid', `credential ${of.credentialId} is not in the config any more; roll back by hand`);
    const active = await this.store.getActiveIncident(of.credentialId);
    if (active) throw new IncidentError('conflict', `credential ${of.credentialId} has an active incident ${active.id} (${active.state}); abort it or wait for its end, then roll back`);
    const { incident } = await this.open({ credential, plan, reason: `rollback of incident ${incidentId}: ${reason}`, actor });
    await this.#record(incidentId, actor, 'incident.rollback_requested', `rolled back by incident ${incident.id}: ${reason}`, { rollbackIncidentId: incident.id, reason });
    return incident;
  }

  /**
   * A bulk rotation: queued durably and run with at most `maxConcurrent` rotations at once
   * (rotations.ts); audited with every credential it covers.
   */
  async rotateMany(batch: RotationBatch): Promise<void> {
    const at = this.clock.now();
    await this.store.enqueueWork({ id: `${ROTATIONS_WORK}:${batch.batchId}`, kind: ROTATIONS_WORK, payload: { ...batch }, runAt: at, at });
    await this.store.appendAudit({ at, actor: batch.actor, action: 'rotations.requested', target: batch.batchId, data: { ...batch } });
  }

  /** An audit entry for a change the API made through another owner (a manual signal to the intake). */
  async audit(actor: Actor, action: string, target: string, data: Record<string, unknown>): Promise<void> {
    await this.store.appendAudit({ at: this.clock.now(), actor, action, target, data });
  }

  /** One rotation per credential the person had access to (offboard.ts). */
  async offboard(req: OffboardRequest, signal?: AbortSignal): Promise<Offboarded[]> {
    const out = await offboard(this.deps, req, signal);
    this.#wake();
    return out;
  }

  /**
   * Completes a human task with exactly the fields its kind takes; a new key goes to Secrets
   * Manager, never to the store (complete-task.ts). The waiting step then finishes with it.
   */
  async completeTask(taskId: string, actor: Actor, data: Record<string, unknown> = {}): Promise<HumanTask> {
    return completeTask(
      { ...this.deps, secrets: this.deps.clients.secrets, record: (...entry) => this.#record(...entry), wake: (id) => this.#wake(id) },
      taskId,
      actor,
      data,
    );
  }

  /** Stops the incident at the next step boundary; a running step's signal is aborted by its runner. */
  async abort(incidentId: string, actor: Actor, reason: string): Promise<void> {
    const incident = await this.#active(incidentId);
    const { created } = await this.store.addRequest({ incidentId: incident.id, kind: 'abort', step: null, actor, reason, at: this.clock.now() });
    if (!created) return;
    await this.#record(incident.id, actor, 'incident.abort_requested', reason, { reason });
    this.#wake(incidentId);
  }

  /** `scope` is "global" or a credential id. Paused incidents finish their current step and wait. */
  async pause(scope: string, actor: Actor, reason: string): Promise<void> {
    await this.store.setPause({ scope, actor, reason, at: this.clock.now() });
    await this.#inScope(scope, actor, 'incident.pause_requested', `pause (${scope}): ${reason}`, { scope, reason });
  }

  async resume(scope: string, actor: Actor, reason?: string): Promise<void> {
    if (!(await this.store.listPauses()).some((p) => p.scope === scope)) throw new IncidentError('conflict', `automation is not paused for ${scope}`);
    await this.store.clearPause(scope);
    await this.#inScope(scope, actor, 'incident.resume_requested', `resume (${scope})${reason ? `: ${reason}` : ''}`, { scope, ...(reason ? { reason } : {}) });
    this.#wake();
  }

  /** Grants every approval the incident waits for. */
  async approve(incidentId: string, actor: Actor): Promise<string[]> {
    const incident = await this.#active(incidentId);
    const pending = pendingApprovals(await this.store.listTimeline(incidentId), await this.store.listRequests(incidentId));
    if (!pending.length) throw new IncidentError('conflict', `incident ${incidentId} is not waiting for an approval (state ${incident.state})`);
    for (const p of pending) {
      await this.store.addRequest({ incidentId, kind: 'approve', step: p.step, actor, reason: `approved by ${actor}`, at: this.clock.now() });
      await this.#record(incidentId, actor, 'approval.granted', `${p.step} approved`, { step: p.step, auto: false });
    }
    this.#wake(incidentId);
    return pending.map((p) => p.step);
  }

  /**
   * Attaches signals to an incident (active, or finished within a rule's cooldown) and records
   * why on its timeline: more evidence, acted on by nothing.
   */
  async attach(incidentId: string, signalIds: readonly string[], actor: Actor, reason: string, data: Record<string, unknown> = {}): Promise<void> {
    for (const id of signalIds) await this.store.attachSignal(id, incidentId);
    await this.store.appendTimeline({ incidentId, at: this.clock.now(), actor, type: 'incident.signal_attached', message: `more evidence, nothing new to do: ${reason}`, data: { ...data, signalIds: [...signalIds], reason } });
  }

  /**
   * Replaces the plan with a stronger one; the runner switches at the next step boundary and keeps
   * every step already done. `ifPlan` makes it a compare-and-set on the plan the caller decided
   * against: PlanChangedError when another replica changed it first.
   */
  async escalate(incidentId: string, plan: Plan, actor: Actor, reason = 'escalated', opts: { ifPlan?: unknown; data?: Record<string, unknown> } = {}): Promise<void> {
    const incident = await this.#active(incidentId);
    const errors = validatePlan(plan, this.deps.responders);
    if (errors.length) throw new IncidentError('invalid', `the playbook cannot run: ${errors.join('; ')}`);
    // What the weaker plan gave up on is tried again: needs_attention is not the end of a stronger response.
    const at = this.clock.now();
    const fresh = (steps: Plan['steps']) => steps.map((s) => ({ ...s, retriesSince: at }));
    const next: Plan = { ...plan, steps: fresh(plan.steps), ...(plan.onFailure ? { onFailure: fresh(plan.onFailure) } : {}) };
    await this.store.updateIncident(incidentId, { plan: next, at, ...(opts.ifPlan !== undefined ? { ifPlan: opts.ifPlan } : {}) });
    await this.#record(incidentId, actor, 'incident.escalated', `escalated from ${incident.playbook} to ${plan.playbook}: ${reason}`, {
      ...opts.data,
      from: incident.playbook,
      to: plan.playbook,
      steps: plan.steps.map((s) => s.id),
      reason,
    });
    this.#wake(incidentId);
  }

  /**
   * Moves the credential's active incident to needs_attention with the reason (a rotation outside
   * the runner failed); an incident already there only gets the reason on its timeline. Null when
   * the credential has no active incident.
   */
  async needsAttention(credentialId: string, actor: Actor, reason: string): Promise<string | null> {
    const incident = await this.store.getActiveIncident(credentialId);
    if (!incident) return null;
    await this.#record(incident.id, actor, 'incident.state_changed', reason, { from: incident.state, to: 'needs_attention', reason });
    if (incident.state !== 'needs_attention') await this.store.updateIncident(incident.id, { state: 'needs_attention', at: this.clock.now() });
    this.#wake(incident.id);
    return incident.id;
  }

  #wake(incidentId?: string): void {
    this.deps.wake?.(incidentId);
  }

  async #active(incidentId: string): Promise<Incident> {
    const incident = await this.store.getIncident(incidentId);
    if (!incident) throw new IncidentError('not_found', `no incident ${incidentId}`);
    if (!isActive(incident.state)) throw new IncidentError('conflict', `incident ${incidentId} is already ${incident.state}`);
    return incident;
  }

  async #inScope(scope: string, actor: Actor, type: string, message: string, data: Record<string, unknown>): Promise<void> {
    const incidents = await this.store.listIncidents({ active: true, ...(scope === 'global' ? {} : { credentialId: scope }), limit: 1000 });
    await this.store.appendAudit({ at: this.clock.now(), actor, action: type, target: scope, data });
    for (const i of incidents) await this.store.appendTimeline({ incidentId: i.id, at: this.clock.now(), actor, type, message, data });
  }

  async #record(incidentId: string, actor: Actor, type: string, message: string, data: Record<string, unknown>): Promise<void> {
    await this.store.appendAudit({ at: this.clock.now(), actor, action: type, target: incidentId, data });
    await this.store.appendTimeline({ incidentId, at: this.clock.now(), actor, type, message, data });
  }
}
