import t from 'tap';
import { ManualClock, systemClock } from '../../src/core/clock.js';

t.test('ManualClock wakes sleepers in time order as it advances', async (t) => {
  const clock = new ManualClock(1_000);
  const woke: string[] = [];
  const a = clock.sleep(500).then(() => woke.push(`a@${clock.now()}`));
  const b = clock.sleep(200).then(() => woke.push(`b@${clock.now()}`));
  t.equal(clock.pending, 2);
  await clock.advance(300);
  t.same(woke, ['b@1200']);
  t.equal(clock.now(), 1_300);
  await clock.advance(1_000);
  await Promise.all([a, b]);
  t.same(woke, ['b@1200', 'a@1500']);
  t.equal(clock.now(), 2_300);
});

t.test('ManualClock sleep rejects when aborted and is no longer pending', async (t) => {
  const clock = new ManualClock();
  const ac = new AbortController();
  const p = clock.sleep(1_000, ac.signal);
  ac.abort(new Error('budget'));
  await t.rejects(p, { message: 'budget' });
  t.equal(clock.pending, 0);
});

t.test('systemClock sleeps and can be aborted', async (t) => {
  const before = systemClock.now();
  await systemClock.sleep(5);
  t.ok(systemClock.now() >= before);
  const ac = new AbortController();
  const p = systemClock.sleep(10_000, ac.signal);
  ac.abort(new Error('stop'));
  await t.rejects(p, { message: 'stop' });
});
