export { Runner, type RunnerOptions } from './runner.js';
export { Control, ControlError } from './control.js';
export { buildPlan, validatePlan, parsePlan, STEP_DEFAULTS, type Plan, type PlanStep, type PlanStepInput } from './playbook.js';
export { WaitingError } from './waiting.js';
export { LeaseLostError, ShutdownError } from './lease.js';
export type { RunnerEvent } from './session.js';
export * from './responder.js';
