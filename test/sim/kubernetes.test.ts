import t from 'tap';
import { ApiException, AppsV1Api, PatchStrategy, setHeaderOptions, Watch, type V1Deployment } from '@kubernetes/client-node';
import { kubeConfigFor } from './kubernetes/kubeconfig.js';
import { fixture, fixtureText, startSim, statusOf } from './kubernetes/testing.js';

const NS = 'edit-test';
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

const fixtureDeployment = fixture('deployment.get-status.kubectl-testdata.0.response.json');
const scaleExamples = fixture('scale-subresource.examples.json');

/** Raw wire JSON, for shape checks the typed client would hide (absent vs undefined fields). */
async function raw(url: string, token: string | undefined, init: RequestInit = {}) {
  const res = await fetch(url, { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers as object) } });
  // Wire JSON, checked field by field.
  return { status: res.status, body: (await res.json()) as any };
}

async function rejects(p: Promise<unknown>): Promise<ApiException<unknown>> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiException) return e;
    throw e;
  }
  throw new Error('expected an ApiException');
}

t.test('requests without the bearer token get a 401 Status', async (t) => {
  const { sim, seedNginx } = await startSim(t);
  seedNginx();
  const path = `${sim.url}/apis/apps/v1/namespaces/${NS}/deployments/nginx`;
  const none = await raw(path, undefined);
  t.equal(none.status, 401);
  t.same(none.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
  t.equal((await raw(path, 'wrong')).status, 401);
  const wrong = kubeConfigFor(sim.url, 'not-the-token').makeApiClient(AppsV1Api);
  t.equal((await rejects(wrong.readNamespacedDeployment({ name: 'nginx', namespace: NS }))).code, 401);
  t.equal((await raw(path, sim.token)).status, 200);
});

t.test('a seeded Deployment reads like the kubectl testdata one, status included', async (t) => {
  const { sim, apps, seedNginx } = await startSim(t);
  seedNginx();
  const { status, body } = await raw(`${sim.url}/apis/apps/v1/namespaces/${NS}/deployments/nginx`, sim.token);
  t.equal(status, 200);
  t.same(Object.keys(body).sort(), Object.keys(fixtureDeployment).sort());
  t.same(Object.keys(body.metadata).sort(), Object.keys(fixtureDeployment.metadata).sort());
  t.same(body.spec, fixtureDeployment.spec, 'defaults filled as the API server does');
  t.same(Object.keys(body.status).sort(), Object.keys(fixtureDeployment.status).sort());
  for (const k of ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas']) t.equal(body.status[k], 3, k);
  t.equal(body.status.observedGeneration, body.metadata.generation);
  t.equal(body.metadata.annotations['deployment.kubernetes.io/revision'], '1');
  const conditions = Object.fromEntries(body.status.conditions.map((c: { type: string }) => [c.type, c]));
  t.same(Object.keys(conditions.Progressing).sort(), Object.keys(fixtureDeployment.status.conditions[0]).sort());
  t.match(conditions.Progressing, { status: 'True', reason: 'NewReplicaSetAvailable', message: /^ReplicaSet "nginx-[b-z2-9]+" has successfully progressed\.$/ });
  const { lastUpdateTime: _u, lastTransitionTime: _t, ...available } = fixtureDeployment.status.conditions[1];
  t.match(conditions.Available, available, 'Available condition as in the fixture');
  t.match(conditions.Progressing.lastUpdateTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

  const typed = await apps.readNamespacedDeployment({ name: 'nginx', namespace: NS });
  t.equal(typed.spec?.replicas, 3);
  t.ok(typed.metadata?.creationTimestamp instanceof Date);
});

t.test('list by namespace and label selector', async (t) => {
  const { sim, apps, seedNginx } = await startSim(t);
  seedNginx();
  const other = structuredClone(fixtureDeployment);
  sim.addDeployment({
    metadata: { name: 'bot', namespace: NS, labels: { app: 'bot' } },
    spec: { ...other.spec, selector: { matchLabels: { app: 'bot' } }, template: { ...other.spec.template, metadata: { labels: { app: 'bot' } } } },
  });
  sim.addDeployment({ metadata: { name: 'elsewhere', namespace: 'other', labels: { app: 'nginx' } }, spec: structuredClone(fixtureDeployment.spec) });
  const all = await apps.listNamespacedDeployment({ namespace: NS });
  t.same(all.items.map((d) => d.metadata?.name), ['bot', 'nginx']);
  const selected = await apps.listNamespacedDeployment({ namespace: NS, labelSelector: 'app=nginx' });
  t.same(selected.items.map((d) => d.metadata?.name), ['nginx']);
  t.same((await apps.listNamespacedDeployment({ namespace: NS, labelSelector: 'app in (bot,x)' })).items.map((d) => d.metadata?.name), ['bot']);
  t.same((await apps.listDeploymentForAllNamespaces({ labelSelector: 'app=nginx' })).items.map((d) => d.metadata?.namespace), ['edit-test', 'other']);

  const wire = await raw(`${sim.url}/apis/apps/v1/namespaces/${NS}/deployments`, sim.token);
  t.equal(wire.body.kind, 'DeploymentList');
  t.equal(wire.body.apiVersion, 'apps/v1');
  t.match(wire.body.metadata.resourceVersion, /^\d+$/);
  t.notOk('kind' in wire.body.items[0], 'list items carry no kind');
});

t.test('merge patch sets replicas and a template annotation in one write', async (t) => {
  const { apps, seedNginx } = await startSim(t);
  const before = seedNginx();
  const patched = await apps.patchNamespacedDeployment(
    {
      name: 'nginx',
      namespace: NS,
      body: { spec: { replicas: 5, template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-01-01T12:00:00Z' } } } } },
    },
    merge,
  );
  t.equal(patched.spec?.replicas, 5);
  t.equal(patched.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'], '2026-01-01T12:00:00Z');
  t.same(patched.spec?.template.metadata?.labels, { app: 'nginx' }, 'merge keeps the labels');
  t.equal(patched.metadata?.generation, (before.metadata.generation ?? 0) + 1);
  t.ok(Number(patched.metadata?.resourceVersion) > Number(before.metadata.resourceVersion));
  t.equal(patched.status?.observedGeneration, before.metadata.generation, 'the controller has not seen it yet');

  const again = await apps.patchNamespacedDeployment({ name: 'nginx', namespace: NS, body: { spec: { replicas: 5 } } }, merge);
  t.equal(again.metadata?.resourceVersion, patched.metadata?.resourceVersion, 'a patch that changes nothing is not a write');
});

t.test('strategic merge patch merges containers and env by name', async (t) => {
  const { apps, seedNginx } = await startSim(t);
  seedNginx();
  // kubectl rollout restart's patch body, per kubectl-rollout-rules.txt.
  const restart = { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-01-01T12:00:00Z' } } } } };
  await apps.patchNamespacedDeployment({ name: 'nginx', namespace: NS, body: restart }, strategic);
  const patched = await apps.patchNamespacedDeployment(
    { name: 'nginx', namespace: NS, body: { spec: { template: { spec: { containers: [{ name: 'nginx', env: [{ name: 'MODE', value: 'safe' }] }] } } } } },
    strategic,
  );
  const c = patched.spec?.template.spec?.containers;
  t.equal(c?.length, 1);
  t.equal(c?.[0]?.image, 'gcr.io/kakaraparthy-devel/nginx:latest', 'the container merged, not replaced');
  t.same(c?.[0]?.env, [{ name: 'MODE', value: 'safe' }]);
  t.equal(patched.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'], '2026-01-01T12:00:00Z');

  const merged = await apps.patchNamespacedDeployment(
    { name: 'nginx', namespace: NS, body: { spec: { template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] } } } } },
    merge,
  );
  t.notOk(merged.spec?.template.spec?.containers[0]?.env, 'a merge patch replaces the list');
});

t.test('JSON patch: replace, add, remove, and a failed test is a 422', async (t) => {
  const { apps, seedNginx } = await startSim(t);
  seedNginx();
  const patched = await apps.patchNamespacedDeployment({
    name: 'nginx',
    namespace: NS,
    body: [
      { op: 'test', path: '/spec/replicas', value: 3 },
      { op: 'replace', path: '/spec/replicas', value: 0 },
      { op: 'add', path: '/spec/template/metadata/annotations', value: { 'kubectl.kubernetes.io/restartedAt': 'x' } },
      { op: 'remove', path: '/spec/revisionHistoryLimit' },
    ],
  });
  t.equal(patched.spec?.replicas, 0);
  t.equal(patched.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'], 'x');
  t.equal(patched.spec?.revisionHistoryLimit, 10, 'removed, then defaulted again');
  const e = await rejects(
    apps.patchNamespacedDeployment({ name: 'nginx', namespace: NS, body: [{ op: 'test', path: '/spec/replicas', value: 3 }, { op: 'replace', path: '/spec/replicas', value: 9 }] }, jsonPatch),
  );
  t.equal(e.code, 422);
  t.match(statusOf(e), { kind: 'Status', reason: 'Invalid', code: 422, details: { causes: [{ message: 'testing value /spec/replicas failed: test failed' }] } });
  t.equal((await apps.readNamespacedDeployment({ name: 'nginx', namespace: NS })).spec?.replicas, 0, 'nothing applied');
  const missing = await rejects(apps.patchNamespacedDeployment({ name: 'nginx', namespace: NS, body: [{ op: 'remove', path: '/spec/nope' }] }));
  t.equal(missing.code, 422);
});

t.test('a stale resourceVersion is a 409 Conflict for patch and replace', async (t) => {
  const { apps, seedNginx } = await startSim(t);
  const seeded = seedNginx();
  const stale = seeded.metadata.resourceVersion as string;
  const current = await apps.patchNamespacedDeployment({ name: 'nginx', namespace: NS, body: { spec: { replicas: 4 } } }, merge);

  const e = await rejects(apps.patchNamespacedDeployment({ name: 'nginx', namespace: NS, body: { metadata: { resourceVersion: stale }, spec: { replicas: 1 } } }, merge));
  t.equal(e.code, 409);
  t.match(statusOf(e), {
    kind: 'Status',
    status: 'Failure',
    reason: 'Conflict',
    code: 409,
    message: 'Operation cannot be fulfilled on deployments.apps "nginx": the object has been modified; please apply your changes to the latest version and try again',
    details: { name: 'nginx', group: 'apps', kind: 'deployments' },
  });
  const jp = await rejects(
    apps.patchNamespacedDeployment({ name: 'nginx', namespace: NS, body: [{ op: 'replace', path: '/metadata/resourceVersion', value: stale }] }, jsonPatch),
  );
  t.equal(jp.code, 409);

  const body = structuredClone(current) as V1Deployment;
  body.metadata!.resourceVersion = stale;
  body.spec!.replicas = 1;
  t.equal((await rejects(apps.replaceNamespacedDeployment({ name: 'nginx', namespace: NS, body }))).code, 409);

  body.metadata!.resourceVersion = current.metadata?.resourceVersion;
  const replaced = await apps.replaceNamespacedDeployment({ name: 'nginx', namespace: NS, body });
  t.equal(replaced.spec?.replicas, 1, 'the current resourceVersion is accepted');
  t.equal(replaced.metadata?.generation, (current.metadata?.generation ?? 0) + 1);
  t.equal((await apps.readNamespacedDeployment({ name: 'nginx', namespace: NS })).spec?.replicas, 1);
});

t.test('errors: NotFound, Invalid, UnsupportedMediaType', async (t) => {
  const { sim, apps, seedNginx } = await startSim(t);
  seedNginx();
  const nf = await rejects(apps.readNamespacedDeployment({ name: 'nope', namespace: NS }));
  t.equal(nf.code, 404);
  t.match(statusOf(nf), { reason: 'NotFound', message: 'deployments.apps "nope" not found', details: { name: 'nope', group: 'apps', kind: 'deployments' } });
  const inv = await rejects(apps.patchNamespacedDeployment({ name: 'nginx', namespace: NS, body: { spec: { replicas: -1 } } }, merge));
  t.equal(inv.code, 422);
  t.match(statusOf(inv), { reason: 'Invalid', message: 'Deployment.apps "nginx" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0' });
  const media = await raw(`${sim.url}/apis/apps/v1/namespaces/${NS}/deployments/nginx`, sim.token, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: '{"spec":{"replicas":1}}',
  });
  t.equal(media.status, 415);
  t.match(media.body, { reason: 'UnsupportedMediaType', code: 415, message: /^the body of the request was in an unknown format - accepted media types include: application\/json-patch\+json, application\/merge-patch\+json/ });
});

t.test('status subresource: the kubectl edit-status patch changes status, not generation', async (t) => {
  const { sim, seedNginx } = await startSim(t);
  const seeded = seedNginx();
  t.match(fixtureText('deployment.edit-status.kubectl-testdata.test.yaml'), /expectedContentType: application\/strategic-merge-patch\+json/);
  const res = await raw(`${sim.url}/apis/apps/v1/namespaces/${NS}/deployments/nginx/status`, sim.token, {
    method: 'PATCH',
    headers: { 'content-type': 'application/strategic-merge-patch+json' },
    body: JSON.stringify(fixture('deployment.status-patch.kubectl-testdata.2.request.json')),
  });
  t.equal(res.status, 200);
  t.equal(res.body.status.replicas, 4);
  t.equal(res.body.metadata.generation, seeded.metadata.generation, 'status-only change keeps the generation');
  t.ok(Number(res.body.metadata.resourceVersion) > Number(seeded.metadata.resourceVersion));
  const main = await raw(`${sim.url}/apis/apps/v1/namespaces/${NS}/deployments/nginx`, sim.token, {
    method: 'PATCH',
    headers: { 'content-type': 'application/merge-patch+json' },
    body: '{"status":{"replicas":99}}',
  });
  t.not(main.body.status.replicas, 99, 'the main resource ignores status');
});

t.test('scale subresource: GET, PATCH (kubectl scale) and PUT with preconditions', async (t) => {
  const { sim, apps, seedNginx } = await startSim(t);
  const seeded = seedNginx();
  const scale = await raw(`${sim.url}/apis/apps/v1/namespaces/${NS}/deployments/nginx/scale`, sim.token);
  t.same(Object.keys(scale.body).sort(), ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
  t.match(scale.body, { kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 3 }, status: { replicas: 3, selector: 'app=nginx' } });
  t.same(Object.keys(scale.body.metadata).sort(), ['creationTimestamp', 'name', 'namespace', 'resourceVersion', 'uid']);
  t.equal(scale.body.metadata.uid, seeded.metadata.uid);

  const patched = await apps.patchNamespacedDeploymentScale({ name: 'nginx', namespace: NS, body: scaleExamples.kubectl_scale_patch.body_shape_value_illustrative }, merge);
  t.equal(patched.spec?.replicas, 3);
  const toTwo = await apps.patchNamespacedDeploymentScale({ name: 'nginx', namespace: NS, body: { spec: { replicas: 2 } } }, merge);
  t.equal(toTwo.spec?.replicas, 2);
  const d = await apps.readNamespacedDeployment({ name: 'nginx', namespace: NS });
  t.equal(d.spec?.replicas, 2);
  t.equal(d.metadata?.generation, (seeded.metadata.generation ?? 0) + 1, 'scaling bumps the generation');

  const body = { ...scaleExamples.apply_or_put_scale_body.body, metadata: { name: 'nginx', namespace: NS } };
  const put = await apps.replaceNamespacedDeploymentScale({ name: 'nginx', namespace: NS, body });
  t.equal(put.spec?.replicas, 17);
  const stale = await rejects(
    apps.replaceNamespacedDeploymentScale({ name: 'nginx', namespace: NS, body: { ...body, metadata: { ...body.metadata, resourceVersion: seeded.metadata.resourceVersion } } }),
  );
  t.equal(stale.code, 409);
  const current = await apps.readNamespacedDeploymentScale({ name: 'nginx', namespace: NS });
  const ok = await apps.replaceNamespacedDeploymentScale({ name: 'nginx', namespace: NS, body: { ...current, spec: { replicas: 1 } } });
  t.equal(ok.spec?.replicas, 1, 'the current resourceVersion passes the precondition');
  const neg = await rejects(apps.patchNamespacedDeploymentScale({ name: 'nginx', namespace: NS, body: { spec: { replicas: -2 } } }, merge));
  t.equal(neg.code, 422);

  await apps.patchNamespacedDeploymentScale({ name: 'nginx', namespace: NS, body: { spec: { replicas: 0 } } }, merge);
  const zero = await raw(`${sim.url}/apis/apps/v1/namespaces/${NS}/deployments/nginx/scale`, sim.token);
  t.same(zero.body.spec, {}, 'ScaleSpec.replicas is omitempty');
});

t.test('watch: the client-node Watch sees ADDED then MODIFIED with increasing resourceVersions', async (t) => {
  const { sim, kc, apps, seedNginx } = await startSim(t);
  seedNginx();
  const events: { type: string; name?: string; rv: number; replicas?: number }[] = [];
  let modified: () => void;
  const sawModified = new Promise<void>((r) => (modified = r));
  const watch = new Watch(kc);
  const req = await watch.watch(
    `/apis/apps/v1/namespaces/${NS}/deployments`,
    { labelSelector: 'app=nginx' },
    (type, obj: V1Deployment) => {
      events.push({ type, name: obj.metadata?.name, rv: Number(obj.metadata?.resourceVersion), replicas: obj.spec?.replicas });
      if (type === 'MODIFIED' && obj.spec?.replicas === 7) modified();
    },
    () => {},
  );
  t.teardown(() => req.abort());
  await apps.patchNamespacedDeployment({ name: 'nginx', namespace: NS, body: { spec: { replicas: 7 } } }, merge);
  await sawModified;
  t.equal(events[0]?.type, 'ADDED');
  t.equal(events[0]?.name, 'nginx');
  const mod = events.find((e) => e.type === 'MODIFIED' && e.replicas === 7);
  t.ok(mod && mod.rv > (events[0]?.rv ?? Infinity), 'resourceVersion increases');

  // Resuming from a resourceVersion replays what happened since.
  const lines = await new Promise<string>((resolve) => {
    fetch(`${sim.url}/apis/apps/v1/namespaces/${NS}/deployments?watch=true&resourceVersion=${events[0]?.rv}&timeoutSeconds=1`, {
      headers: { authorization: `Bearer ${sim.token}` },
    }).then((r) => r.text().then(resolve));
  });
  const replayed = lines.trim().split('\n').map((l) => JSON.parse(l));
  t.ok(replayed.length > 0 && replayed.every((e) => e.type === 'MODIFIED' && Number(e.object.metadata.resourceVersion) > (events[0]?.rv ?? 0)));
  t.equal(replayed[0].object.kind, 'Deployment', 'watch objects carry kind');
});

t.test('secrets: create with stringData, read base64 data, replace', async (t) => {
  const { sim, core } = await startSim(t);
  const created = await core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'bot-key' }, stringData: { apiKey: 'k1', apiSecret: 's1' } } });
  t.equal(created.data?.apiKey, Buffer.from('k1').toString('base64'));
  t.notOk(created.stringData, 'stringData is write-only');
  t.equal(created.type, 'Opaque');
  const read = await core.readNamespacedSecret({ name: 'bot-key', namespace: NS });
  t.equal(Buffer.from(read.data?.apiSecret ?? '', 'base64').toString(), 's1');
  const replaced = await core.replaceNamespacedSecret({ name: 'bot-key', namespace: NS, body: { ...read, data: { apiKey: Buffer.from('k2').toString('base64') } } });
  t.same(Object.keys(replaced.data ?? {}), ['apiKey']);
  t.same(sim.secretValues(NS, 'bot-key'), { apiKey: 'k2' });
  t.equal((await rejects(core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'bot-key' } } }))).code, 409);
  t.equal((await rejects(core.readNamespacedSecret({ name: 'nope', namespace: NS }))).code, 404);
  const bad = await rejects(core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'bad' }, data: { k: 'not base64!' } } }));
  t.equal(bad.code, 400);
});

