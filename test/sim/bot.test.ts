import t from 'tap';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AppsV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { AWS_TEST_CREDENTIALS, secretJson, startWorld, WORLD } from './world.js';

/** Polls until `check` holds; the simulated bot runs on real time. */
async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

for (const delivery of ['direct', 'external-secrets'] as const) {
  t.test(`the bot trades, logs 10003 once its key is deleted, and trades again on a new key (${delivery})`, async (t) => {
    const world = await startWorld({ delivery, replicas: 2, tradeEveryMs: 50 });
    t.teardown(() => world.close());
    const old = world.accounts.botKey;
    await until('the bot to trade', () => world.bot.placedWith(old.apiKey.slice(0, 4)) >= 4);
    t.ok(world.bybit.orders().some((o) => String(o.orderLinkId).startsWith(WORLD.orderPrefix)), 'orders carry the prefix');

    // The leaked key is deleted at the exchange: the running bot fails with 10003.
    const oldKey = world.bybit.keys().find((k) => k.apiKey === old.apiKey)!;
    oldKey.deletedAt = world.clock.now();
    await until('auth errors', () => [...world.bot.pods.values()].some((p) => p.authErrors > 0));
    // The pod that saw the error (another may not have traded since the delete).
    const pod = [...world.bot.pods.values()].find((p) => p.authErrors > 0)!.pod;
    const logs = await fetch(`${world.urls.kubernetes}/api/v1/namespaces/${WORLD.namespace}/pods/${pod}/log`, { headers: { authorization: `Bearer ${world.kubernetes.token}` } }).then((r) => r.text());
    t.match(logs, /ERROR bybit auth error HTTP 401 retCode=10003 retMsg="API key is invalid\."/);

    // A new key goes into Secrets Manager (and the Kubernetes Secret), then a rollout restart.
    const fresh = world.bybit.addKey({ uid: world.accounts.subUid, note: 'rotated', permissions: { ContractTrade: ['Order', 'Position'] }, ips: [WORLD.botIp] });
    const sm = new SecretsManagerClient({ endpoint: world.urls.secretsmanager, region: 'us-east-1', credentials: AWS_TEST_CREDENTIALS });
    t.teardown(() => sm.destroy());
    await sm.send(new PutSecretValueCommand({ SecretId: WORLD.secretId, SecretString: secretJson(fresh, 'test rotation') }));
    const apps = world.kubernetes.kubeConfig(WORLD.namespace).makeApiClient(AppsV1Api);
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    if (delivery === 'external-secrets') {
      const { CustomObjectsApi } = await import('@kubernetes/client-node');
      await world.kubernetes.kubeConfig(WORLD.namespace).makeApiClient(CustomObjectsApi).patchNamespacedCustomObject(
        { group: 'external-secrets.io', version: 'v1', namespace: WORLD.namespace, plural: 'externalsecrets', name: WORLD.externalSecret, body: { metadata: { annotations: { 'force-sync': 'now' } } } },
        merge,
      );
      await world.kubernetes.settle();
      t.equal(world.kubernetes.secretValues(WORLD.namespace, WORLD.k8sSecret)?.api_key, fresh.apiKey);
    }
    await apps.patchNamespacedDeployment({ name: WORLD.deployment, namespace: WORLD.namespace, body: { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-01-01T00:00:00Z' } } } } } }, merge);
    await until('the bot to trade on the new key', () => world.bot.placedWith(fresh.apiKey.slice(0, 4)) >= 4);
    await until('old pods to stop', () => [...world.bot.pods.values()].filter((p) => p.running).every((p) => p.keyHint === fresh.apiKey.slice(0, 4)));
    t.ok(world.bybit.callsBy(fresh.apiKey).some((c) => c.path === '/v5/order/create' && c.retCode === 0), 'the exchange saw orders on the new key');
  });
}
