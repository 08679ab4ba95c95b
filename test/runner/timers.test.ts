import t from 'tap';
import { Scrubber } from '../../src/core/scrubber.js';
import type { Responder } from '../../src/runner/responder.js';
import { Runner } from '../../src/runner/runner.js';
import { openStore } from '../../src/store/open.js';
import { readEffects } from './fixtures/responders.js';
import { runnerSetup } from '../helpers/runner-setup.js';

const DAY = 86_400_000;

/** Like the scheduled playbook: promote now, revoke the old key after a 24 h grace period. */
const promote: Responder = {
  name: 'promote',
  params: { type: 'object' },
  async run(ctx) {
    await ctx.schedule({ name: 'revoke-old', delayMs: DAY, responder: 'record', params: { effect: 'revoke-old' } });
    return { status: 'succeeded', outputs: { graceUntil: ctx.clock.now() + DAY } };
  },
};

t.test('a durable timer fires after a restart, once across two replicas', async (t) => {
  const env = await runnerSetup(t, { backend: 'postgres', responders: { promote } });
  const id = await env.open([{ step: 'promote' }], { playbook: 'scheduled' });
  await env.runner.tick();
  t.equal((await env.store.getIncident(id))?.state, 'resolved', 'the incident resolves; the timer outlives it');
  const [timer] = await env.store.listWork({ incidentId: id });
  t.equal(timer?.runAt, env.clock.now() + DAY);
  await env.runner.tick();
  t.equal((await env.store.listWork({ incidentId: id })).length, 1, 'a re-run does not schedule twice');
  await env.runner.stop();

  // The restart: new processes would open the store afresh; two replicas now.
  const stores = await Promise.all([0, 1].map(() => openStore({ url: env.url, schema: env.schema, scrubber: new Scrubber() })));
  t.teardown(() => Promise.all(stores.map((s) => s.close())));
  const replicas = stores.map((store, i) => new Runner({ store, clock: env.clock, responders: env.responders, holder: `replica-${i}`, leaseTtlMs: 15_000 }));
  t.teardown(() => Promise.all(replicas.map((r) => r.stop(0))));

  await env.clock.advance(DAY - 60_000);
  await Promise.all(replicas.map((r) => r.tick()));
  t.same(readEffects(env.dir), [], 'not before it is due');

  await env.clock.advance(120_000);
  await Promise.all(replicas.map((r) => r.tick()));
  await Promise.all(replicas.map((r) => r.tick()));
  t.same(readEffects(env.dir).map((e) => e.effect), ['revoke-old'], 'fired exactly once');
  t.ok((await env.store.listWork({ incidentId: id }))[0]?.finishedAt, 'marked fired');
  const timeline = await env.store.listTimeline(id);
  t.equal(timeline.filter((e) => e.type === 'timer.fired').length, 1);
  t.ok(timeline.some((e) => e.type === 'timer.scheduled' && e.data.timerId === timer!.id));
  const run = (await env.store.listStepRuns(id)).find((r) => r.step === 'promote.revoke-old');
  t.equal(run?.status, 'succeeded', 'journaled like any step');
  t.match(run?.writer?.holder, /^replica-/);
});
