import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Config } from '../src/config/schema.js';
import type { Credential } from '../src/core/credential.js';
import type { PlaybookName } from '../src/core/incident.js';
import { PLAYBOOKS } from '../src/core/incident.js';
import { buildPlan, validatePlan, type Plan, type PlanStep, type PlanStepInput } from '../src/runner/playbook.js';
import type { Capabilities, ResponderNeeds, ResponderRegistry } from '../src/runner/responder.js';
import { responders as defaultResponders } from './registry.js';

/**
 * The default playbooks of DESIGN.md as data. Config (`playbooks.<name>.steps`) replaces a
 * playbook's steps; a step it leaves without a budget or retry policy gets its responder's
 * policy (the runbook's time budgets, in each responder's folder).
 */

interface PlaybookDef {
  steps: PlanStepInput[];
  onFailure?: PlanStepInput[];
}

/** Escalation of a rotation that failed before the old key was revoked: never back to a suspected key. */
const ESCALATE: PlanStepInput[] = [
  { step: 'freeze', params: { snapshotPositions: false } },
  { step: 'revoke', params: { key: 'new', unlessCurrent: true } },
  { step: 'notify', params: { severity: 'page' } },
];

const EMERGENCY: PlanStepInput[] = [
  { step: 'assess' },
  { step: 'rotate', params: { stage: 'AWSPENDING' } },
  { id: 'verify-pending', step: 'verify', params: { key: 'new', checks: ['key'] } },
  { step: 'promote', params: { to: 'new' } },
  { step: 'restore', params: { key: 'new' } },
  { id: 'verify', step: 'verify', params: { key: 'new', checks: ['key', 'pods'] } },
  { step: 'monitor', params: { windowMs: 120_000 } },
  { step: 'revoke', params: { key: 'target' } },
  { step: 'notify', params: { severity: 'info' } },
];

/**
 * Whether a playbook's incident suspects the key it targets. A scheduled rotation's old key and
 * a rollback's newer key are not suspected: a later rollback may return to them.
 */
export const SUSPECTS_TARGET: Record<PlaybookName, boolean> = {
  'break-glass': true,
  emergency: true,
  scheduled: false,
  offboarding: true,
  lockdown: true,
  rollback: false,
};

export const DEFAULT_PLAYBOOKS: Record<PlaybookName, PlaybookDef> = {
  // Containment first: freeze together with cancel on the leaked key, then revoke it at once.
  'break-glass': {
    steps: [
      // The revoke beside it takes the positions snapshot, while its key still works.
      { step: 'freeze', group: 'contain', params: { snapshotPositions: false } },
      // One pass: an attacker placing orders must not keep the leaked key alive; cancel-new confirms.
      // Its budget is short and it is not retried: the revoke waits for it, whatever its end.
      { step: 'cancel', group: 'contain', timeoutMs: 2_000, retries: 0, params: { key: 'target', untilNoneOpen: false } },
      // The leaked key dies right after its own cancel pass, while the pods still drain.
      { step: 'revoke', group: 'contain', after: 'cancel', params: { key: 'target' } },
      { step: 'rotate', params: { stage: 'AWSCURRENT' } },
      // A no-op after the rotate above; after an emergency escalated past its own rotate (AWSPENDING), the step that makes the new key current.
      { step: 'promote', params: { to: 'new' } },
      // Sweeps what was placed before the revoke landed; the old key cannot cancel any more.
      { id: 'cancel-new', step: 'cancel', params: { key: 'new' } },
      // Orders nobody's bot placed, still open after the revoke: someone else trades on the account.
      { step: 'restore', params: { key: 'new', approveForeignOrders: true } },
      { step: 'verify', params: { key: 'new', checks: ['key', 'pods', 'positions'] } },
      { step: 'notify', params: { severity: 'info' } },
    ],
    onFailure: [{ step: 'notify', params: { severity: 'page' } }],
  },
  emergency: { steps: EMERGENCY, onFailure: ESCALATE },
  scheduled: {
    steps: [
      { step: 'preflight' },
      ...EMERGENCY.filter((s) => s.step !== 'assess' && s.step !== 'revoke' && s.step !== 'notify'),
      // The old key is not suspected: it stays valid for a grace period, then a durable timer revokes
      // it, unless a rollback has made it AWSCURRENT again by then.
      { step: 'revoke', params: { key: 'target', afterMs: 86_400_000, unlessCurrent: true } },
      { step: 'notify', params: { severity: 'info' } },
    ],
    // The old key is not suspected: the secret and the bot go back to it, and the unused new key is deleted.
    onFailure: [
      { step: 'promote', params: { to: 'target' } },
      { step: 'restore', params: { key: 'target', ifSecretMoved: true } },
      { step: 'revoke', params: { key: 'new', unlessCurrent: true } },
      { step: 'notify', params: { severity: 'page' } },
    ],
  },
  // One incident per credential the person had access to, each an emergency rotation.
  offboarding: { steps: EMERGENCY, onFailure: ESCALATE },
  lockdown: {
    steps: [
      // Every sub-account key dies at once, an intruder's too. Positions are not read: the keys are going.
      { step: 'freeze', group: 'contain', params: { snapshotPositions: false } },
      { step: 'revoke', group: 'contain', params: { scope: 'account' } },
      // No key is left to cancel with: a fresh one sweeps the book and is deleted right after.
      { step: 'rotate', params: { stage: 'AWSPENDING', reason: 'lockdown: a key to cancel every open order with, deleted right after' } },
      { step: 'cancel', params: { key: 'new' } },
      { id: 'revoke-sweep-key', step: 'revoke', params: { key: 'new' } },
      {
        step: 'notify',
        params: { severity: 'page', message: "lockdown: the bot is frozen, every sub-account key LeakGuard can see is deleted and every open order is cancelled; a person must now delete the master account's other keys (a task follows)" },
      },
      // A master key deletes only itself: the master account's other keys are a person's task.
      { id: 'revoke-master-keys', step: 'revoke', params: { scope: 'masters' } },
    ],
    onFailure: [{ step: 'notify', params: { severity: 'page' } }],
  },
  rollback: {
    steps: [
      // A refusal is final (AWS calls retry inside the client); an operator may insist instead.
      { step: 'promote', retries: 0, params: { to: 'previous', suspecting: PLAYBOOKS.filter((p) => SUSPECTS_TARGET[p]) } },
      { step: 'restore', params: { key: 'promoted' } },
      { step: 'verify', params: { key: 'promoted', checks: ['key', 'pods'] } },
      // The incident's target is the newer key (AWSCURRENT when the rollback opened): now unused.
      { step: 'revoke', params: { key: 'target' } },
      { step: 'notify', params: { severity: 'info' } },
    ],
    onFailure: [{ step: 'notify', params: { severity: 'page' } }],
  },
};

