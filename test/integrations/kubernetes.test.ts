import t, { type Test } from 'tap';
import { AppsV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { Scrubber } from '../../src/core/scrubber.js';
import { fingerprint } from '../../src/core/fingerprint.js';
import { IntegrationError } from '../../src/integrations/errors.js';
import { ExternalSecretsClient } from '../../src/integrations/kubernetes/external-secrets.js';
import { FROZEN_BY, FROZEN_REPLICAS, RESTARTED_AT, WorkloadClient, type Workload } from '../../src/integrations/kubernetes/workload.js';
import { startSim } from '../sim/kubernetes/testing.js';
import { driveClock } from '../helpers/clock.js';
import { FAST_POLICY } from '../helpers/aws.js';

const W: Workload = { namespace: 'edit-test', deployment: 'nginx', selector: 'app=nginx' };

async function setup(t: Test, replicas = 3) {
  const env = await startSim(t);
  env.seedNginx(replicas);
  const client = new WorkloadClient(env.kc, env.clock, new Scrubber(), FAST_POLICY);
  return { ...env, client };
}

t.test('freeze records the count, returns only after the last pod is gone, and is idempotent', async (t) => {
  const { sim, clock, client } = await setup(t);
  t.equal(sim.pods('edit-test', 'app=nginx').length, 3);
  const first = await client.freeze(W, 'inc-1');
  t.same(first, { previousReplicas: 3, refrozen: false });
  const d = sim.deployment('edit-test', 'nginx')!;
  t.equal(d.spec.replicas, 0);
  t.equal(d.metadata.annotations?.[FROZEN_REPLICAS], '3');
  t.equal(d.metadata.annotations?.[FROZEN_BY], 'inc-1');
  t.ok(sim.pods('edit-test', 'app=nginx').length > 0, 'pods are still terminating right after the patch');
  const stop = driveClock(clock, 1_000);
  await client.waitForNoPods(W, { pollMs: 1_000 });
  stop();
  t.equal(sim.pods('edit-test', 'app=nginx').length, 0, 'no pod left, terminating ones included');
  // After a crash the step runs again: the count recorded first is kept, not the 0 now in spec.
  t.same(await client.freeze(W, 'inc-1'), { previousReplicas: 3, refrozen: false });
  t.equal(await client.recordedReplicas(W), 3);
});

t.test('a frozen workload scaled up by someone else is noticed and frozen again', async (t) => {
  const { kc, client } = await setup(t);
  await client.freeze(W, 'inc-2');
  t.same(await client.scaledUpWhileFrozen(W, 'inc-2'), { scaledUp: false, replicas: 0 });
  // A GitOps controller puts the replicas back through the scale subresource.
  await kc.makeApiClient(AppsV1Api).patchNamespacedDeploymentScale({ name: 'nginx', namespace: 'edit-test', body: { spec: { replicas: 3 } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  t.same(await client.scaledUpWhileFrozen(W, 'inc-2'), { scaledUp: true, replicas: 3 });
  t.same(await client.freeze(W, 'inc-2'), { previousReplicas: 3, refrozen: true });
  t.equal(await client.recordedReplicas(W), 3);
});

t.test('a Kubernetes 409 is retried with a fresh read', async (t) => {
  const { sim, client } = await setup(t);
  sim.faults.inject('patch deployments', { kind: 'error', status: 409, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Conflict', code: 409, message: 'the object has been modified; please apply your changes to the latest version and try again' }, times: 2 });
  t.same(await client.freeze(W, 'inc-3'), { previousReplicas: 3, refrozen: false });
  t.equal(sim.deployment('edit-test', 'nginx')!.spec.replicas, 0);
  t.equal(sim.faults.calls.filter((c) => c === 'patch deployments').length, 3);
});

t.test('restore sets replicas and restartedAt in one patch, waits for the rollout, and is idempotent', async (t) => {
  const { sim, clock, client } = await setup(t);
  await client.freeze(W, 'inc-4');
  const restartedAt = '2026-01-01T12:00:00Z';
  t.same(await client.restore(W, restartedAt), { replicas: 3, changed: true });
  const d = sim.deployment('edit-test', 'nginx')!;
  t.equal(d.spec.replicas, 3);
  t.equal(d.spec.template.metadata?.annotations?.[RESTARTED_AT], restartedAt);
  t.equal(d.metadata.annotations?.[FROZEN_REPLICAS], undefined, 'freeze annotations removed');
  const stop = driveClock(clock, 1_000);
  const message = await client.waitForRollout(W, { pollMs: 1_000 });
  stop();
  t.equal(message, 'deployment "nginx" successfully rolled out');
  t.equal(sim.rolloutStatus('edit-test', 'nginx').done, true);
  const pods = await client.listPods(W);
  const running = pods.filter((p) => !p.terminating);
  t.equal(running.length, 3);
  t.ok(running.every((p) => p.ready && p.restartedAt === restartedAt), 'every running pod is from the new rollout');
  t.ok(pods.filter((p) => p.terminating).every((p) => p.restartedAt !== restartedAt), 'old pods are only still terminating');
  const rv = sim.deployment('edit-test', 'nginx')!.metadata.resourceVersion;
  t.same(await client.restore(W, restartedAt), { replicas: 3, changed: false });
  t.equal(sim.deployment('edit-test', 'nginx')!.metadata.resourceVersion, rv, 'a second restore writes nothing');
});

t.test('a rolling restart without freeze keeps the bot running', async (t) => {
  const { sim, clock, client } = await setup(t);
  await client.restore(W, '2026-01-01T12:05:00Z');
  const stop = driveClock(clock, 500);
  let minReady = Infinity;
  const watch = setInterval(() => (minReady = Math.min(minReady, sim.pods('edit-test', 'app=nginx').filter((p) => !(p.metadata as { deletionTimestamp?: string }).deletionTimestamp).length)), 1);
  await client.waitForRollout(W, { pollMs: 500 });
  clearInterval(watch);
  stop();
  t.ok(minReady > 0, 'never at 0 pods');
  t.equal(sim.deployment('edit-test', 'nginx')!.spec.replicas, 3);
});

t.test('a rollout that ends in ProgressDeadlineExceeded is reported as a failure', async (t) => {
  const { sim, clock, client } = await setup(t);
  sim.configureDeployment('edit-test', 'nginx', { failing: true });
  await client.restore(W, '2026-01-01T12:10:00Z');
  const stop = driveClock(clock, 10_000);
  const err = (await client.waitForRollout(W, { pollMs: 5_000 }).catch((e: unknown) => e)) as IntegrationError;
  stop();
  t.type(err, IntegrationError);
  t.match(err.message, 'deployment "nginx" exceeded its progress deadline');
  t.match(err.action, 'kubectl -n edit-test describe deployment/nginx');
});

t.test('errors name the system and what to do', async (t) => {
  const { client } = await setup(t);
  await t.rejects(client.freeze({ ...W, deployment: 'missing' }, 'inc-x'), { kind: 'not_found', message: /Kubernetes get deployment failed \(not_found\).*check the credential's workload/ });
});

t.test('follows pod logs', async (t) => {
  const { sim, client } = await setup(t, 1);
  const [pod] = await client.listPods(W);
  const lines: string[] = [];
  const ac = new AbortController();
  const following = client.followLogs(W, pod!.name, (l) => {
    lines.push(l);
    if (lines.length === 2) ac.abort();
  }, ac.signal);
  // The follow request must be in place before the lines are written.
  while (sim.logFollowers('edit-test', pod!.name) === 0) await new Promise((r) => setImmediate(r));
  sim.appendLog('edit-test', pod!.name, 'ERROR bybit retCode=10003 API key is invalid.');
  sim.appendLog('edit-test', pod!.name, 'order placed ltb-1');
  await following;
  t.same(lines.slice(-2), ['ERROR bybit retCode=10003 API key is invalid.', 'order placed ltb-1']);
});

t.test('external-secrets: force a sync and wait for the new fingerprint', async (t) => {
  const values = new Map<string, string>([['prod/bybit/api', JSON.stringify({ api_key: 'OLDKEY-0001', api_secret: 'old-secret-value' })]]);
  const env = await startSim(t, { readSecret: async (id) => values.get(id) });
  env.sim.addExternalSecret({
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name: 'bot-key', namespace: 'edit-test' },
    spec: { refreshInterval: '1h', secretStoreRef: { name: 'aws', kind: 'ClusterSecretStore' }, target: { name: 'bot-api-key' }, dataFrom: [{ extract: { key: 'prod/bybit/api' } }] },
  });
  await env.sim.settle();
  const scrubber = new Scrubber();
  const es = new ExternalSecretsClient(env.kc, env.clock, scrubber, FAST_POLICY);
  t.equal(await es.secretFingerprint('edit-test', 'bot-api-key', 'api_key'), fingerprint('OLDKEY-0001'));
  t.equal(await es.secretFingerprint('edit-test', 'nope', 'api_key'), undefined);
  values.set('prod/bybit/api', JSON.stringify({ api_key: 'NEWKEY-0002', api_secret: 'new-secret-value' }));
  await es.forceSync('edit-test', 'bot-key', 'inc-5:restore:1');
  const stop = driveClock(env.clock, 1_000);
  await es.waitForFingerprint('edit-test', 'bot-api-key', 'api_key', fingerprint('NEWKEY-0002'), { pollMs: 200 });
  stop();
  t.equal(env.sim.secretValues('edit-test', 'bot-api-key')?.api_key, 'NEWKEY-0002');
  t.equal(scrubber.scrub('NEWKEY-0002'), '[REDACTED]', 'what it read is registered');
});

t.test('external-secrets: v1beta1 only where discovery shows no v1 (a cluster before external-secrets 0.16)', async (t) => {
  const values = new Map<string, string>([['prod/bybit/api', JSON.stringify({ api_key: 'OLDKEY-0001' })]]);
  const env = await startSim(t, { readSecret: async (id) => values.get(id), externalSecretsVersions: ['v1beta1'] });
  env.sim.addExternalSecret({
    apiVersion: 'external-secrets.io/v1beta1',
    kind: 'ExternalSecret',
    metadata: { name: 'bot-key', namespace: 'edit-test' },
    spec: { refreshInterval: '1h', secretStoreRef: { name: 'aws', kind: 'ClusterSecretStore' }, target: { name: 'bot-api-key' }, dataFrom: [{ extract: { key: 'prod/bybit/api' } }] },
  });
  await env.sim.settle();
  const es = new ExternalSecretsClient(env.kc, env.clock, new Scrubber(), FAST_POLICY);
  values.set('prod/bybit/api', JSON.stringify({ api_key: 'NEWKEY-0002' }));
  env.sim.faults.calls.length = 0;
  await es.forceSync('edit-test', 'bot-key', 'inc-6:restore:1');
  await env.sim.settle();
  t.equal(env.sim.secretValues('edit-test', 'bot-api-key')?.api_key, 'NEWKEY-0002');
  values.set('prod/bybit/api', JSON.stringify({ api_key: 'NEWKEY-0003' }));
  await es.forceSync('edit-test', 'bot-key', 'inc-6:restore:2');
  await env.sim.settle();
  t.equal(env.sim.secretValues('edit-test', 'bot-api-key')?.api_key, 'NEWKEY-0003');
  t.equal(env.sim.faults.calls.filter((c) => c === 'patch externalsecrets').length, 2, 'both syncs patched at v1beta1 (the v1 path is no route here)');
});

t.test('external-secrets: a missing ExternalSecret on a v1 cluster is not_found, never a v1beta1 retry', async (t) => {
  const env = await startSim(t);
  const es = new ExternalSecretsClient(env.kc, env.clock, new Scrubber(), FAST_POLICY);
  await t.rejects(es.forceSync('edit-test', 'nope', 'inc-7:restore:1'), { kind: 'not_found', message: /externalsecrets.external-secrets.io "nope" not found/ });
  t.same(env.sim.faults.calls.filter((c) => c.startsWith('patch externalsecrets')), ['patch externalsecrets']);
});

t.test('external-secrets: a cluster without the operator is said so', async (t) => {
  const env = await startSim(t, { externalSecretsVersions: [] });
  const es = new ExternalSecretsClient(env.kc, env.clock, new Scrubber(), FAST_POLICY);
  await t.rejects(es.forceSync('edit-test', 'bot-key', 'inc-8:restore:1'), { kind: 'not_found', message: /serves no external-secrets.io API.*install the external-secrets operator/ });
});

t.test('a kubeconfig file (with a context) works as well as in-cluster config', async (t) => {
  const { sim } = await setup(t, 1);
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { stringify } = await import('yaml');
  const { kubeConfigFrom } = await import('../../src/integrations/kubernetes/config.js');
  const file = join(mkdtempSync(join(tmpdir(), 'leakguard-kube-')), 'config');
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'sim', cluster: { server: sim.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'lg', user: { token: sim.token } }, { name: 'nobody', user: { token: 'wrong' } }],
      contexts: [{ name: 'prod', context: { cluster: 'sim', user: 'lg' } }, { name: 'other', context: { cluster: 'sim', user: 'nobody' } }],
      'current-context': 'other',
    }),
  );
  const client = new WorkloadClient(await kubeConfigFrom({ kubeconfig: file, context: 'prod' }), sim.clock, new Scrubber(), FAST_POLICY);
  t.equal((await client.listPods(W)).length, 1);
  const wrong = new WorkloadClient(await kubeConfigFrom({ kubeconfig: file }), sim.clock, new Scrubber(), FAST_POLICY);
  await t.rejects(wrong.listPods(W), { kind: 'invalid_key', message: /token is not accepted/ });
});