t.test('faults: an injected error and throttling answer as the API server would', async (t) => {
  const { sim, apps, seedNginx } = await startSim(t);
  seedNginx();
  sim.faults.inject('get deployments', { kind: 'error', status: 503, body: { kind: 'Status', code: 503, reason: 'ServiceUnavailable' } });
  t.equal((await rejects(apps.readNamespacedDeployment({ name: 'nginx', namespace: NS }))).code, 503);
  t.equal((await apps.readNamespacedDeployment({ name: 'nginx', namespace: NS })).metadata?.name, 'nginx');
  sim.faults.inject('patch deployments/scale', { kind: 'throttle', perSecond: 1 });
  await apps.patchNamespacedDeploymentScale({ name: 'nginx', namespace: NS, body: { spec: { replicas: 2 } } }, merge);
  const throttled = await rejects(apps.patchNamespacedDeploymentScale({ name: 'nginx', namespace: NS, body: { spec: { replicas: 1 } } }, merge));
  t.equal(throttled.code, 429);
  t.match(statusOf(throttled), { reason: 'TooManyRequests', details: { retryAfterSeconds: 1 } });
  t.ok(sim.faults.calls.includes('patch deployments/scale'));
});

t.test('control API: seed and state for tests in other processes', async (t) => {
  const { sim } = await startSim(t);
  const manifest = { metadata: { name: 'bot', namespace: 'trading', labels: { app: 'bot' } }, spec: { ...fixtureDeployment.spec, selector: { matchLabels: { app: 'bot' } }, replicas: 2 } };
  manifest.spec.template = { ...manifest.spec.template, metadata: { labels: { app: 'bot' } } };
  const seeded = await fetch(`${sim.url}/_sim/seed`, {
    method: 'POST',
    body: JSON.stringify({ deployments: [manifest], secrets: [{ namespace: 'trading', name: 'bot-key', values: { apiKey: 'k' } }] }),
  });
  t.equal(seeded.status, 200);
  const state = (await (await fetch(`${sim.url}/_sim/state`)).json()) as ReturnType<typeof sim.state>;
  t.equal((state.deployments[0]?.status as { availableReplicas?: number }).availableReplicas, 2);
  t.equal(state.pods.length, 2);
  t.same(state.secrets[0]?.keys, ['apiKey']);
});
