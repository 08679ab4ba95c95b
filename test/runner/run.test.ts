import t from 'tap';
import { idempotencyToken, type Responder } from '../../src/runner/responder.js';
import { readEffects } from './fixtures/responders.js';
import { buildPlan, validatePlan, type PlanStepInput } from '../../src/runner/playbook.js';
import { eventually } from '../helpers/runner-child.js';
import { holding, runnerSetup, withTime } from '../helpers/runner-setup.js';

/** Two steps that only finish when both have started: proves a group runs together. */
function barrier() {
  let arrived = 0;
  let release!: () => void;
  const all = new Promise<void>((r) => (release = r));
  const together: Responder = {
    name: 'together',
    params: { type: 'object' },
    async run(ctx) {
      if (++arrived === 2) release();
      await Promise.race([all, ctx.clock.sleep(1_000, ctx.signal)]);
      return arrived === 2 ? { status: 'succeeded', outputs: { arrived } } : { status: 'failed', message: 'ran alone' };
    },
  };
  return together;
}

/** Reads what an earlier step recorded, through the journal. */
const reads: Responder<{ from: string }> = {
  name: 'reads',
  params: { type: 'object', required: ['from'], properties: { from: { type: 'string' } } },
  async run(ctx, params) {
    return { status: 'succeeded', outputs: { saw: ctx.journal.outputs(params.from) ?? null } };
  },
};

t.test('a sequence in a group: a step with `after` starts once that step is done, while the group\'s other step still runs', async (t) => {
  const h = holding();
  const env = await runnerSetup(t, { responders: { hold: h.hold } });
  const id = await env.open([
    { id: 'drain', step: 'hold', group: 'contain' },
    { id: 'cancel', step: 'record', group: 'contain', params: { effect: 'cancel' } },
    { id: 'revoke', step: 'record', group: 'contain', after: 'cancel', params: { effect: 'revoke' } },
    { id: 'rotate', step: 'record', params: { effect: 'rotate' } },
  ]);
  const running = env.runner.tick();
  await h.entered;
  await eventually(async () => (readEffects(env.dir).some((e) => e.effect === 'revoke') ? true : undefined), 'the revoke');
  const timeline = await env.store.listTimeline(id);
  const at = (type: string, step: string) => timeline.find((e) => e.type === type && e.data.step === step)?.seq ?? Infinity;
  t.ok(at('step.finished', 'cancel') < at('step.started', 'revoke'), 'revoke started after cancel was done');
  t.equal(at('step.finished', 'drain'), Infinity, 'while drain still runs');
  t.same(readEffects(env.dir).map((e) => e.effect), ['cancel', 'revoke'], 'and nothing after the group yet');
  h.open();
  await running;
  t.equal((await env.store.getIncident(id))?.state, 'resolved');
  t.same(readEffects(env.dir).map((e) => e.effect), ['cancel', 'revoke', 'rotate']);
});

t.test('`after` must name an earlier step of the same group', async (t) => {
  const responders = { record: { name: 'record', params: { type: 'object' } } as unknown as Responder };
  const problems = (steps: PlanStepInput[]) => validatePlan(buildPlan('break-glass', steps), responders).filter((e) => e.includes('after'));
  t.same(problems([{ step: 'record', group: 'g' }, { id: 'b', step: 'record', group: 'g', after: 'record' }]), []);
  t.same(problems([{ id: 'b', step: 'record', group: 'g', after: 'a' }, { id: 'a', step: 'record', group: 'g' }]), ['step b: after names a, which is not an earlier step of its group g']);
  t.same(problems([{ id: 'a', step: 'record' }, { id: 'b', step: 'record', after: 'a' }]), ['step b: after names a, which is not an earlier step of its group (it has none)']);
});

