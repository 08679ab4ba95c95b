import t from 'tap';
import { ApiException, ApisApi, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { advance, startSim, statusOf } from './kubernetes/testing.js';

const NS = 'trading';
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const ES = { group: 'external-secrets.io', version: 'v1', namespace: NS, plural: 'externalsecrets', name: 'bot-key' };

/** A stand-in for Secrets Manager: the ExternalSecret's provider. */
function provider(initial: Record<string, string>) {
  const values = new Map(Object.entries(initial));
  const reads: string[] = [];
  return {
    values,
    reads,
    readSecret: async (id: string) => {
      reads.push(id);
      return values.get(id);
    },
  };
}

const externalSecret = (spec: Record<string, unknown>) => ({
  apiVersion: 'external-secrets.io/v1',
  kind: 'ExternalSecret',
  metadata: { name: 'bot-key', namespace: NS },
  spec: { refreshInterval: '1h', secretStoreRef: { name: 'aws', kind: 'ClusterSecretStore' }, target: { name: 'bot-api-key' }, ...spec },
});

interface Status {
  refreshTime?: string;
  syncedResourceVersion?: string;
  conditions?: { type: string; status: string; reason: string; message: string }[];
}

t.test('force-sync copies the new Secrets Manager value into the Secret', async (t) => {
  const sm = provider({ 'prod/bybit/api': JSON.stringify({ apiKey: 'old-key', apiSecret: 'old-secret' }) });
  const { sim, clock, core, custom } = await startSim(t, { readSecret: sm.readSecret });
  sim.addExternalSecret(externalSecret({ dataFrom: [{ extract: { key: 'prod/bybit/api' } }] }));
  await sim.settle();
  t.same(sim.secretValues(NS, 'bot-api-key'), { apiKey: 'old-key', apiSecret: 'old-secret' }, 'first sync creates the target');
  const first = (await custom.getNamespacedCustomObject(ES)) as { status: Status; metadata: { generation: number } };
  t.match(first.status.conditions, [{ type: 'Ready', status: 'True', reason: 'SecretSynced', message: 'Secret was synced' }]);
  t.match(first.status.syncedResourceVersion, /^1-[0-9a-f]{32}$/);
  t.equal(first.status.refreshTime, '2026-01-01T12:00:00Z');

  // The key is rotated in Secrets Manager: nothing changes until a refresh is due...
  sm.values.set('prod/bybit/api', JSON.stringify({ apiKey: 'new-key', apiSecret: 'new-secret' }));
  await advance(sim, clock, 60_000, 10_000);
  await sim.settle();
  t.equal(sim.secretValues(NS, 'bot-api-key')?.apiKey, 'old-key');

  // ...or LeakGuard forces it, as `kubectl annotate es bot-key force-sync=$(date +%s) --overwrite` does.
  const patched = (await custom.patchNamespacedCustomObject({ ...ES, body: { metadata: { annotations: { 'force-sync': '1767268860' } } } }, merge)) as {
    metadata: { generation: number };
  };
  t.equal(patched.metadata.generation, first.metadata.generation, 'an annotation does not bump the generation');
  await sim.settle();
  const secret = await core.readNamespacedSecret({ name: 'bot-api-key', namespace: NS });
  t.equal(Buffer.from(secret.data?.apiKey ?? '', 'base64').toString(), 'new-key');
  t.match(secret.metadata?.annotations?.['reconcile.external-secrets.io/data-hash'], /^[0-9a-f]{32}$/);
  const synced = (await custom.getNamespacedCustomObject(ES)) as { status: Status };
  t.not(synced.status.syncedResourceVersion, first.status.syncedResourceVersion);
  t.equal(synced.status.refreshTime, '2026-01-01T12:01:00Z', 'refreshTime is the clock time of the sync');

  // The same force-sync value again changes nothing.
  const reads = sm.reads.length;
  await custom.patchNamespacedCustomObject({ ...ES, body: { metadata: { annotations: { 'force-sync': '1767268860' } } } }, merge);
  await sim.settle();
  t.equal(sm.reads.length, reads);
});

t.test('refreshInterval: the value follows the provider on clock time', async (t) => {
  const sm = provider({ 'prod/bybit/api': '{"apiKey":"k1"}' });
  const { sim, clock } = await startSim(t, { readSecret: sm.readSecret });
  sim.addExternalSecret(externalSecret({ refreshInterval: '15m', data: [{ secretKey: 'API_KEY', remoteRef: { key: 'prod/bybit/api', property: 'apiKey' } }] }));
  await sim.settle();
  t.same(sim.secretValues(NS, 'bot-api-key'), { API_KEY: 'k1' });
  sm.values.set('prod/bybit/api', '{"apiKey":"k2"}');
  await advance(sim, clock, 14 * 60_000, 60_000);
  await sim.settle();
  t.same(sim.secretValues(NS, 'bot-api-key'), { API_KEY: 'k1' });
  await advance(sim, clock, 2 * 60_000, 60_000);
  await sim.settle();
  t.same(sim.secretValues(NS, 'bot-api-key'), { API_KEY: 'k2' });
});

t.test('a provider without the secret leaves the ExternalSecret not Ready', async (t) => {
  const sm = provider({});
  const { sim, custom } = await startSim(t, { readSecret: sm.readSecret });
  sim.addExternalSecret(externalSecret({ dataFrom: [{ extract: { key: 'prod/missing' } }] }));
  await sim.settle();
  const es = (await custom.getNamespacedCustomObject(ES)) as { status: Status };
  t.match(es.status.conditions, [{ type: 'Ready', status: 'False', reason: 'SecretSyncedError' }]);
  t.notOk(es.status.syncedResourceVersion);
  t.equal(sim.secretValues(NS, 'bot-api-key'), undefined);
});

t.test('ExternalSecrets are custom resources: no strategic merge patch', async (t) => {
  const { sim, custom } = await startSim(t, { readSecret: async () => '{}' });
  sim.addExternalSecret(externalSecret({ dataFrom: [{ extract: { key: 'x' } }] }));
  try {
    await custom.patchNamespacedCustomObject({ ...ES, body: { metadata: { annotations: { 'force-sync': '1' } } } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch));
    t.fail('expected 415');
  } catch (e) {
    t.ok(e instanceof ApiException);
    t.equal((e as ApiException<unknown>).code, 415);
    t.match(statusOf(e), {
      reason: 'UnsupportedMediaType',
      message: 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    });
  }
  try {
    await custom.getNamespacedCustomObject({ ...ES, name: 'nope' });
    t.fail('expected 404');
  } catch (e) {
    t.match(statusOf(e), { code: 404, message: 'externalsecrets.external-secrets.io "nope" not found' });
  }
});

t.test('external-secrets 0.17 and later: only v1 is served, and discovery says so', async (t) => {
  const { sim, custom, kc } = await startSim(t, { readSecret: async () => '{}' });
  sim.addExternalSecret(externalSecret({ dataFrom: [{ extract: { key: 'x' } }] }));
  t.equal(((await custom.getNamespacedCustomObject(ES)) as { apiVersion: string }).apiVersion, 'external-secrets.io/v1');
  try {
    await custom.getNamespacedCustomObject({ ...ES, version: 'v1beta1' });
    t.fail('expected 404');
  } catch (e) {
    t.match(statusOf(e), { code: 404, reason: 'NotFound', message: 'the server could not find the requested resource' });
  }
  t.throws(() => sim.addExternalSecret({ ...externalSecret({}), apiVersion: 'external-secrets.io/v1beta1', metadata: { name: 'old', namespace: NS } }), /no matches for kind "ExternalSecret" in version "external-secrets.io\/v1beta1"/);
  const groups = await kc.makeApiClient(ApisApi).getAPIVersions();
  t.match(groups.groups.find((g) => g.name === 'external-secrets.io'), {
    versions: [{ groupVersion: 'external-secrets.io/v1', version: 'v1' }],
    preferredVersion: { groupVersion: 'external-secrets.io/v1', version: 'v1' },
  });
  t.same(groups.groups.find((g) => g.name === 'apps')?.versions.map((v) => v.version), ['v1']);
  const resources = await kc.makeApiClient(CustomObjectsApi).getAPIResources({ group: 'external-secrets.io', version: 'v1' });
  t.same(resources.resources.map((r) => r.name), ['externalsecrets', 'externalsecrets/status']);
});

t.test('legacy mode (external-secrets before 0.16): only v1beta1 is served', async (t) => {
  const { sim, custom, kc } = await startSim(t, { readSecret: async () => '{}', externalSecretsVersions: ['v1beta1'] });
  sim.addExternalSecret({ ...externalSecret({ dataFrom: [{ extract: { key: 'x' } }] }), apiVersion: 'external-secrets.io/v1beta1' });
  const legacy = { ...ES, version: 'v1beta1' };
  t.equal(((await custom.getNamespacedCustomObject(legacy)) as { apiVersion: string }).apiVersion, 'external-secrets.io/v1beta1');
  try {
    await custom.getNamespacedCustomObject(ES);
    t.fail('expected 404');
  } catch (e) {
    t.match(statusOf(e), { code: 404, message: 'the server could not find the requested resource' });
  }
  const groups = await kc.makeApiClient(ApisApi).getAPIVersions();
  t.same(groups.groups.find((g) => g.name === 'external-secrets.io')?.versions.map((v) => v.version), ['v1beta1']);
});
