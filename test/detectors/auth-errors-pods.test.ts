import { CoreV1Api } from '@kubernetes/client-node';
import t from 'tap';
import { ManualClock } from '../../src/core/clock.js';
import { KubernetesSim } from '../sim/kubernetes/index.js';
import { WORLD } from '../sim/world.js';
import { authErrorsSetup, BYBIT_ID } from '../helpers/auth-errors.js';

const NS = WORLD.namespace;

const bot = (name: string) => ({
  metadata: { name, namespace: NS, labels: { app: 'live-trading-bot' } },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'live-trading-bot' } },
    template: { metadata: { labels: { app: 'live-trading-bot' } }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'bot', image: 'ghcr.io/example/live-trading-bot:1.0' }] } },
  },
});

/** Yields to the event loop until `check` holds: waits on what the simulator and LeakGuard do, never on time. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setImmediate(r));
}

const authError = (n: number) => `ERROR bybit auth error HTTP 401 retCode=10003 retMsg="API key is invalid." n=${n}`;

t.test('the follower reads every pod of the selector from its start, survives a dropped stream without losing or doubling a line, picks up a new pod and lets a deleted one go', async (t) => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  const sim = new KubernetesSim({ clock, podStartMs: 0 });
  await sim.start();
  t.teardown(() => sim.close());
  sim.addDeployment(bot(WORLD.deployment));
  const [first] = sim.pods(NS, WORLD.selector).map((p) => p.metadata.name);
  // Lines written before LeakGuard started are history: they must not count as a spike now.
  for (let i = 0; i < 30; i++) sim.appendLog(NS, first!, authError(-1));
  await clock.advance(1_500);

  const s = await authErrorsSetup(t, { kubeConfig: sim.kubeConfig(NS), clock });
  const following = () => ((s.lg.intake.health().find((d) => d.name === 'auth-errors')?.details.following ?? {}) as Record<string, string[]>)[BYBIT_ID] ?? [];
  await s.lg.intake.start();
  await until(() => sim.logFollowers(NS, first!) === 1);
  t.same(following(), [first], 'the pod of the selector is followed');

  for (let n = 0; n < 10; n++) {
    // The last two lines before the drop share a timestamp: the replay must skip both, not one.
    if (n !== 9) await clock.advance(1);
    sim.appendLog(NS, first!, authError(n));
  }
  sim.dropLogStreams(NS, first!);
  t.equal(sim.logFollowers(NS, first!), 0, 'the stream is gone');
  await until(() => sim.logFollowers(NS, first!) === 1);
  for (let n = 10; n < 20; n++) {
    await clock.advance(1);
    sim.appendLog(NS, first!, authError(n));
  }
  const spike = await s.signal((x) => x.kind === 'auth_errors.spike');
  // Reached on the 20th line exactly: a lost line would give no spike, a doubled one an earlier spike with other samples.
  t.match(spike.evidence, { count: 20, sources: ['pod-logs'] });
  t.same((spike.evidence.samples as string[]).map((l) => /n=(-?\d+)/.exec(l)?.[1]), ['15', '16', '17', '18', '19']);
  t.equal(s.signals.length, 1, 'history before the start gave nothing');

  // A pod that appears later is followed from its first line.
  await clock.advance(180_000);
  sim.addDeployment(bot(`${WORLD.deployment}-canary`));
  const second = sim.pods(NS, WORLD.selector).map((p) => p.metadata.name).find((n) => n !== first)!;
  for (let n = 100; n < 120; n++) sim.appendLog(NS, second, authError(n));
  const later = await s.signal((x) => x.kind === 'auth_errors.spike' && x.id !== spike.id);
  t.match(later.evidence, { count: 20 });
  t.ok((later.evidence.samples as string[]).every((l) => /n=1[01]\d/.test(l)), 'the new pod\'s lines, from its first one');
  t.same([...following()].sort(), [first, second].sort());

  // A deleted pod is let go (its Deployment makes a new one, which is followed like any new pod).
  await sim.kubeConfig(NS).makeApiClient(CoreV1Api).deleteNamespacedPod({ name: first!, namespace: NS, gracePeriodSeconds: 0 });
  await clock.advance(2_000);
  sim.tick();
  await until(() => !following().includes(first!));
  t.ok(following().includes(second), 'the other pod is still followed (the deployment\'s replacement for the deleted one may be too)');
  t.equal(sim.logFollowers(NS, first!), 0);
});
