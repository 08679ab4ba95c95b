import { createHash } from 'node:crypto';
import type { Clock } from '../../../src/core/clock.js';
import { clone } from './patch.js';
import { EXTERNAL_SECRETS, SECRETS } from './resources.js';
import type { Registry } from './rest.js';
import type { KubeObject } from './store.js';
import { parseGoDuration, parseTime, rfc3339 } from './time.js';

/** Reads a secret's current value from the provider (wired to the Secrets Manager simulator by the caller). */
export type ReadSecret = (secretId: string) => Promise<string | undefined>;

interface ExternalSecretSpec {
  refreshInterval?: string;
  target?: { name?: string; creationPolicy?: 'Owner' | 'Merge' | 'Orphan' | 'None' };
  data?: { secretKey: string; remoteRef: { key: string; property?: string } }[];
  dataFrom?: { extract?: { key: string } }[];
}

interface ExternalSecretStatus {
  refreshTime?: string;
  syncedResourceVersion?: string;
  conditions?: { type: string; status: string; reason: string; message: string; lastTransitionTime: string }[];
  binding?: { name: string };
}

interface ExternalSecret extends KubeObject {
  spec: ExternalSecretSpec;
  status?: ExternalSecretStatus;
}

/** external-secrets' default refreshInterval. */
const DEFAULT_REFRESH = '1h';
/** How long after a failed sync the controller tries again. */
const RETRY_MS = 10_000;
const DATA_HASH = 'reconcile.external-secrets.io/data-hash';

/**
 * The external-secrets operator for ExternalSecrets: syncs the provider's value into the target
 * Secret when the ExternalSecret changed (a new generation, or a changed annotation such as
 * force-sync) and every refreshInterval of clock time, and reports it in status.
 */
export class ExternalSecretsController {
  #inFlight = new Map<string, Promise<void>>();
  #failedAt = new Map<string, number>();

  constructor(
    private readonly registry: Registry,
    private readonly clock: Clock,
    private readonly readSecret: ReadSecret,
  ) {}

