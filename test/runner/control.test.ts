import t from 'tap';
import { Type } from '@sinclair/typebox';
import { buildPlan } from '../../src/runner/playbook.js';
import { IncidentError } from '../../src/incidents/errors.js';
import type { Responder } from '../../src/runner/responder.js';
import { readEffects } from './fixtures/responders.js';
import { humanTaskKind } from '../../responders/lib/human.js';
import { holding, runnerSetup } from '../helpers/runner-setup.js';

/** The kind of the human tasks below: the person says when they deleted the key. */
const DELETED = humanTaskKind('deleted', { deletedAt: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T' }) });

const types = async (env: { store: { listTimeline(id: string): Promise<{ type: string; actor: string }[]> } }, id: string) => (await env.store.listTimeline(id)).map((e) => e.type);
const stepsRun = async (env: { store: { listStepRuns(id: string): Promise<{ step: string; status: string }[]> } }, id: string) =>
  (await env.store.listStepRuns(id)).map((r) => `${r.step}:${r.status}`);

t.test('pause: globally and per credential; a paused incident finishes its current step and waits', async (t) => {
  const h = holding();
  const env = await runnerSetup(t, { responders: { hold: h.hold } });
  const id = await env.open([{ step: 'hold' }, { step: 'record', params: { effect: 'revoke' } }], { credentialId: 'bybit-prod' });
  const running = env.runner.tick();
  await h.entered;
  await env.incidents.pause('global', 'user:alice', 'drill');
  h.open();
  await running;
  t.equal((await env.store.getIncident(id))?.state, 'paused');
  t.same(await stepsRun(env, id), ['hold:succeeded'], 'the current step finished, the next did not start');
  const pauseEntry = (await env.store.listTimeline(id)).find((e) => e.type === 'incident.pause_requested');
  t.equal(pauseEntry?.actor, 'user:alice');
  await env.runner.tick();
  t.same(await stepsRun(env, id), ['hold:succeeded'], 'still waiting');

  // Per credential: the paused credential waits, another one runs.
  await env.incidents.resume('global', 'user:alice');
  await env.incidents.pause('bybit-prod', 'user:alice', 'maintenance');
  const other = await env.open([{ step: 'record', params: { effect: 'other' } }], { credentialId: 'binance-prod' });
  await env.runner.tick();
  t.equal((await env.store.getIncident(other))?.state, 'resolved');
  t.equal((await env.store.getIncident(id))?.state, 'paused');

  await env.incidents.resume('bybit-prod', 'user:bob');
  await env.runner.tick();
  t.equal((await env.store.getIncident(id))?.state, 'resolved');
  const timeline = await env.store.listTimeline(id);
  t.ok(timeline.some((e) => e.type === 'incident.resume_requested' && e.actor === 'user:bob'));
  t.ok(timeline.some((e) => e.type === 'incident.state_changed' && e.data.from === 'paused' && e.data.to === 'running'));
  t.same((await env.store.listAudit()).map((a) => [a.action, a.actor, a.target]).reverse(), [
    ['incident.pause_requested', 'user:alice', 'global'],
    ['incident.resume_requested', 'user:alice', 'global'],
    ['incident.pause_requested', 'user:alice', 'bybit-prod'],
    ['incident.resume_requested', 'user:bob', 'bybit-prod'],
  ]);
  await t.rejects(env.incidents.resume('bybit-prod', 'user:bob'), IncidentError, 'resuming what is not paused is refused');
});

t.test('abort: a running step is stopped through its signal and the incident ends aborted', async (t) => {
  const h = holding();
  const env = await runnerSetup(t, { responders: { hold: h.hold } });
  const id = await env.open([{ step: 'hold', retries: 3 }, { step: 'record', params: { effect: 'revoke' } }]);
  const running = env.runner.tick();
  await h.entered;
  // Asked on another replica: the runner holding the incident sees it at its next poll.
  await env.incidents.abort(id, 'user:bob', 'false positive');
  await env.runner.tick();
  await running;
  const incident = await env.store.getIncident(id);
  t.equal(incident?.state, 'aborted');
  t.ok(incident?.closedAt);
  t.same(await stepsRun(env, id), ['hold:failed'], 'not retried, nothing after it');
  t.match((await env.store.listStepRuns(id))[0]?.error, /aborted by an operator/);
  const timeline = await env.store.listTimeline(id);
  t.equal(timeline.find((e) => e.type === 'incident.abort_requested')?.actor, 'user:bob');
  t.equal(timeline.at(-1)?.type, 'incident.aborted');
  t.equal((await env.store.listAudit())[0]?.action, 'incident.abort_requested');
  t.same(readEffects(env.dir), []);
  await t.rejects(env.incidents.abort(id, 'user:bob', 'again'), IncidentError);
});

t.test('abort of a waiting incident', async (t) => {
  const env = await runnerSetup(t);
  const id = await env.open([{ step: 'record', params: { effect: 'restore' }, approval: { reason: 'unauthorized activity seen' } }]);
  await env.runner.tick();
  t.equal((await env.store.getIncident(id))?.state, 'awaiting_approval');
  await env.incidents.abort(id, 'user:bob', 'handled by hand');
  await env.runner.tick();
  t.equal((await env.store.getIncident(id))?.state, 'aborted');
  t.same(readEffects(env.dir), []);
});

t.test('dry-run: each step reports what it would do, nothing is touched, the plan is on the timeline', async (t) => {
  const asks: Responder = {
    name: 'asks',
    params: { type: 'object' },
    tasks: [DELETED],
    async run(ctx) {
      const data = await ctx.humanTask({ kind: DELETED, instructions: 'delete the key in the Binance UI' });
      await ctx.approval({ reason: 'restore after unauthorized orders' });
      await ctx.schedule({ name: 'revoke-old', delayMs: 86_400_000, responder: 'record', params: { effect: 'revoke-old' } });
      return { status: 'succeeded', outputs: { data }, message: 'would revoke by hand' };
    },
  };
  const env = await runnerSetup(t, { responders: { asks } });
  const id = await env.open([{ step: 'record', params: { effect: 'freeze' } }, { step: 'asks' }, { id: 'gated', step: 'record', params: { effect: 'restore' }, approval: { reason: 'r' } }], { dryRun: true });
  await env.runner.tick();
  t.equal((await env.store.getIncident(id))?.state, 'resolved');
  t.same(readEffects(env.dir), [], 'no side effect');
  t.same(await env.store.listHumanTasks({ incidentId: id }), [], 'nobody paged');
  t.same(await env.store.listWork({ incidentId: id }), [], 'nothing scheduled');
  const timeline = await env.store.listTimeline(id);
  const plan = timeline.find((e) => e.type === 'plan.dry_run');
  t.same((plan?.data.steps as { id: string }[]).map((s) => s.id), ['record', 'asks', 'gated']);
  t.ok(plan!.seq < timeline.find((e) => e.type === 'step.started')!.seq, 'the plan comes first');
  t.same(timeline.find((e) => e.type === 'step.finished' && e.data.step === 'record')?.data.outputs, { would: 'freeze' });
  t.same(timeline.filter((e) => e.type === 'step.would').map((e) => e.message), [
    'would ask a person: delete the key in the Binance UI',
    'would wait for approval: restore after unauthorized orders',
    'would schedule record for 2026-01-02T00:00:00.000Z',
  ]);
  t.notOk(timeline.some((e) => e.type === 'approval.requested'), 'gates do not wait in a dry run');
});

t.test('an approval gate waits for an operator', async (t) => {
  const env = await runnerSetup(t);
  const id = await env.open([{ step: 'record', params: { effect: 'revoke' } }, { id: 'restore', step: 'record', params: { effect: 'restore' }, approval: { reason: 'unauthorized orders after the revoke' } }]);
  await env.runner.tick();
  t.equal((await env.store.getIncident(id))?.state, 'awaiting_approval');
  t.same(await stepsRun(env, id), ['record:succeeded'], 'the gated step has not started');
  const waiting = await types(env, id);
  await env.clock.advance(3_600_000);
  await env.runner.tick();
  t.same(await types(env, id), waiting, 'it waits quietly, however long');

  t.same(await env.incidents.approve(id, 'user:carol'), ['restore']);
  await env.runner.tick();
  t.equal((await env.store.getIncident(id))?.state, 'resolved');
  const timeline = await env.store.listTimeline(id);
  t.equal(timeline.find((e) => e.type === 'approval.granted')?.actor, 'user:carol');
  t.ok(timeline.findIndex((e) => e.type === 'approval.granted') < timeline.findIndex((e) => e.type === 'step.started' && e.data.step === 'restore'));
  t.equal((await env.store.listAudit())[0]?.action, 'approval.granted');
  t.same(readEffects(env.dir).map((e) => e.effect), ['revoke', 'restore']);
  await t.rejects(env.incidents.approve(id, 'user:carol'), IncidentError);
});

t.test('an approval gate with auto-approve goes on by itself after the configured time', async (t) => {
  const env = await runnerSetup(t);
  const id = await env.open([{ id: 'restore', step: 'record', params: { effect: 'restore' }, approval: { reason: 'r', autoApproveAfterMs: 600_000 } }]);
  await env.runner.tick();
  t.equal((await env.store.getIncident(id))?.state, 'awaiting_approval');
  await env.clock.advance(300_000);
  await env.runner.tick();
  t.equal((await env.store.getIncident(id))?.state, 'awaiting_approval', 'not before its time');
  await env.clock.advance(300_000);
  await env.runner.tick();
  t.equal((await env.store.getIncident(id))?.state, 'resolved');
  t.equal((await env.store.listTimeline(id)).find((e) => e.type === 'approval.granted')?.actor, 'system:auto-approve');
});

t.test('a step can ask for approval itself; it is re-run with the same key once approved', async (t) => {
  const keys: string[] = [];
  const restore: Responder = {
    name: 'restore',
    params: { type: 'object' },
    async run(ctx) {
      keys.push(ctx.token);
      await ctx.approval({ reason: 'unauthorized activity after the revoke' });
      return { status: 'succeeded', outputs: { restored: true } };
    },
  };
  const env = await runnerSetup(t, { responders: { restore } });
  const id = await env.open([{ step: 'restore' }]);
  await env.runner.tick();
  t.equal((await env.store.getIncident(id))?.state, 'awaiting_approval');
  t.same(await stepsRun(env, id), ['restore:running'], 'left running, not failed');
  await env.runner.tick();
  t.equal(keys.length, 1, 'not re-run while waiting');
  await env.incidents.approve(id, 'user:carol');
  await env.runner.tick();
  t.equal((await env.store.getIncident(id))?.state, 'resolved');
  t.same(await stepsRun(env, id), ['restore:succeeded']);
  t.equal(new Set(keys).size, 1, 'same key');
});

t.test('a human task: the incident waits with instructions; the operator confirmation completes the step', async (t) => {
  let calls = 0;
  const manual: Responder = {
    name: 'manual-revoke',
    params: { type: 'object' },
    tasks: [DELETED],
    async run(ctx) {
      calls++;
      const done = await ctx.humanTask({ kind: DELETED, instructions: 'Delete API key AbCd… in the Binance UI, then confirm.' });
      return { status: 'succeeded', outputs: { confirmed: done } };
    },
  };
  const env = await runnerSetup(t, { responders: { 'manual-revoke': manual } });
  const id = await env.open([{ step: 'manual-revoke' }, { step: 'record', params: { effect: 'rotate' } }]);
  await env.runner.tick();
  t.equal((await env.store.getIncident(id))?.state, 'waiting_for_human');
  const [task] = await env.store.listHumanTasks({ incidentId: id, status: 'open' });
  t.match(task?.instructions, /Delete API key AbCd/);
  t.equal(task?.step, 'manual-revoke');
  await env.runner.tick();
  t.equal(calls, 1, 'not re-run while the task is open');

  await t.rejects(env.incidents.completeTask('no-such-task', 'user:dave'), IncidentError);
  await t.rejects(env.incidents.completeTask(task!.id, 'user:dave', { deletedAt: 'just now' }), /deleted task: it takes deletedAt and nothing else; \/deletedAt: /, 'only what its kind takes');
  await env.incidents.completeTask(task!.id, 'user:dave', { deletedAt: '2026-01-01T00:05:00Z' });
  await env.runner.tick();
  t.equal((await env.store.getIncident(id))?.state, 'resolved');
  const runs = await env.store.listStepRuns(id);
  t.same(runs.find((r) => r.step === 'manual-revoke')?.outputs, { confirmed: { deletedAt: '2026-01-01T00:05:00Z' } });
  t.equal(runs.find((r) => r.step === 'manual-revoke')?.attempt, 1);
  const timeline = await env.store.listTimeline(id);
  t.ok(timeline.some((e) => e.type === 'human_task.created' && e.data.taskId === task!.id));
  t.equal(timeline.find((e) => e.type === 'human_task.completed')?.actor, 'user:dave');
  t.equal((await env.store.listAudit())[0]?.action, 'human_task.completed');
  await t.rejects(env.incidents.completeTask(task!.id, 'user:dave', { deletedAt: '2026-01-01T00:05:00Z' }), IncidentError, 'completes once');
});

t.test('escalation mid-run: the stronger playbook takes over at the next step boundary, keeping what is done', async (t) => {
  const h = holding();
  const env = await runnerSetup(t, { responders: { hold: h.hold } });
  const id = await env.open([{ id: 'assess', step: 'record', params: { effect: 'assess' } }, { step: 'hold' }, { id: 'monitor', step: 'record', params: { effect: 'monitor' } }], { playbook: 'emergency' });
  const running = env.runner.tick();
  await h.entered;
  const stronger = buildPlan('break-glass', [
    { id: 'assess', step: 'record', params: { effect: 'assess' } },
    { step: 'hold' },
    { id: 'freeze', step: 'record', params: { effect: 'freeze' } },
    { id: 'revoke', step: 'record', params: { effect: 'revoke' } },
  ]);
  await t.rejects(env.incidents.escalate(id, buildPlan('lockdown', [{ step: 'nope' }]), 'user:erin'), IncidentError, 'an invalid playbook is refused');
  await env.incidents.escalate(id, stronger, 'user:erin', 'orders after the revoke');
  h.open();
  await running;
  const incident = await env.store.getIncident(id);
  t.equal(incident?.state, 'resolved');
  t.equal(incident?.playbook, 'break-glass');
  t.same(readEffects(env.dir).map((e) => e.effect), ['assess', 'freeze', 'revoke'], 'done steps kept, old remainder dropped');
  const timeline = await env.store.listTimeline(id);
  const escalated = timeline.find((e) => e.type === 'incident.escalated');
  t.equal(escalated?.actor, 'user:erin');
  t.ok(escalated!.seq < timeline.find((e) => e.type === 'step.finished' && e.data.step === 'hold')!.seq, 'asked while hold ran');
  t.equal(timeline.filter((e) => e.type === 'step.started' && e.data.step === 'hold').length, 1, 'the running step finished once');
});
