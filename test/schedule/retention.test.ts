import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { parseConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/http/logger.js';
import { createLeakGuard, type LeakGuard } from '../../src/leakguard.js';
import type { WorkItem } from '../../src/store/store.js';
import type { WorkOutcome } from '../../src/queue/worker.js';
import { captureLog } from '../helpers/logs.js';
import { driveClock } from '../helpers/clock.js';
import { BACKENDS } from '../helpers/stores.js';

const DAY = 86_400_000;

/** Two replicas on one store: the hourly pruning runs once per period however many start, and keeps every incident. */
for (const [name, open] of Object.entries(BACKENDS)) {
  t.test(`${name}: retention runs once per period across two replicas, prunes what is old and keeps every incident`, async (t) => {
    const ts = await open();
    t.teardown(ts.cleanup);
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 10, 30));
    const start = clock.now();
    const { store } = ts;

    const signal = (dedupKey: string) => ({ source: 'github', kind: 'github.secret.public_leak', credentialId: 'c1', confidence: 'confirmed' as const, observedAt: 0, evidence: {}, dedupKey });
    const old = start - 31 * DAY;
    const loose = await store.recordSignal(signal('old-loose'), old);
    const held = await store.recordSignal(signal('old-held'), old);
    const recent = await store.recordSignal(signal('recent'), start - 29 * DAY);
    const { incident } = await store.openIncident({ id: 'i-old', credentialId: 'c1', dryRun: false, reason: 'leak', target: null, plan: { playbook: 'break-glass' }, at: old });
    await store.attachSignal(held.signal.id, incident.id);
    await store.appendTimeline({ incidentId: incident.id, at: old, actor: 'system:test', type: 'x', message: 'opened', data: {} });
    await store.updateIncident(incident.id, { state: 'resolved', at: old });
    await store.putBaseline('github', 'hooks', {}, old);

    const ends: { replica: string; item: WorkItem; outcome: WorkOutcome }[] = [];
    const waiters = new Set<() => void>();
    const until = (pred: () => boolean) => new Promise<void>((resolve) => {
      const check = () => pred() && (waiters.delete(check), resolve());
      waiters.add(check);
      check();
    });
    const replicas: LeakGuard[] = [];
    for (const replica of ['a', 'b']) {
      const logger = createLogger(ts.scrubber, { level: 'info', destination: captureLog().stream });
      const lg = await createLeakGuard(parseConfig({ retention: { maxAgeDays: 30, everyMinutes: 60 } }), {
        store,
        scrubber: ts.scrubber,
        clock,
        logger,
        // A long poll: the runner still wakes when the next period comes due, and the hour's jump costs few polls.
        runner: { holder: replica, pollMs: 30 * 60_000, onWork: (item, outcome) => (ends.push({ replica, item, outcome }), waiters.forEach((w) => w())) },
      });
      replicas.push(lg);
      t.teardown(() => lg.close(0));
    }
    await Promise.all(replicas.map((r) => r.start()));
    const period0 = `retention:${Date.UTC(2026, 5, 1, 10)}`;
    await until(() => ends.some((e) => e.item.id === period0));

    t.equal(await store.getSignal(loose.signal.id), undefined, 'an old signal no incident holds is pruned');
    t.ok(await store.getSignal(held.signal.id), "the incident's own signal is kept");
    t.ok(await store.getSignal(recent.signal.id), 'a signal younger than maxAgeDays is kept');
    t.equal(await store.getBaseline('github', 'hooks'), undefined, 'a stale baseline is pruned');
    t.match(await store.getIncident(incident.id), { state: 'resolved' });
    t.equal((await store.listTimeline(incident.id)).length, 1);

    // The next hour: one run again, by either replica.
    const period1 = `retention:${Date.UTC(2026, 5, 1, 11)}`;
    t.match(await store.getWork(period1), { status: 'pending' }, 'the next period is queued once the first ran');
    // Up to just before the hour at once, then in poll-sized steps: a runner mid-poll sleeps a poll after the jump.
    await clock.advance(Date.UTC(2026, 5, 1, 11) - clock.now() - 5_000);
    const stop = driveClock(clock, 1_000);
    await until(() => ends.some((e) => e.item.id === period1));
    stop();
    const runs = ends.filter((e) => e.item.kind === 'retention');
    t.same(runs.map((e) => [e.item.id, e.outcome]), [[period0, 'done'], [period1, 'done']], 'each period ran exactly once across both replicas');
    t.equal((await store.listWork({ kind: 'retention' })).length, 3, 'two done, the third period pending');
  });
}
