import type { Clock } from '../core/clock.js';
import type { Credential } from '../core/credential.js';
import type { Actor, Decision, PlaybookName, Severity } from '../core/incident.js';
import type { Signal } from '../core/signal.js';
import { decide, longestLookBackMs, longestWindowMs, STRENGTH, type CredentialState, type Outcome } from '../engine/evaluate.js';
import type { Rule } from '../engine/rules.js';
import type { WorkHandler } from '../queue/worker.js';
import { parsePlan, type Plan } from '../runner/playbook.js';
import { PlanChangedError, type Store } from '../store/store.js';
import type { Incidents } from './incidents.js';

/** The responders that change the key itself: while one runs, LeakGuard's own doing explains auth errors. */
const KEY_CHANGING = new Set(['rotate', 'promote', 'revoke']);
/** Another replica may open or escalate between the read and the write: decide again on what it wrote, this often at most. */
const MAX_DECISIONS = 5;

export interface DecideDeps {
  store: Store;
  clock: Clock;
  rules: readonly Rule[];
  incidents: Pick<Incidents, 'open' | 'escalate' | 'attach' | 'audit'>;
  credentials: (credentialId: string) => Credential | undefined;
  plan: (playbook: PlaybookName) => Plan;
  /** Tells people (Slack, the log): an `alert` rule, which acts on nothing. */
  alert(text: string, severity: Severity): void;
}

/**
 * The engine's seat in the data flow (DESIGN.md): the work handler of a stored signal. It reads
 * the credential's state, asks the pure engine, and carries out the outcome through Incidents,
 * then audits the decision with its rule. A write that finds the state changed under it (an
 * incident another replica opened, a plan it escalated) is decided again on the new state,
 * so signals decided at once on several replicas give one incident, at the strongest playbook.
 */