/** The plan of a playbook: the default, or its override from config, with every step's budget and retries. */
export function playbookPlan(name: PlaybookName, overrides: Config['playbooks'] = {}, responders: ResponderRegistry = defaultResponders): Plan {
  const withPolicy = (s: PlanStepInput): PlanStepInput => ({ ...responders[s.step]?.policy, ...structuredClone(s) });
  const def = DEFAULT_PLAYBOOKS[name];
  const steps = (overrides[name]?.steps as PlanStepInput[] | undefined) ?? def.steps;
  return buildPlan(name, steps.map(withPolicy), (def.onFailure ?? []).map(withPolicy));
}

/**
 * Every step of every playbook (and override) that cannot work for a credential, as sentences
 * naming playbook, step, credential and what is missing: checked when LeakGuard starts, so a
 * leak never finds out. A step without a known responder is checkPlaybooks' to report.
 */
export function checkNeeds(overrides: Config['playbooks'], credentials: readonly Credential[], capabilitiesOf: (c: Credential) => Capabilities, responders: ResponderRegistry): string[] {
  const problems: string[] = [];
  for (const name of PLAYBOOKS) {
    const plan = playbookPlan(name, overrides, responders);
    for (const step of [...plan.steps, ...(plan.onFailure ?? [])]) {
      const needed = needsOf(step, responders).capabilities ?? [];
      for (const credential of credentials) {
        const capabilities = capabilitiesOf(credential);
        for (const op of needed.filter((op) => capabilities[op] !== 'api')) {
          problems.push(`playbooks.${name}: step ${step.id} (${step.step}) needs ${op} over the API, and credential ${credential.id}'s exchange ${credential.exchange} has it as ${capabilities[op] ?? 'nothing'}; change the playbook or the credential`);
        }
      }
    }
  }
  return problems;
}

function needsOf(step: PlanStep, responders: ResponderRegistry): ResponderNeeds {
  const needs = responders[step.step]?.needs;
  // A step's needs may follow its params, which the responder sees with their defaults.
  return typeof needs === 'function' ? needs(Value.Default(responders[step.step]!.params as TSchema, structuredClone(step.params))) : (needs ?? {});
}

/** Every problem of every playbook (and override) as sentences, for the config check at load time. */
export function checkPlaybooks(overrides: Config['playbooks'], responders: ResponderRegistry): string[] {
  const unknown = Object.keys(overrides).filter((n) => !(PLAYBOOKS as readonly string[]).includes(n)).map((n) => `playbooks.${n}: no such playbook (known: ${PLAYBOOKS.join(', ')})`);
  return [...unknown, ...PLAYBOOKS.flatMap((name) => validatePlan(playbookPlan(name, overrides, responders), responders).map((e) => `playbooks.${name}: ${e}`))];
}
