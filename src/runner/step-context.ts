import type { StepRun } from '../core/incident.js';
import type { PlanStep } from './playbook.js';
import { idempotencyToken, type IdempotencyKey, type StepContext, type TimerRequest } from './responder.js';
import type { Session } from './session.js';
import { approvalGate, WaitingError } from './waiting.js';

/** What a timer carries: the step it runs when it fires. */
export interface TimerPayload {
  step: string;
  responder: string;
  params: Record<string, unknown>;
  timeoutMs?: number;
  retries?: number;
}

/** The work-queue kind of a timer that runs a step. */
export const STEP_TIMER = 'step-timer';

/** The context one attempt of one step runs with. */
export function stepContext(s: Session, step: PlanStep, key: IdempotencyKey, signal: AbortSignal, runs: readonly StepRun[]): StepContext {
  const token = idempotencyToken(key);
  const incidentId = s.incident.id;
  const dryRun = s.incident.dryRun;
  const note = (type: string, message: string, data: Record<string, unknown> = {}) => s.timeline(type, message, { step: step.id, attempt: key.attempt, ...data });

  return {
    incident: s.incident,
    credential: s.env.credentials(s.incident.credentialId),
    clients: s.env.clients,
    journal: {
      runs,
      outputs: (id) => runs.find((r) => r.step === id && r.status === 'succeeded')?.outputs,
    },
    async history() {
      const others = (await s.store.listIncidents({ credentialId: s.incident.credentialId, limit: 100 })).filter((i) => i.id !== incidentId);
      return Promise.all(others.map(async (incident) => ({ incident, runs: await s.store.listStepRuns(incident.id) })));
    },
    logger: s.env.logger,
    clock: s.clock,
    signal,
    dryRun,
    key,
    token,
    checkpoint: () => s.keeper.checkpoint(),
    note,

    async humanTask(req) {
      if (dryRun) {
        await note('step.would', `would ask a person: ${req.instructions}`);
        return {};
      }
      const task = await s.store.getHumanTask(token);
      if (task?.status === 'done') return task.result ?? {};
      if (task?.status === 'cancelled') throw new Error(`human task ${token} was cancelled`);
      if (!task) {
        // The fenced entry first: a holder that lost the lease creates no task.
        // The entry names the kind: completing the task accepts only its fields.
        await note('human_task.created', req.instructions, { taskId: token, kind: req.kind.name });
        await s.store.createHumanTask({ id: token, incidentId, step: step.id, instructions: req.instructions, createdAt: s.clock.now() });
      }
      throw new WaitingError('waiting_for_human', `human task ${token}`);
    },

    async approval(req) {
      if (dryRun) return note('step.would', `would wait for approval: ${req.reason}`);
      if (!(await approvalGate(s, step.id, req))) throw new WaitingError('awaiting_approval', `approval of ${step.id}`);
    },

    async schedule(req: TimerRequest) {
      const id = `${incidentId}:${step.id}:${req.name}`;
      const dueAt = s.clock.now() + req.delayMs;
      if (dryRun) return note('step.would', `would schedule ${req.responder} for ${new Date(dueAt).toISOString()}`, { timer: req.name });
      if (await s.store.getWork(id)) return;
      await note('timer.scheduled', `${req.responder} scheduled for ${new Date(dueAt).toISOString()}`, { timerId: id, dueAt, responder: req.responder });
      const payload: TimerPayload = { step: `${step.id}.${req.name}`, responder: req.responder, params: req.params ?? {}, timeoutMs: req.timeoutMs, retries: req.retries };
      await s.store.enqueueWork({ id, kind: STEP_TIMER, incidentId, runAt: dueAt, payload: { ...payload }, at: s.clock.now() });
    },
  };
}
