import { isActive, type IncidentState, type StepRun, type TimelineEntry } from '../core/incident.js';
import { batches, parsePlan, validatePlan, type Plan, type PlanStep } from './playbook.js';
import { activePause, runStep } from './run-step.js';
import { abortRequest, has, pendingApprovals, progressOf } from './progress.js';
import type { OperatorRequest } from '../store/store.js';
import type { Session } from './session.js';
import { approvalGate } from './waiting.js';

type Park = Extract<IncidentState, 'paused' | 'awaiting_approval' | 'waiting_for_human' | 'needs_attention'>;

/**
 * Drives one claimed incident from wherever its journal says it is until it is finished or
 * must wait (pause, approval, human task, needs_attention). Everything is re-read from the
 * store at each step boundary, so an abort, a pause or an escalation written by anyone takes
 * effect there, and a crash at any point resumes the same way.
 */
export async function drive(s: Session): Promise<void> {
  let claimNoted = false;
  while (!s.stopping && !s.lost.aborted) {
    const incident = await s.store.getIncident(s.incident.id);
    if (!incident || !isActive(incident.state)) return;
    s.incident = incident;
    const timeline = await s.store.listTimeline(incident.id);

    const requests = await s.store.listRequests(incident.id);
    const abort = abortRequest(requests);
    if (abort) return close(s, timeline, 'aborted', `aborted by ${abort.actor}: ${abort.reason}`);
    const pause = await activePause(s);
    if (pause) return park(s, 'paused', `paused (${pause.scope}) by ${pause.actor}: ${pause.reason}`);

    let plan: Plan;
    try {
      plan = parsePlan(await s.store.getPlan(incident.id));
      const errors = validatePlan(plan, s.env.responders);
      if (errors.length) throw new Error(errors.join('; '));
    } catch (err) {
      return park(s, 'needs_attention', `the plan cannot run: ${(err as Error).message}`);
    }
    const runs = await s.store.listStepRuns(incident.id);
    await completeRecord(s, runs, timeline);
    if (incident.dryRun && !has(timeline, 'plan.dry_run')) {
      await s.timeline('plan.dry_run', `dry run of ${plan.playbook}: ${plan.steps.map((p) => p.id).join(' -> ')}; nothing will be touched`, { playbook: plan.playbook, steps: plan.steps });
    }

    const batch = batches(plan).find((b) => b.some((step) => progressOf(step, runs).kind !== 'done'));
    if (!batch) return close(s, timeline, 'resolved', `resolved: ${plan.playbook} completed`);
    const todo = batch.map((step) => ({ step, progress: progressOf(step, runs) }));
    const failed = todo.find((t) => t.progress.kind === 'exhausted');
    if (failed?.progress.kind === 'exhausted') {
      const { step, progress } = failed;
      const why = `${step.id} failed ${progress.attempts} times; last error: ${progress.error}`;
      // The plan's escalation runs first, one step at a time; a step of it that fails too is passed over.
      const next = (plan.onFailure ?? []).map((f) => ({ f, p: progressOf(f, runs) })).find((x) => x.p.kind === 'run');
      if (!next || next.p.kind !== 'run') return park(s, 'needs_attention', why, { step: step.id, attempts: progress.attempts, error: progress.error });
      if (!has(timeline, 'incident.failure_handling')) {
        await s.timeline('incident.failure_handling', `${why}; running the playbook's failure steps: ${plan.onFailure!.map((f) => f.id).join(' -> ')}`, { step: step.id, error: progress.error });
      }
      // A failed incident needs attention even while a failure step waits for a person; the step is not re-run meanwhile.
      const result = (await waitingFor(s, [next.f], timeline, requests)) ?? (await runStep(s, next.f)).kind;
      if (result === 'stopped') return;
      if (result === 'awaiting_approval' || result === 'waiting_for_human') {
        return park(s, 'needs_attention', `${why}; failure step ${next.f.id} waits for ${result === 'awaiting_approval' ? 'approval' : 'a person to finish a task'}`, { step: step.id, waitingStep: next.f.id });
      }
      continue;
    }
    const wait = await waitingFor(s, todo.filter((t) => t.progress.kind === 'run').map((t) => t.step), timeline, requests);
    if (wait) return park(s, wait, wait === 'awaiting_approval' ? 'waiting for approval' : 'waiting for a person to finish a task');

    if (!claimNoted) {
      const at = todo.map(({ step, progress }) => (progress.kind === 'run' ? `${step.id} (attempt ${progress.attempt}${progress.interrupted ? ', interrupted' : ''})` : step.id));
      await s.timeline('incident.claimed', `${s.fence.holder} runs ${plan.playbook} from ${at.join(' + ')}`, { holder: s.fence.holder, fence: s.fence.token, playbook: plan.playbook });
      claimNoted = true;
    }
    if (incident.state !== 'running') await setState(s, 'running', `running (was ${incident.state})`);

    // Each step of the batch runs to its end; a pause, an abort or an escalation then takes effect at the boundary above.
    const results = await Promise.all(
      lanes(todo).map(async (lane) => {
        let last: Awaited<ReturnType<typeof runStep>>['kind'] = 'done';
        for (const { step, progress } of lane) {
          if (progress.kind !== 'run') continue;
          last = (await runStep(s, step)).kind;
          // A step that failed for good does not hold back the next one (see PlanStep.after); the boundary above then handles the failure.
          if (last !== 'done' && last !== 'exhausted') return last;
        }
        return last;
      }),
    );
    if (results.includes('stopped')) return;
    const parked = results.find((r): r is 'awaiting_approval' | 'waiting_for_human' => r === 'awaiting_approval' || r === 'waiting_for_human');
    if (parked) return park(s, parked, parked === 'awaiting_approval' ? 'a step asked for approval' : 'a step asked a person to act');
  }
}

