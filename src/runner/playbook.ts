import { Ajv, type ValidateFunction } from 'ajv';
import type { PlaybookName } from '../core/incident.js';
import type { ResponderRegistry } from './responder.js';

/**
 * A playbook is data: ordered steps, stored as the incident's plan. The runner's progress
 * lives in the journal (step runs) by step id, so a replaced plan keeps what is done.
 */
export interface PlanStep {
  /** Unique within the plan; the journal key. Defaults to the responder name (`cancel#2` for a second one). */
  id: string;
  /** The responder to run. */
  step: string;
  params: Record<string, unknown>;
  /** Time budget of one attempt. */
  timeoutMs: number;
  /** Further attempts after a failure. */
  retries: number;
  /** Wait before attempt n+1: backoffMs * 2^(n-1). */
  backoffMs: number;
  /** Adjacent steps with the same group run together. */
  group?: string;
  /**
   * In a group: start once this earlier step of the group has ended, done or failed on every
   * attempt, so the group holds a sequence beside its other steps (break-glass: freeze, beside
   * cancel then revoke). A failed step does not hold the next one back (a cancel that cannot
   * work must not keep a leaked key alive); the incident still fails at the group's end.
   */
  after?: string;
  /** Wait for an operator (or the time) before the step starts. */
  approval?: { reason: string; autoApproveAfterMs?: number };
  /**
   * Failed attempts that started before this time do not count against `retries`: set by an
   * escalation, so the stronger plan tries again what the weaker one had given up on.
   */
  retriesSince?: number;
}

export interface Plan {
  playbook: PlaybookName;
  steps: PlanStep[];
  /**
   * Run one after another when a step has failed on every attempt its retry policy allows
   * (escalate: freeze, page, clean up); then the incident waits in needs_attention.
   */
  onFailure?: PlanStep[];
}

/** A step as written in config; everything but the responder name has a default. */
export type PlanStepInput = Partial<PlanStep> & { step: string };

export const STEP_DEFAULTS = { timeoutMs: 60_000, retries: 2, backoffMs: 1_000 } as const;

/** Prefix of the default ids of onFailure steps, so they never meet the plan's own. */
export const ON_FAILURE = 'on-failure.';

/** Fills defaults and ids. Throws on anything that cannot run; see validatePlan for params. */
export function buildPlan(playbook: PlaybookName, steps: PlanStepInput[], onFailure: PlanStepInput[] = []): Plan {
  const plan: Plan = { playbook, steps: withDefaults(steps, '') };
  if (onFailure.length) plan.onFailure = withDefaults(onFailure, ON_FAILURE);
  return plan;
}

function withDefaults(steps: PlanStepInput[], prefix: string): PlanStep[] {
  const seen = new Map<string, number>();
  return steps.map((s): PlanStep => {
    const n = (seen.get(s.step) ?? 0) + 1;
    seen.set(s.step, n);
    return {
      ...STEP_DEFAULTS,
      params: {},
      ...s,
      id: s.id ?? `${prefix}${n === 1 ? s.step : `${s.step}#${n}`}`,
    };
  });
}

// Defaults fill a copy only, so that properties that have one count as present; the plan is never changed.
const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true });
const compiled = new WeakMap<object, ValidateFunction>();
const validatorOf = (schema: Record<string, unknown>) => compiled.get(schema) ?? compiled.set(schema, ajv.compile(schema)).get(schema)!;

/** Every problem that would stop the plan from running, as readable sentences; empty when it is fine. */
export function validatePlan(plan: Plan, responders: ResponderRegistry): string[] {
  const errors: string[] = [];
  if (!Array.isArray(plan.steps) || plan.steps.length === 0) return ['the playbook has no steps'];
  const ids = new Set<string>();
  const closedGroups = new Set<string>();
  let current: string | undefined;
  for (const s of [...plan.steps, ...(plan.onFailure ?? [])]) {
    if (ids.has(s.id)) errors.push(`step id ${s.id} appears twice; give one of them its own id`);
    ids.add(s.id);
    if (s.group !== current) {
      if (current) closedGroups.add(current);
      if (s.group && closedGroups.has(s.group)) errors.push(`group ${s.group} is split; the steps of a group must be adjacent`);
      current = s.group;
    }
    if (s.after !== undefined && !(s.group && [...plan.steps, ...(plan.onFailure ?? [])].some((o) => o.id === s.after && o.group === s.group && ids.has(o.id) && o.id !== s.id)))
      errors.push(`step ${s.id}: after names ${s.after}, which is not an earlier step of its group${s.group ? ` ${s.group}` : ' (it has none)'}`);
    if (!(s.timeoutMs > 0)) errors.push(`step ${s.id}: timeoutMs must be positive`);
    if (!(s.retries >= 0)) errors.push(`step ${s.id}: retries must be 0 or more`);
    const responder = responders[s.step];
    if (!responder) {
      errors.push(`step ${s.id}: no responder named ${s.step} (known: ${Object.keys(responders).sort().join(', ')})`);
      continue;
    }
    const validate = validatorOf(responder.params);
    if (!validate(structuredClone(s.params))) {
      const why = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`).join('; ');
      errors.push(`step ${s.id}: params for ${s.step} are invalid: ${why}`);
    }
  }
  return errors;
}

/** The plan as stored, or an error saying why it cannot be run. */
export function parsePlan(stored: unknown): Plan {
  const plan = stored as Plan | undefined;
  if (!plan || typeof plan !== 'object' || !Array.isArray(plan.steps)) throw new Error('the incident has no runnable plan (expected { playbook, steps: [...] })');
  return plan;
}

/** The plan cut into batches: a lone step, or adjacent steps sharing a group. */
export function batches(plan: Plan): PlanStep[][] {
  const out: PlanStep[][] = [];
  for (const s of plan.steps) {
    const last = out.at(-1);
    if (s.group && last?.[0]?.group === s.group) last.push(s);
    else out.push([s]);
  }
  return out;
}