for (const backend of ['sqlite', 'postgres'] as const) {
  t.test(`${backend}: a playbook of several steps runs to resolved, every start, finish and output on the timeline in order`, async (t) => {
    const env = await runnerSetup(t, { backend, responders: { together: barrier(), reads } });
    const id = await env.open([
      { step: 'record', params: { effect: 'freeze' } },
      { id: 'g1', step: 'together', group: 'g' },
      { id: 'g2', step: 'together', group: 'g' },
      { step: 'reads', params: { from: 'record' } },
      { id: 'last', step: 'record', params: { effect: 'notify' } },
    ]);
    await env.runner.tick();

    const incident = await env.store.getIncident(id);
    t.equal(incident?.state, 'resolved');
    t.ok(incident?.closedAt);
    const timeline = await env.store.listTimeline(id);
    const steps = timeline.filter((e) => e.type.startsWith('step.')).map((e) => `${e.type}:${String(e.data.step)}`);
    t.same(steps.slice(0, 2), ['step.started:record', 'step.finished:record']);
    t.same(steps.slice(2, 4).sort(), ['step.started:g1', 'step.started:g2'], 'both steps of the group start before either finishes');
    t.same(steps.slice(4, 6).sort(), ['step.finished:g1', 'step.finished:g2']);
    t.same(steps.slice(6), ['step.started:reads', 'step.finished:reads', 'step.started:last', 'step.finished:last']);
    t.equal(timeline[0]?.type, 'incident.claimed');
    t.equal(timeline.at(-1)?.type, 'incident.resolved');
    t.ok(timeline.every((e, i) => i === 0 || e.seq > timeline[i - 1]!.seq));
    t.ok(timeline.filter((e) => e.actor === 'system:runner').every((e) => e.writer?.holder === 'r1'), 'every runner entry is fenced by r1');

    const token = idempotencyToken({ incidentId: id, step: 'record', attempt: 1 });
    const finished = timeline.find((e) => e.type === 'step.finished' && e.data.step === 'record');
    t.same(finished?.data.outputs, { effect: 'freeze', token }, 'outputs are on the timeline');
    t.same(timeline.find((e) => e.type === 'step.finished' && e.data.step === 'reads')?.data.outputs, { saw: { effect: 'freeze', token } }, 'a later step reads the journal');

    const runs = await env.store.listStepRuns(id);
    t.same(runs.map((r) => [r.step, r.attempt, r.status]).sort(), [
      ['g1', 1, 'succeeded'],
      ['g2', 1, 'succeeded'],
      ['last', 1, 'succeeded'],
      ['reads', 1, 'succeeded'],
      ['record', 1, 'succeeded'],
    ]);
    t.same(readEffects(env.dir).map((e) => e.effect), ['freeze', 'notify'], 'each side effect once');

    await env.runner.tick();
    t.equal((await env.store.listTimeline(id)).length, timeline.length, 'a finished incident is left alone');
  });
}