/**
 * The batch as lanes that run side by side: a step with `after` goes at the end of that step's
 * lane and starts once it has ended; every other step is a lane of its own.
 */
function lanes<T extends { step: PlanStep }>(todo: T[]): T[][] {
  const laneOf = new Map<string, T[]>();
  const out: T[][] = [];
  for (const t of todo) {
    let lane = t.step.after ? laneOf.get(t.step.after) : undefined;
    if (lane) lane.push(t);
    else out.push((lane = [t]));
    laneOf.set(t.step.id, lane);
  }
  return out;
}

/** Whether a step of the batch still waits for an approval or a person; parks nothing itself. */
async function waitingFor(s: Session, steps: PlanStep[], timeline: TimelineEntry[], requests: OperatorRequest[]): Promise<'awaiting_approval' | 'waiting_for_human' | undefined> {
  if (s.incident.dryRun) return undefined;
  const pending = pendingApprovals(timeline, requests);
  for (const step of steps) {
    const asked = step.approval ?? pending.find((p) => p.step === step.id);
    if (asked && !(await approvalGate(s, step.id, asked))) return 'awaiting_approval';
  }
  const open = await s.store.listHumanTasks({ incidentId: s.incident.id, status: 'open' });
  return open.some((t) => steps.some((step) => step.id === t.step)) ? 'waiting_for_human' : undefined;
}

/**
 * A crash between journaling an outcome and putting it on the timeline would leave the
 * timeline short; the journal is the truth, so the missing entry is written now.
 */
export async function completeRecord(s: Session, runs: readonly StepRun[], timeline: TimelineEntry[]): Promise<void> {
  for (const r of runs) {
    if (r.status === 'running') continue;
    const type = r.status === 'failed' ? 'step.failed' : 'step.finished';
    if (has(timeline, type, { step: r.step, attempt: r.attempt })) continue;
    await s.timeline(type, `${r.step} ${r.status} (attempt ${r.attempt}; recorded from the journal after an interruption)`, {
      step: r.step,
      attempt: r.attempt,
      status: r.status,
      outputs: r.outputs,
      message: null,
      error: r.error,
      fromJournal: true,
    });
  }
}

async function setState(s: Session, state: IncidentState, why: string, data: Record<string, unknown> = {}): Promise<void> {
  await s.timeline('incident.state_changed', why, { from: s.incident.state, to: state, ...data });
  s.incident = await s.store.updateIncident(s.incident.id, { state, at: s.clock.now() }, s.fence);
}

/** Waits without holding the lease; the next poll looks again. Writes only when the state changes. */
async function park(s: Session, state: Park, why: string, data: Record<string, unknown> = {}): Promise<void> {
  if (s.incident.state !== state) {
    if (state === 'needs_attention') s.env.logger.error({ incidentId: s.incident.id, ...data }, `incident needs attention: ${why}`);
    await setState(s, state, why, data);
  }
  s.emit('parked', { state });
}

/** The timeline entry first, then the state: after a crash in between, the entry is not written twice. */
async function close(s: Session, timeline: TimelineEntry[], state: 'resolved' | 'aborted', why: string): Promise<void> {
  const type = `incident.${state}`;
  if (!has(timeline, type)) await s.timeline(type, why);
  s.emit('incident.closing', { state });
  s.incident = await s.store.updateIncident(s.incident.id, { state, at: s.clock.now() }, s.fence);
  s.emit('incident.closed', { state });
}