export function decideHandler(deps: DecideDeps): WorkHandler {
  const windowMs = longestWindowMs(deps.rules);
  const lookBackMs = longestLookBackMs(deps.rules);

  const stateOf = async (credential: Credential, signal: Signal, now: number): Promise<{ state: CredentialState; plan: unknown; done: Set<string> }> => {
    const { store } = deps;
    const [window, active, finished, pauses] = await Promise.all([
      windowMs ? store.listSignals({ credentialId: credential.id, since: signal.receivedAt - windowMs, limit: 1000 }) : Promise.resolve([]),
      store.getActiveIncident(credential.id),
      store.listIncidents({ credentialId: credential.id, active: false, limit: 50 }),
      store.listPauses(),
    ]);
    let plan: unknown;
    let changingKey = false;
    const done = new Set<string>();
    if (active) {
      const [stored, runs] = await Promise.all([store.getPlan(active.id), store.listStepRuns(active.id)]);
      plan = stored;
      const responderOf = new Map(parsePlan(stored).steps.map((s) => [s.id, s.step]));
      changingKey = runs.some((r) => r.status === 'running' && KEY_CHANGING.has(responderOf.get(r.step) ?? ''));
      for (const r of runs) if (r.status === 'succeeded' || r.status === 'skipped') done.add(r.step);
    }
    const state: CredentialState = {
      credential: { id: credential.id, tags: credential.tags },
      window: window.filter((s) => s.id !== signal.id),
      active: active ? { id: active.id, playbook: active.playbook, changingKey } : null,
      recent: finished
        .filter((i) => i.closedAt !== null && i.closedAt >= now - lookBackMs)
        .map((i) => ({ id: i.id, playbook: i.playbook, closedAt: i.closedAt!, ...(i.target?.versionId ? { versionId: i.target.versionId } : {}) })),
      paused: pauses.some((p) => p.scope === 'global' || p.scope === credential.id),
    };
    return { state, plan, done };
  };

  /** Carries the outcome out; false when the state changed under it and the signal must be decided again. */
  const act = async (outcome: Outcome, signal: Signal, credential: Credential, storedPlan: unknown, done: Set<string>): Promise<boolean> => {
    const { incidents } = deps;
    const actor: Actor = 'system:engine';
    switch (outcome.action) {
      case 'open': {
        const { decision } = outcome;
        const plan = decision.needsApproval ? gated(deps.plan(decision.playbook), decision, done) : deps.plan(decision.playbook);
        const { incident, created } = await incidents.open({
          credential,
          plan,
          reason: decision.reason,
          actor,
          signalIds: decision.signalIds,
          ...(signal.match?.versionId ? { targetVersionId: signal.match.versionId } : {}),
          decision: recordOf(decision),
          awaitingApproval: decision.needsApproval,
        });
        if (created && outcome.paused) deps.alert(`${decision.reason}: incident ${incident.id} (${decision.playbook} for ${credential.id}) waits for an operator to approve it`, decision.severity);
        // Someone opened one since the read, and open attached the signals to it: decide again only if that one is weaker.
        return created || STRENGTH[incident.playbook] >= STRENGTH[decision.playbook];
      }
      case 'escalate': {
        const { decision } = outcome;
        try {
          // A paused incident waits anyway; a rule that asks for approval gates the first step the stronger plan still has to run.
          const plan = decision.needsApproval && !outcome.paused ? gated(deps.plan(decision.playbook), decision, done) : deps.plan(decision.playbook);
          await incidents.escalate(outcome.incidentId, plan, actor, decision.reason, {
            ifPlan: storedPlan,
            data: { decision: recordOf(decision) },
          });
        } catch (err) {
          if (err instanceof PlanChangedError) return false;
          throw err;
        }
        await incidents.attach(outcome.incidentId, decision.signalIds, actor, decision.reason, { rule: decision.rule });
        if (outcome.paused) deps.alert(`${decision.reason}: incident ${outcome.incidentId} for ${credential.id} escalated from ${outcome.from} to ${decision.playbook}, and stays paused until an operator resumes it`, decision.severity);
        return true;
      }
      case 'attach':
        await incidents.attach(outcome.incidentId, [signal.id], actor, outcome.reason, { rule: outcome.rule });
        return true;
      case 'alert':
        if (outcome.incidentId) await incidents.attach(outcome.incidentId, outcome.signalIds, actor, outcome.reason, { rule: outcome.rule });
        deps.alert(`${outcome.reason} (credential ${credential.id}, signal ${signal.id}${outcome.incidentId ? `, incident ${outcome.incidentId}` : ''})`, outcome.severity);
        return true;
      case 'ignore':
        return true;
    }
  };

  return {
    async run(item) {
      const signalId = String(item.payload.signalId);
      const signal = await deps.store.getSignal(signalId);
      // Pruned by retention, or already attached by an earlier run that died before it finished the item.
      if (!signal || signal.incidentId) return 'done';
      const credential = signal.credentialId ? deps.credentials(signal.credentialId) : undefined;
      if (!credential) {
        await deps.incidents.audit('system:engine', 'signal.decided', signal.id, { action: 'ignore', rule: null, reason: signal.credentialId ? `credential ${signal.credentialId} is not in the config` : 'the signal matches no credential of ours' });
        return 'done';
      }
      for (let i = 0; i < MAX_DECISIONS; i++) {
        const now = deps.clock.now();
        const { state, plan, done } = await stateOf(credential, signal, now);
        const outcome = decide(deps.rules, signal, state, now);
        if (await act(outcome, signal, credential, plan, done)) {
          await deps.incidents.audit('system:engine', 'signal.decided', signal.id, auditOf(outcome, credential.id));
          return 'done';
        }
      }
      // Retried by the queue with backoff: the state kept changing under every decision.
      throw new Error(`signal ${signal.id} for ${credential.id}: the incident changed under ${MAX_DECISIONS} decisions in a row; it is decided again shortly`);
    },
  };
}

/** The decision as written on the timeline and in the audit. */
function recordOf(d: Decision): Record<string, unknown> {
  return { rule: d.rule, playbook: d.playbook, confidence: d.confidence, severity: d.severity, needsApproval: d.needsApproval, signalIds: d.signalIds, reason: d.reason };
}

function auditOf(outcome: Outcome, credentialId: string): Record<string, unknown> {
  const base = { action: outcome.action, credentialId };
  switch (outcome.action) {
    case 'open':
      return { ...base, ...recordOf(outcome.decision) };
    case 'escalate':
      return { ...base, incidentId: outcome.incidentId, from: outcome.from, ...recordOf(outcome.decision) };
    case 'attach':
      return { ...base, incidentId: outcome.incidentId, rule: outcome.rule, reason: outcome.reason };
    case 'alert':
      return { ...base, rule: outcome.rule, severity: outcome.severity, reason: outcome.reason, signalIds: outcome.signalIds, ...(outcome.incidentId ? { incidentId: outcome.incidentId } : {}) };
    case 'ignore':
      return { ...base, rule: outcome.rule, reason: outcome.reason };
  }
}

/** The plan with an approval gate before the first step not yet done (journal ids): its whole batch waits for an operator. */
function gated(plan: Plan, decision: Decision, done: ReadonlySet<string>): Plan {
  const first = plan.steps.findIndex((s) => !done.has(s.id));
  if (first < 0) return plan;
  return { ...plan, steps: plan.steps.map((s, i) => (i === first ? { ...s, approval: { reason: decision.reason } } : s)) };
}