t.test('the idempotency token is stable per key and differs between keys', async (t) => {
  const key = { incidentId: 'i-1', step: 'rotate', attempt: 1 };
  t.equal(idempotencyToken(key), idempotencyToken({ ...key }));
  t.match(idempotencyToken(key), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  t.not(idempotencyToken(key), idempotencyToken({ ...key, attempt: 2 }));
  t.not(idempotencyToken(key), idempotencyToken({ ...key, step: 'revoke' }));
});

t.test('a step that keeps failing ends in needs_attention within its budget, with the reason on the timeline', async (t) => {
  let calls = 0;
  const fails: Responder = {
    name: 'fails',
    params: { type: 'object' },
    async run() {
      calls++;
      throw new Error('exchange said 10003 invalid key');
    },
  };
  const env = await runnerSetup(t, { responders: { fails } });
  const id = await env.open([{ step: 'record', params: { effect: 'freeze' } }, { step: 'fails', retries: 2, backoffMs: 1_000, timeoutMs: 5_000 }, { step: 'record', params: { effect: 'never' } }]);
  const start = env.clock.now();
  await withTime(env.clock, env.runner.tick());

  t.equal((await env.store.getIncident(id))?.state, 'needs_attention');
  t.equal(calls, 3, 'first attempt and two retries');
  const runs = (await env.store.listStepRuns(id)).filter((r) => r.step === 'fails');
  t.same(runs.map((r) => [r.attempt, r.status, r.error]), [1, 2, 3].map((a) => [a, 'failed', 'exchange said 10003 invalid key']));
  t.ok(runs[1]!.startedAt - runs[0]!.finishedAt! >= 1_000 && runs[2]!.startedAt - runs[1]!.finishedAt! >= 2_000, 'retries back off');
  t.ok(env.clock.now() - start <= 3 * 5_000 + 1_000 + 2_000 + 200, 'within its budget');
  const why = (await env.store.listTimeline(id)).find((e) => e.type === 'incident.state_changed' && e.data.to === 'needs_attention');
  t.match(why?.message, /fails failed 3 times; last error: exchange said 10003/);
  t.same(readEffects(env.dir).map((e) => e.effect), ['freeze'], 'it did not carry on blindly');

  const before = (await env.store.listTimeline(id)).length;
  await env.runner.tick();
  t.equal(calls, 3, 'not run again');
  t.equal((await env.store.listTimeline(id)).length, before, 'parked quietly');
});

t.test('a step that ignores its time budget is cut off at the budget and retried with a new key', async (t) => {
  const seen: string[] = [];
  const hangs: Responder = {
    name: 'hangs',
    params: { type: 'object' },
    async run(ctx) {
      seen.push(ctx.token);
      if (ctx.key.attempt === 1) await new Promise(() => {}); // ignores ctx.signal
      return { status: 'succeeded', outputs: { attempt: ctx.key.attempt } };
    },
  };
  const env = await runnerSetup(t, { responders: { hangs } });
  const id = await env.open([{ step: 'hangs', retries: 1, timeoutMs: 2_000, backoffMs: 500 }]);
  await withTime(env.clock, env.runner.tick());
  t.equal((await env.store.getIncident(id))?.state, 'resolved');
  const runs = await env.store.listStepRuns(id);
  t.same(runs.map((r) => [r.attempt, r.status]), [
    [1, 'failed'],
    [2, 'succeeded'],
  ]);
  t.match(runs[0]?.error, /ran out of its time budget of 2000 ms/);
  t.equal(new Set(seen).size, 2, 'a retry gets a new idempotency key');
});

t.test('a plan that cannot run parks in needs_attention instead of guessing', async (t) => {
  const env = await runnerSetup(t);
  const id = await env.open([{ step: 'no-such-responder' }]);
  await env.runner.tick();
  t.equal((await env.store.getIncident(id))?.state, 'needs_attention');
  t.match((await env.store.listTimeline(id)).at(-1)?.message, /no responder named no-such-responder/);
});

t.test('the lease is renewed while a long step runs, so no other replica can take the incident', async (t) => {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const long: Responder = {
    name: 'long',
    params: { type: 'object' },
    async run() {
      await released;
      return { status: 'succeeded' };
    },
  };
  const env = await runnerSetup(t, { responders: { long } });
  const id = await env.open([{ step: 'long', timeoutMs: 600_000 }]);
  const running = env.runner.tick();
  const other = await env.newRunner('r2');
  for (let i = 0; i < 12; i++) {
    await new Promise((r) => setTimeout(r, 5));
    await env.clock.advance(5_000); // 60 s in all, four lease lifetimes
    await other.tick();
  }
  release();
  await running;
  t.equal((await env.store.getIncident(id))?.state, 'resolved');
  t.same((await env.store.listStepRuns(id)).map((r) => [r.step, r.attempt, r.writer?.holder]), [['long', 1, 'r1']]);
  t.notOk(env.events.some((e) => e.holder === 'r2' && e.type === 'claimed'), 'r2 never got the lease');
});

t.test('stop() hands a running step back unfinished; the next holder re-runs it with the same key', async (t) => {
  const tokens: string[] = [];
  let finish = false;
  const slow: Responder = {
    name: 'slow',
    params: { type: 'object' },
    async run(ctx) {
      tokens.push(ctx.token);
      if (!finish) await ctx.clock.sleep(3_600_000, ctx.signal);
      return { status: 'succeeded' };
    },
  };
  const env = await runnerSetup(t, { responders: { slow } });
  const id = await env.open([{ step: 'slow', timeoutMs: 7_200_000 }]);
  const running = env.runner.tick();
  while (!tokens.length) await new Promise((r) => setTimeout(r, 5));
  await withTime(env.clock, env.runner.stop(10_000));
  await running;
  t.same((await env.store.listStepRuns(id)).map((r) => r.status), ['running'], 'no outcome written for a step cut off by shutdown');
  t.notOk((await env.store.listTimeline(id)).some((e) => e.type === 'step.failed'));
  t.ok(((await env.store.getLease(`incident:${id}`))?.expiresAt ?? 1) <= env.clock.now(), 'the lease was released');

  finish = true;
  await (await env.newRunner('r2')).tick();
  t.equal((await env.store.getIncident(id))?.state, 'resolved');
  t.same((await env.store.listStepRuns(id)).map((r) => [r.attempt, r.status, r.writer?.holder]), [[1, 'succeeded', 'r2']]);
  t.equal(new Set(tokens).size, 1, 'same idempotency key');
});