  eventTimes(): number[] {
    return this.#all().flatMap((es) => {
      const k = keyOf(es);
      if (this.#inFlight.has(k)) return [];
      const failed = this.#failedAt.get(k);
      if (failed !== undefined) return [failed + RETRY_MS];
      const interval = refreshInterval(es);
      const last = parseTime(es.status?.refreshTime);
      return interval && last !== undefined ? [last + interval + 1] : [];
    });
  }

  /** Starts a sync for every ExternalSecret that needs one at time `t`. */
  process(t: number): void {
    for (const es of this.#all()) {
      const k = keyOf(es);
      if (this.#inFlight.has(k) || !this.#due(es, t)) continue;
      const run = this.#sync(es).finally(() => this.#inFlight.delete(k));
      this.#inFlight.set(k, run);
    }
  }

  /** Resolves when every sync in flight has been written. */
  async settled(): Promise<void> {
    while (this.#inFlight.size) await Promise.all(this.#inFlight.values());
  }

  /** shouldRefresh of the operator, plus a retry delay after a failure. */
  #due(es: ExternalSecret, t: number): boolean {
    const failed = this.#failedAt.get(keyOf(es));
    if (failed !== undefined) return failed + RETRY_MS <= t;
    if (es.status?.syncedResourceVersion !== syncVersion(es)) return true;
    const interval = refreshInterval(es);
    if (!interval) return false;
    const last = parseTime(es.status?.refreshTime);
    return last === undefined || last + interval < t;
  }

  async #sync(es: ExternalSecret): Promise<void> {
    const version = syncVersion(es);
    const targetName = es.spec.target?.name ?? es.metadata.name;
    let data: Record<string, string>;
    try {
      data = await this.#fetch(es.spec);
    } catch (e) {
      this.#failedAt.set(keyOf(es), this.clock.now());
      this.#writeStatus(es, false, 'SecretSyncedError', (e as Error).message);
      return;
    }
    this.#failedAt.delete(keyOf(es));
    this.#writeTarget(es, targetName, data);
    this.#writeStatus(es, true, 'SecretSynced', 'Secret was synced', { version, target: targetName });
  }

  async #fetch(spec: ExternalSecretSpec): Promise<Record<string, string>> {
    const data: Record<string, string> = {};
    const read = async (key: string) => {
      const value = await this.readSecret(key);
      if (value === undefined) throw new Error('could not get secret data from provider');
      return value;
    };
    for (const from of spec.dataFrom ?? []) {
      if (!from.extract) continue;
      const parsed = JSON.parse(await read(from.extract.key)) as Record<string, unknown>;
      for (const [k, v] of Object.entries(parsed)) data[k] = typeof v === 'string' ? v : JSON.stringify(v);
    }
    for (const d of spec.data ?? []) {
      const value = await read(d.remoteRef.key);
      if (!d.remoteRef.property) data[d.secretKey] = value;
      else {
        const prop = (JSON.parse(value) as Record<string, unknown>)[d.remoteRef.property];
        if (prop === undefined) throw new Error(`key ${d.remoteRef.property} does not exist in secret ${d.remoteRef.key}`);
        data[d.secretKey] = typeof prop === 'string' ? prop : JSON.stringify(prop);
      }
    }
    return data;
  }

  #writeTarget(es: ExternalSecret, name: string, plain: Record<string, string>): void {
    const ns = es.metadata.namespace as string;
    const data = Object.fromEntries(Object.entries(plain).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
    const hash = createHash('md5').update(JSON.stringify(data)).digest('hex');
    const existing = this.registry.store.get('secrets', ns, name);
    if (!existing) {
      this.registry.create(SECRETS, ns, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name,
          annotations: { [DATA_HASH]: hash },
          labels: { 'reconcile.external-secrets.io/managed': 'true' },
          ownerReferences: [
            { apiVersion: es.apiVersion, kind: 'ExternalSecret', name: es.metadata.name, uid: es.metadata.uid, controller: true, blockOwnerDeletion: true },
          ],
        },
        type: 'Opaque',
        data,
      });
      return;
    }
    const next = clone(existing);
    next.metadata.annotations = { ...next.metadata.annotations, [DATA_HASH]: hash };
    // creationPolicy Merge keeps keys the provider does not hold; Owner makes the Secret exactly the provider's data.
    next.data = es.spec.target?.creationPolicy === 'Merge' ? { ...(existing.data as object), ...data } : data;
    this.registry.update(SECRETS, existing, next);
  }

  #writeStatus(es: ExternalSecret, ok: boolean, reason: string, message: string, synced?: { version: string; target: string }): void {
    const current = this.registry.store.get(EXTERNAL_SECRETS.resource, es.metadata.namespace as string, es.metadata.name) as ExternalSecret | undefined;
    if (!current) return;
    const now = rfc3339(this.clock.now());
    const prev = current.status?.conditions?.find((c) => c.type === 'Ready');
    const status: ExternalSecretStatus = {
      ...current.status,
      conditions: [
        {
          type: 'Ready',
          status: ok ? 'True' : 'False',
          reason,
          message,
          lastTransitionTime: prev && prev.status === (ok ? 'True' : 'False') ? prev.lastTransitionTime : now,
        },
      ],
    };
    if (synced) Object.assign(status, { refreshTime: now, syncedResourceVersion: synced.version, binding: { name: synced.target } });
    this.registry.update(EXTERNAL_SECRETS, current, { ...current, status }, 'status');
  }

  #all(): ExternalSecret[] {
    return this.registry.store.list(EXTERNAL_SECRETS.resource) as ExternalSecret[];
  }
}

const keyOf = (o: KubeObject) => `${o.metadata.namespace}/${o.metadata.name}`;

const refreshInterval = (es: ExternalSecret) => parseGoDuration(es.spec.refreshInterval ?? DEFAULT_REFRESH) ?? 0;

/** getResourceVersion of the operator: "<generation>-<hash of labels and annotations>", so an annotation change forces a sync. */
function syncVersion(es: ExternalSecret): string {
  const meta = { annotations: es.metadata.annotations ?? {}, labels: es.metadata.labels ?? {} };
  return `${es.metadata.generation ?? 0}-${createHash('md5').update(JSON.stringify(meta)).digest('hex')}`;
}
