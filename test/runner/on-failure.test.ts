import t from 'tap';
import { randomUUID } from 'node:crypto';
import { buildPlan } from '../../src/runner/playbook.js';
import type { Responder } from '../../src/runner/responder.js';
import { readEffects } from './fixtures/responders.js';
import { runnerSetup, withTime } from '../helpers/runner-setup.js';

const boom: Responder = {
  name: 'boom',
  params: { type: 'object' },
  async run() {
    return { status: 'failed', message: 'the rollout failed' };
  },
};

t.test("a step that fails on every attempt runs the plan's failure steps once, in order, then needs attention", async (t) => {
  const env = await runnerSetup(t, { responders: { boom } });
  const plan = buildPlan(
    'emergency',
    [
      { step: 'record', params: { effect: 'rotate' } },
      { step: 'boom', retries: 1, backoffMs: 10 },
      { id: 'never', step: 'record', params: { effect: 'revoke-old' } },
    ],
    [
      { step: 'record', params: { effect: 'freeze' } },
      { step: 'boom', retries: 0 },
      { id: 'page', step: 'record', params: { effect: 'page' } },
    ],
  );
  t.same(plan.onFailure?.map((s) => s.id), ['on-failure.record', 'on-failure.boom', 'page'], 'failure steps get their own ids');
  const { incident } = await env.store.openIncident({ id: randomUUID(), credentialId: 'c1', dryRun: false, reason: 'test', target: null, plan, at: env.clock.now() });
  await withTime(env.clock, env.runner.tick(), 10);

  const after = await env.store.getIncident(incident.id);
  t.equal(after?.state, 'needs_attention');
  t.same(readEffects(env.dir).map((e) => e.effect), ['rotate', 'freeze', 'page'], 'the failure steps ran; the rest of the plan did not; a failing failure step is passed over');
  const timeline = await env.store.listTimeline(incident.id);
  const handling = timeline.filter((e) => e.type === 'incident.failure_handling');
  t.equal(handling.length, 1);
  t.match(handling[0]?.message, /boom failed 2 times; last error: the rollout failed/);
  const state = timeline.filter((e) => e.type === 'incident.state_changed').at(-1);
  t.match(state?.message, /boom failed 2 times; last error: the rollout failed/, 'the reason is on the timeline');

  await withTime(env.clock, env.runner.tick(), 10);
  t.same(readEffects(env.dir).map((e) => e.effect), ['rotate', 'freeze', 'page'], 'a later poll runs nothing again');
  t.equal((await env.store.getIncident(incident.id))?.state, 'needs_attention');
});

t.test('a plan without failure steps goes straight to needs_attention', async (t) => {
  const env = await runnerSetup(t, { responders: { boom } });
  const id = await env.open([{ step: 'boom', retries: 0 }]);
  await env.runner.tick();
  t.equal((await env.store.getIncident(id))?.state, 'needs_attention');
  t.notOk((await env.store.listTimeline(id)).some((e) => e.type === 'incident.failure_handling'));
});

t.test('failure steps are validated with the plan', async (t) => {
  const env = await runnerSetup(t, { responders: { boom } });
  const { validatePlan } = await import('../../src/runner/playbook.js');
  const plan = buildPlan('emergency', [{ step: 'boom' }], [{ step: 'nope' }]);
  t.match(validatePlan(plan, env.responders).join('; '), /on-failure.nope: no responder named nope/);
});
