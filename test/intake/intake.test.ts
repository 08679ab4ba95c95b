import t, { type Test } from 'tap';
import Fastify from 'fastify';
import { Type } from '@sinclair/typebox';
import { ManualClock } from '../../src/core/clock.js';
import type { SignalInput } from '../../src/core/signal.js';
import type { Detector, DetectorContext } from '../../src/intake/detector.js';
import { Intake, SIGNAL_WORK } from '../../src/intake/intake.js';
import { exchangeReads } from '../../src/intake/exchange-reads.js';
import { CredentialMatcher } from '../../src/intake/matcher.js';
import { detectorSection } from '../../src/intake/section.js';
import { createLogger } from '../../src/http/logger.js';
import type { WorkHandler } from '../../src/queue/worker.js';
import { captureLog } from '../helpers/logs.js';
import { sqliteStore } from '../helpers/stores.js';

/** A detector of this test: what a new folder under detectors/ would hold. */
function probe(opts: { failStart?: boolean } = {}) {
  const seen: { ctx?: DetectorContext<{ enabled: boolean; silentAfterMinutes?: number; greeting: string }> } = {};
  const detector: Detector<ReturnType<typeof schema>> = {
    name: 'probe',
    title: 'Probe',
    configSchema: schema(),
    routes(app, ctx) {
      app.get('/probe', async () => ({ greeting: ctx.config.greeting }));
    },
    start(ctx) {
      seen.ctx = ctx;
      if (opts.failStart) throw new Error('cannot reach the source with key probe-secret-0123');
      return async () => {};
    },
  };
  return { detector, seen };
}
const schema = () => detectorSection({ greeting: Type.String({ default: 'hi' }) }, 'a test detector');

async function setup(t: Test, section: Record<string, unknown>, detector: Detector) {
  const ts = await sqliteStore();
  t.teardown(() => ts.cleanup());
  const clock = new ManualClock();
  const log = captureLog();
  const alarms: string[] = [];
  const handlers: Record<string, WorkHandler> = {};
  const intake = new Intake({
    sections: { probe: section },
    detectors: [detector],
    store: ts.store,
    clock,
    scrubber: ts.scrubber,
    logger: createLogger(ts.scrubber, { destination: log.stream }),
    matcher: new CredentialMatcher({ credentials: [], clients: {} as never, revokedFingerprints: async () => new Set() }),
    checkKey: async () => ({ state: 'unknown', detail: 'no exchange here' }),
    credentials: [],
    pods: {} as never,
    errorCodes: () => ({}),
    exchange: exchangeReads({} as never),
    secret: async () => 'unused',
    handle: (kind, h) => (handlers[kind] = h),
    attention: async () => null,
    alarm: (text) => alarms.push(text),
  });
  t.teardown(() => intake.stop());
  return { ts, clock, intake, alarms, handlers, log };
}

const input = (over: Partial<SignalInput> = {}): SignalInput => ({ source: 'probe', kind: 'probe.seen', credentialId: 'c1', confidence: 'suspected', observedAt: 1, evidence: { n: 1 }, dedupKey: 'probe:1', ...over });

t.test('emit: evidence scrubbed, stored once by its dedupKey, queued for the engine once; unmatched and revoked signals are for the audit only', async (t) => {
  const { ts, intake } = await setup(t, { enabled: true }, probe().detector);
  ts.scrubber.register('s3cr3t-value-0123');
  const first = await intake.emit(input({ evidence: { line: 'key=s3cr3t-value-0123 refused' } }));
  t.equal(first.created, true);
  t.same(first.signal.evidence, { line: 'key=[REDACTED] refused' });
  const again = await intake.emit(input({ evidence: { other: true } }));
  t.equal(again.created, false);
  t.equal(again.signal.id, first.signal.id);
  t.same((await ts.store.listWork({ kind: SIGNAL_WORK })).map((w) => w.payload), [{ signalId: first.signal.id }], 'one work item for the engine');
  await intake.emit(input({ kind: 'probe.seen.unmatched', credentialId: null, dedupKey: 'probe:2' }));
  await intake.emit(input({ dedupKey: 'probe:3', match: { key: 'credential', field: 'api_key', revoked: true } }));
  t.equal((await ts.store.listSignals({})).length, 3, 'all three stored');
  t.equal((await ts.store.listWork({ kind: SIGNAL_WORK })).length, 1, 'only the actionable one queued');
});

t.test("a detector's routes live in their own scope, its work kinds and state are namespaced by its name", async (t) => {
  const { detector, seen } = probe();
  const { ts, intake, handlers } = await setup(t, { enabled: true, greeting: 'hello' }, detector);
  const app = Fastify();
  await intake.routes(app);
  t.same((await app.inject({ method: 'GET', url: '/probe' })).json(), { greeting: 'hello' });
  await intake.start();
  const ctx = seen.ctx!;
  ctx.work.handle('poll', { run: async () => 'done' });
  t.same(Object.keys(handlers), ['probe.poll']);
  t.same(await ctx.work.enqueue('poll', 'a', { x: 1 }), { created: true });
  t.same(await ctx.work.enqueue('poll', 'a', { x: 2 }), { created: false }, 'the id is the idempotency key');
  t.equal((await ts.store.getWork('probe.poll:a'))?.kind, 'probe.poll');
  await ctx.state.put('cursor', { at: 5 });
  t.same(await ts.store.getBaseline('probe', 'cursor'), { at: 5 });
  t.same(await ctx.state.get('cursor'), { at: 5 });
});

t.test('a disabled detector gets no routes and is not started', async (t) => {
  const { detector, seen } = probe();
  const { intake } = await setup(t, { enabled: false }, detector);
  const app = Fastify();
  await intake.routes(app);
  t.equal((await app.inject({ method: 'GET', url: '/probe' })).statusCode, 404);
  await intake.start();
  t.equal(seen.ctx, undefined);
  t.same(intake.health(), []);
});

t.test('silence: an alarm once the source was quiet for longer than silentAfterMinutes, one per silence, cleared by the next word', async (t) => {
  const { detector, seen } = probe();
  const { intake, clock, alarms } = await setup(t, { enabled: true, silentAfterMinutes: 30 }, detector);
  await intake.start();
  await clock.advance(29 * 60_000);
  intake.checkSilence();
  t.same(alarms, [], 'not yet');
  await clock.advance(2 * 60_000);
  intake.checkSilence();
  t.equal(alarms.length, 1);
  t.match(alarms[0], /Probe is silent: nothing since LeakGuard started \(more than 30 min\)\. .*check that the source still sends/);
  t.equal(intake.health()[0]!.silent, true);
  intake.checkSilence();
  t.equal(alarms.length, 1, 'one alarm per silence');
  seen.ctx!.heard();
  t.equal(intake.health()[0]!.silent, false);
  t.equal(intake.health()[0]!.lastHeardAt, clock.now());
  await clock.advance(31 * 60_000);
  intake.checkSilence();
  t.equal(alarms.length, 2, 'a new silence, a new alarm');
  t.match(alarms[1], `nothing since ${new Date(clock.now() - 31 * 60_000).toISOString()}`);
});

t.test('a detector that fails to start says why in its health (scrubbed); the others run', async (t) => {
  const { ts, intake, log } = await setup(t, { enabled: true }, probe({ failStart: true }).detector);
  ts.scrubber.register('probe-secret-0123');
  await intake.start();
  t.match(intake.health()[0]!.limits, ['failed to start: cannot reach the source with key [REDACTED]']);
  t.notMatch(log.text(), 'probe-secret-0123');
  t.match(log.text(), 'detector probe failed to start');
});
