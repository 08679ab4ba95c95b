import t from 'tap';
import { PassThrough } from 'node:stream';
import { Log, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import type { Deployment } from './kubernetes/deployments.js';
import type { KubeObject } from './kubernetes/store.js';
import { kubectlRolloutStatus } from './kubernetes/rollout-status.js';
import { advance, fixtureText, startSim } from './kubernetes/testing.js';

const NS = 'edit-test';
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
const restartPatch = (at: string) => ({ spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at } } } } });
const progressing = (d: Deployment) => d.status?.conditions?.find((c) => c.type === 'Progressing');
const active = (pods: KubeObject[]) => pods.filter((p) => !p.metadata.deletionTimestamp);
const hashOf = (p: KubeObject) => p.metadata.labels?.['pod-template-hash'];

t.test('a restart rolls pods over time; kubectl says "successfully rolled out" only at the end', async (t) => {
  const { sim, clock, apps, seedNginx } = await startSim(t, { podStartMs: 5000 });
  seedNginx(3);
  const oldHash = hashOf(sim.pods(NS)[0] as KubeObject);
  t.equal(sim.rolloutStatus(NS, 'nginx').done, true, 'the seeded deployment is rolled out');

  // LeakGuard's restore: replicas and the restart annotation in one patch.
  const patched = await apps.patchNamespacedDeployment(
    { name: 'nginx', namespace: NS, body: { spec: { replicas: 4, ...restartPatch('2026-01-01T12:00:00Z').spec } } },
    strategic,
  );
  t.equal(kubectlRolloutStatus(patched as Deployment).message, 'Waiting for deployment spec update to be observed...');

  const reasons = new Set<string>();
  const messages: string[] = [];
  let maxActive = 0;
  let doneAt: number | undefined;
  for (let i = 0; i < 120 && doneAt === undefined; i++) {
    await advance(sim, clock, 500, 500);
    const d = sim.deployment(NS, 'nginx') as Deployment;
    const status = kubectlRolloutStatus(d);
    messages.push(status.message);
    reasons.add(progressing(d)?.reason as string);
    maxActive = Math.max(maxActive, active(sim.pods(NS)).length);
    t.notOk(status.error, 'never an error');
    if (status.done) {
      doneAt = i;
      t.equal(progressing(d)?.reason, 'NewReplicaSetAvailable', 'done exactly when Progressing says NewReplicaSetAvailable');
      t.match(progressing(d)?.message, /^ReplicaSet "nginx-[b-z2-9]+" has successfully progressed\.$/);
      t.equal(d.status?.updatedReplicas, 4);
      t.equal(d.status?.availableReplicas, 4);
      t.equal(d.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
    } else t.not(progressing(d)?.reason === 'NewReplicaSetAvailable' && d.status?.observedGeneration === d.metadata.generation, true);
  }
  t.ok(doneAt !== undefined && doneAt >= 10, `took several pod start times (${doneAt} half-seconds)`);
  t.ok(reasons.has('ReplicaSetUpdated'), 'ReplicaSetUpdated while progressing');
  t.ok(messages.some((m) => /\d+ out of 4 new replicas have been updated/.test(m)));
  t.ok(messages.some((m) => /old replicas are pending termination/.test(m)));
  t.ok(maxActive <= 4 + 1, `maxSurge 25% of 4 is one extra pod (saw ${maxActive})`);

  const pods = sim.pods(NS, 'app=nginx');
  t.ok(pods.some((p) => hashOf(p) === oldHash && p.metadata.deletionTimestamp), 'old pods are Terminating');
  const fresh = active(pods);
  t.equal(fresh.length, 4);
  for (const p of fresh) {
    t.not(hashOf(p), oldHash, 'new template hash');
    t.equal(p.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'], '2026-01-01T12:00:00Z');
    t.match(p.metadata.name, new RegExp(`^nginx-${hashOf(p)}-[b-z2-9]{5}$`));
  }
  await advance(sim, clock, 30_000, 5000);
  t.equal(sim.pods(NS).length, 4, 'terminated pods are gone after the grace period');
});

t.test('a rollout whose pods never get ready ends in ProgressDeadlineExceeded', async (t) => {
  const { sim, clock, apps, seedNginx } = await startSim(t);
  seedNginx(3);
  sim.configureDeployment(NS, 'nginx', { failing: true });
  await apps.patchNamespacedDeployment({ name: 'nginx', namespace: NS, body: restartPatch('2026-01-01T12:00:00Z') }, strategic);
  await advance(sim, clock, 60_000, 5000);
  let d = sim.deployment(NS, 'nginx') as Deployment;
  t.match(progressing(d), { status: 'True', reason: 'NewReplicaSetCreated' });
  t.equal(kubectlRolloutStatus(d).message, 'Waiting for deployment "nginx" rollout to finish: 1 out of 3 new replicas have been updated...');
  t.equal(d.status?.availableReplicas, 3, 'the old pods keep serving');

  await advance(sim, clock, 600_000 - 65_000, 5000);
  t.not(progressing(sim.deployment(NS, 'nginx') as Deployment)?.reason, 'ProgressDeadlineExceeded', 'not before the deadline');
  await advance(sim, clock, 10_000, 5000);
  d = sim.deployment(NS, 'nginx') as Deployment;
  t.match(progressing(d), { status: 'False', reason: 'ProgressDeadlineExceeded', message: /^ReplicaSet "nginx-[b-z2-9]+" has timed out progressing\.$/ });
  t.same(kubectlRolloutStatus(d).error, 'deployment "nginx" exceeded its progress deadline');
  t.match(fixtureText('deployment.status.progress-deadline-exceeded.k8s-docs.yaml'), /Progressing\s+False\s+ProgressDeadlineExceeded/);
  t.match(d.status, { observedGeneration: d.metadata.generation, replicas: 4, updatedReplicas: 1, availableReplicas: 3, unavailableReplicas: undefined });
  const crashing = active(sim.pods(NS)).filter((p) => (p.status as V1Pod['status'])?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff');
  t.equal(crashing.length, 1, 'the new pod is in CrashLoopBackOff');
});

t.test('scale to 0: pods are Terminating for the grace period, then gone', async (t) => {
  const { sim, clock, apps, core, seedNginx } = await startSim(t);
  seedNginx(2);
  const stopped: string[] = [];
  sim.onPodStopped((pod, why) => stopped.push(`${pod.metadata.name}:${why}`));
  await apps.patchNamespacedDeploymentScale({ name: 'nginx', namespace: NS, body: { spec: { replicas: 0 } } }, merge);
  await advance(sim, clock, 1000);
  const listed = await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=nginx' });
  t.equal(listed.items.length, 2, 'still listed');
  for (const p of listed.items) {
    t.ok(p.metadata?.deletionTimestamp instanceof Date, 'deletionTimestamp set');
    t.equal(p.metadata?.deletionGracePeriodSeconds, 30);
  }
  const d = sim.deployment(NS, 'nginx') as Deployment;
  t.notOk('replicas' in (d.status ?? {}), 'status.replicas is omitted at zero, as the API server does');
  t.equal(sim.rolloutStatus(NS, 'nginx').done, true);
  t.same(stopped, [], 'the containers run until the grace period ends');
  await advance(sim, clock, 28_000);
  t.equal((await core.listNamespacedPod({ namespace: NS })).items.length, 2);
  await advance(sim, clock, 2000);
  t.equal((await core.listNamespacedPod({ namespace: NS })).items.length, 0, 'gone after 30 s');
  t.equal(stopped.length, 2);
  t.ok(stopped.every((s) => s.endsWith(':deleted')));
});

t.test('pods follow the deployment: labels, owner, selector listing, scale up', async (t) => {
  const { sim, clock, core, apps, seedNginx } = await startSim(t, { podStartMs: 3000 });
  seedNginx(1);
  await apps.patchNamespacedDeploymentScale({ name: 'nginx', namespace: NS, body: { spec: { replicas: 3 } } }, merge);
  await advance(sim, clock, 1000);
  const pods = (await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=nginx,pod-template-hash' })).items;
  t.equal(pods.length, 3);
  const pending = pods.filter((p) => p.status?.phase === 'Pending');
  t.equal(pending.length, 2, 'new pods are Pending until they start');
  t.match(pending[0]?.status?.containerStatuses?.[0]?.state?.waiting, { reason: 'ContainerCreating' });
  for (const p of pods) {
    t.equal(p.metadata?.labels?.app, 'nginx');
    t.match(p.metadata?.ownerReferences?.[0], { kind: 'ReplicaSet', controller: true, name: `nginx-${p.metadata?.labels?.['pod-template-hash']}` });
  }
  t.equal((await core.listNamespacedPod({ namespace: NS, labelSelector: 'app=other' })).items.length, 0);
  t.equal((await core.listNamespacedPod({ namespace: NS, fieldSelector: 'status.phase=Running' })).items.length, 1);
  await advance(sim, clock, 3000);
  const running = (await core.listNamespacedPod({ namespace: NS })).items;
  t.ok(running.every((p) => p.status?.phase === 'Running' && p.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True'));
  t.equal(sim.rolloutStatus(NS, 'nginx').done, true);
});

t.test('Recreate: the old pod is gone before the new one starts', async (t) => {
  const { sim, clock, apps, seedNginx } = await startSim(t, { podStartMs: 2000 });
  seedNginx(1);
  await apps.patchNamespacedDeployment({ name: 'nginx', namespace: NS, body: { spec: { strategy: { type: 'Recreate', rollingUpdate: null } } } }, merge);
  await advance(sim, clock, 1000);
  const before = sim.pods(NS);
  await apps.patchNamespacedDeployment({ name: 'nginx', namespace: NS, body: restartPatch('now') }, strategic);
  for (let i = 0; i < 40; i++) {
    await advance(sim, clock, 1000);
    const pods = sim.pods(NS);
    t.ok(pods.length <= 1, 'never two pods at once');
  }
  const after = sim.pods(NS);
  t.equal(after.length, 1);
  t.not(after[0]?.metadata.name, before[0]?.metadata.name);
  t.equal(sim.rolloutStatus(NS, 'nginx').done, true);
});

t.test('code inside pods: env from Secrets, logs, crash and restart', async (t) => {
  const { sim, clock, kc, apps, seedNginx } = await startSim(t, { podStartMs: 1000 });
  sim.putSecret(NS, 'bot-key', { apiKey: 'key-1' });
  const started: { name: string; env: Record<string, string> }[] = [];
  const signals: AbortSignal[] = [];
  sim.onPodStarted((pod, ctx) => {
    started.push({ name: pod.metadata.name, env: ctx.env });
    signals.push(ctx.signal);
    ctx.appendLog(`starting with ${ctx.env.API_KEY}`);
  });
  const manifest = seedNginx(1, { settled: false });
  t.equal(manifest.status?.observedGeneration, undefined, 'not yet observed when created through the API');
  await apps.patchNamespacedDeployment(
    {
      name: 'nginx',
      namespace: NS,
      body: { spec: { template: { spec: { containers: [{ name: 'nginx', env: [{ name: 'API_KEY', valueFrom: { secretKeyRef: { name: 'bot-key', key: 'apiKey' } } }] }] } } } },
    },
    strategic,
  );
  await advance(sim, clock, 5000);
  t.equal(started.length, 1, 'only the latest template\'s pod started');
  t.same(started[0]?.env, { API_KEY: 'key-1' });
  const pod = started[0]?.name as string;

  // Follow the log, then append after the request started.
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  const ended = new Promise((r) => out.on('end', r));
  await new Log(kc).log(NS, pod, 'nginx', out, { follow: true });
  sim.appendLog(NS, pod, 'order placed');
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => text.includes('order placed') && (clearInterval(poll), resolve()), 5);
  });
  t.equal(text, 'starting with key-1\norder placed\n');

  const tail = new PassThrough();
  let tailText = '';
  tail.on('data', (c: Buffer) => (tailText += c.toString()));
  await new Log(kc).log(NS, pod, 'nginx', tail, { tailLines: 1 });
  await new Promise((r) => tail.on('end', r));
  t.equal(tailText, 'order placed\n');

  // The key is rotated, the bot crashes on the old one and picks the new one up on restart.
  sim.putSecret(NS, 'bot-key', { apiKey: 'key-2' });
  sim.crashPod(NS, pod, 'invalid api key');
  t.equal(signals[0]?.aborted, true);
  await ended;
  t.pass('the followed log ends when the container stops');
  let d = sim.deployment(NS, 'nginx') as Deployment;
  t.notOk(d.status?.availableReplicas, 'a crashed pod is not available');
  const crashed = sim.pods(NS)[0] as KubeObject & V1Pod;
  t.match(crashed.status?.containerStatuses?.[0], { ready: false, restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } } });
  await advance(sim, clock, 10_000);
  t.equal(started.length, 2);
  t.same(started[1]?.env, { API_KEY: 'key-2' });
  d = sim.deployment(NS, 'nginx') as Deployment;
  t.equal(d.status?.availableReplicas, 1);
});

t.test('a pod whose Secret is missing waits in CreateContainerConfigError', async (t) => {
  const { sim, clock, apps, seedNginx } = await startSim(t, { podStartMs: 1000 });
  seedNginx(1);
  await apps.patchNamespacedDeployment(
    { name: 'nginx', namespace: NS, body: { spec: { template: { spec: { containers: [{ name: 'nginx', envFrom: [{ secretRef: { name: 'absent' } }] }] } } } } },
    strategic,
  );
  await advance(sim, clock, 5000);
  const waiting = sim.pods(NS).map((p) => (p.status as V1Pod['status'])?.containerStatuses?.[0]?.state?.waiting).find(Boolean);
  t.match(waiting, { reason: 'CreateContainerConfigError', message: 'secret "absent" not found' });
  sim.putSecret(NS, 'absent', { K: 'v' });
  await advance(sim, clock, 20_000);
  t.equal(sim.rolloutStatus(NS, 'nginx').done, true, 'starts once the Secret exists');
});

t.test('deleting a pod replaces it; deleting the deployment terminates its pods', async (t) => {
  const { sim, clock, apps, core, seedNginx } = await startSim(t, { podStartMs: 1000 });
  seedNginx(2);
  const victim = sim.pods(NS)[0] as KubeObject;
  const deleted = await core.deleteNamespacedPod({ name: victim.metadata.name, namespace: NS, gracePeriodSeconds: 5 });
  t.equal(deleted.metadata?.deletionGracePeriodSeconds, 5);
  await advance(sim, clock, 2000);
  t.equal(active(sim.pods(NS)).length, 2, 'the ReplicaSet replaced it');
  t.equal(sim.pods(NS).length, 3, 'the deleted pod is still Terminating');
  await advance(sim, clock, 4000);
  t.notOk(sim.pods(NS).some((p) => p.metadata.name === victim.metadata.name), 'gone after its 5 s grace period');
  t.equal(sim.rolloutStatus(NS, 'nginx').done, true);

  await apps.deleteNamespacedDeployment({ name: 'nginx', namespace: NS });
  t.equal(active(sim.pods(NS)).length, 0, 'all pods Terminating');
  await advance(sim, clock, 30_000, 5000);
  t.equal(sim.pods(NS).length, 0);
  t.equal(sim.deployment(NS, 'nginx'), undefined);
});

t.test('pod logs: timestamps=true prefixes RFC3339Nano, sinceTime is taken to the whole second, a malformed one is refused, a dropped stream ends', async (t) => {
  const { sim, clock, kc, seedNginx } = await startSim(t, { podStartMs: 0 });
  seedNginx(1);
  const pod = sim.pods(NS)[0]!.metadata.name;
  await clock.advance(400);
  sim.appendLog(NS, pod, 'first');
  await clock.advance(500);
  sim.appendLog(NS, pod, 'second');
  const read = async (opts: Record<string, unknown>) => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const ended = new Promise((r) => out.on('end', r));
    await new Log(kc).log(NS, pod, 'nginx', out, opts);
    await ended;
    return text;
  };
  const stamped = await read({ timestamps: true });
  t.match(stamped, /^2026-01-01T12:00:00\.400000000Z first\n2026-01-01T12:00:00\.900000000Z second\n$/);
  // The second line's own timestamp as sinceTime: the fraction is dropped, so the first line (same second) comes again.
  t.equal(await read({ sinceTime: '2026-01-01T12:00:00.900000000Z' }), 'first\nsecond\n');
  t.equal(await read({ sinceTime: '2026-01-01T12:00:01Z' }), '');
  await t.rejects(read({ sinceTime: 'yesterday' }), { code: 400 });

  const out = new PassThrough().resume();
  const ended = new Promise((r) => out.on('end', r));
  await new Log(kc).log(NS, pod, 'nginx', out, { follow: true });
  while (sim.logFollowers(NS, pod) === 0) await new Promise((r) => setImmediate(r));
  sim.dropLogStreams(NS, pod);
  await ended;
  t.equal(sim.pods(NS)[0]!.metadata.name, pod, 'the stream ended, the pod runs on');
});
