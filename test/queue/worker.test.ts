import t, { type Test } from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { Worker, type WorkHandler } from '../../src/queue/worker.js';
import type { WorkItem } from '../../src/store/store.js';
import { sqliteStore } from '../helpers/stores.js';

const quiet = { warn() {}, error() {} };

/** A worker on a fresh store running one item whose handler waits until the test lets it end (or its claim is lost). */
async function setup(t: Test) {
  const ts = await sqliteStore();
  t.teardown(ts.cleanup);
  const clock = new ManualClock(10_000);
  let release!: () => void;
  const ended = new Promise<void>((resolve) => (release = resolve));
  let begin!: (run: { item: WorkItem; signal: AbortSignal }) => void;
  const begun = new Promise<{ item: WorkItem; signal: AbortSignal }>((resolve) => (begin = resolve));
  const long: WorkHandler = {
    async run(item, signal) {
      begin({ item, signal });
      await Promise.race([ended, new Promise((r) => signal.addEventListener('abort', r))]);
      return 'done';
    },
  };
  const worker = new Worker({ store: ts.store, clock, holder: 'w1', claimTtlMs: 3_000, maxConcurrent: 1, logger: quiet, handlers: { long } });
  t.teardown(() => (release(), worker.settled()));
  await ts.store.enqueueWork({ id: 'w:long', kind: 'long', payload: {}, runAt: 0, at: 0 });
  await worker.pass();
  return { ts, clock, release, worker, running: await begun };
}

t.test('a long handler keeps its claim: no other worker gets the item while it runs', async (t) => {
  const { ts, clock, release, worker } = await setup(t);
  /** The renewal is a store write after the clock wakes it: wait until it has landed. */
  const renewed = async (after: number) => {
    while (((await ts.store.getWork('w:long'))?.claimedUntil ?? 0) <= after) await new Promise((r) => setImmediate(r));
  };
  for (let i = 0; i < 5; i++) {
    await clock.advance(1_000);
    await renewed(clock.now() + 1_000);
    t.same(await ts.store.claimWork('w2', { kinds: ['long'], now: clock.now(), claimTtlMs: 3_000, limit: 1 }), [], `at +${(i + 1) * 1_000} ms the claim is still live`);
  }
  t.ok((await ts.store.getWork('w:long'))!.claimedUntil! > clock.now(), 'extended past the first time to live');
  release();
  await worker.settled();
  t.match(await ts.store.getWork('w:long'), { status: 'done' }, 'and the first worker finished it');
});

t.test('a claim lost while running aborts the handler, and its late end is not recorded', async (t) => {
  const { ts, clock, worker, running } = await setup(t);
  const { item, signal } = running;
  // Another worker has it now (as after a lapse): the claim is no longer this one.
  t.equal(await ts.store.releaseWork(item, clock.now()), true);
  const [taken] = await ts.store.claimWork('w2', { kinds: ['long'], now: clock.now(), claimTtlMs: 3_000, limit: 1 });
  t.equal(taken?.claimedBy, 'w2');
  await clock.advance(1_000);
  await worker.settled();
  t.ok(signal.aborted, 'the handler was told');
  t.match(await ts.store.getWork('w:long'), { status: 'pending', claimedBy: 'w2' }, "the new claimer's claim stands");
});
