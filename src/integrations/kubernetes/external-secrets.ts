import type { Clock } from '../../core/clock.js';
import { fingerprint } from '../../core/fingerprint.js';
import type { Scrubber } from '../../core/scrubber.js';
import { call, DEFAULT_POLICY, type CallPolicy } from '../call.js';
import { IntegrationError } from '../errors.js';
import { kubernetesClassifier, SYSTEM } from './classify.js';
import { lazyApis, type KubeConfigSource } from './sdk.js';

const GROUP = 'external-secrets.io';
/** external-secrets 0.17 and later serve only v1. */
const VERSION = 'v1';
/** What clusters on external-secrets before 0.16 serve instead. */
const LEGACY_VERSION = 'v1beta1';
/** Changing this annotation makes the external-secrets operator sync at once. */
export const FORCE_SYNC = 'force-sync';

/**
 * For `external-secrets` delivery: force the ExternalSecret to sync, then wait until the
 * Kubernetes Secret holds the new key, compared by fingerprint (the value never leaves memory).
 */
export class ExternalSecretsClient {
  readonly #apis;
  /** Set once discovery said the cluster serves no v1. */
  #version = VERSION;

  constructor(
    kc: KubeConfigSource,
    private readonly clock: Clock,
    private readonly scrubber: Scrubber,
    private readonly policy: CallPolicy = DEFAULT_POLICY,
  ) {
    this.#apis = lazyApis(kc, (k8s, config) => ({
      custom: config.makeApiClient(k8s.CustomObjectsApi),
      core: config.makeApiClient(k8s.CoreV1Api),
      discovery: config.makeApiClient(k8s.ApisApi),
      merge: k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    }));
  }

  #call<T>(operation: string, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    return call({ system: SYSTEM, operation, clock: this.clock, policy: this.policy, classify: kubernetesClassifier(this.scrubber), ...(signal ? { signal } : {}) }, fn);
  }

  /**
   * Sets the force-sync annotation to `token` (idempotent for one token), at external-secrets.io/v1;
   * at v1beta1 only when v1 answers 404 and discovery shows the cluster serves v1beta1 and no v1.
   */
  async forceSync(namespace: string, name: string, token: string, signal?: AbortSignal): Promise<void> {
    const { custom, merge } = await this.#apis();
    const patch = (version: string) =>
      this.#call('patch externalsecret', signal, () =>
        custom.patchNamespacedCustomObject({ group: GROUP, version, namespace, plural: 'externalsecrets', name, body: { metadata: { annotations: { [FORCE_SYNC]: token } } } }, merge),
      );
    try {
      await patch(this.#version);
    } catch (err) {
      if ((err as IntegrationError).kind !== 'not_found' || this.#version !== VERSION) throw err;
      const served = await this.#servedVersions(signal);
      // v1 served: the 404 is the ExternalSecret itself missing.
      if (served.includes(VERSION)) throw err;
      if (!served.includes(LEGACY_VERSION)) {
        throw new IntegrationError({
          system: SYSTEM,
          operation: 'patch externalsecret',
          kind: 'not_found',
          retryable: false,
          detail: `the cluster serves no ${GROUP} API (versions: ${served.join(', ') || 'none'})`,
          action: `install the external-secrets operator (0.17 or later serves ${GROUP}/${VERSION}) or set the credential's delivery to direct`,
          cause: err,
        });
      }
      this.#version = LEGACY_VERSION;
      await patch(LEGACY_VERSION);
    }
  }

  /** The versions of external-secrets.io the cluster serves, from API discovery (GET /apis). */
  async #servedVersions(signal: AbortSignal | undefined): Promise<string[]> {
    const { discovery } = await this.#apis();
    const list = await this.#call('discover api groups', signal, () => discovery.getAPIVersions());
    return list.groups.find((g) => g.name === GROUP)?.versions.map((v) => v.version) ?? [];
  }

  /** The fingerprint of one field of a Secret, or undefined when absent. */
  async secretFingerprint(namespace: string, name: string, field: string, signal?: AbortSignal): Promise<string | undefined> {
    const { core } = await this.#apis();
    const secret = await this.#call('get secret', signal, () => core.readNamespacedSecret({ name, namespace })).catch((err: unknown) => {
      // Not synced yet is not an error while waiting for the sync.
      if ((err as { kind?: string }).kind === 'not_found') return undefined;
      throw err;
    });
    const b64 = secret?.data?.[field];
    if (b64 === undefined) return undefined;
    const value = Buffer.from(b64, 'base64').toString('utf8');
    this.scrubber.register(value);
    return fingerprint(value);
  }

  async waitForFingerprint(namespace: string, name: string, field: string, expected: string, opts: { pollMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    for (;;) {
      if ((await this.secretFingerprint(namespace, name, field, opts.signal)) === expected) return;
      await this.clock.sleep(opts.pollMs ?? 500, opts.signal);
    }
  }
}
