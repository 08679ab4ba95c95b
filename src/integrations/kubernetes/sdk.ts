import type { KubeConfig } from '@kubernetes/client-node';
import { once } from '../../core/once.js';

/**
 * @kubernetes/client-node, imported on first use: the import alone takes seconds of CPU and about
 * 80 MB, and a LeakGuard without credentials (a test runner, a first start) never needs it.
 * LeakGuard.start() loads it before anything acts when credentials are configured, so no
 * incident waits for it.
 */
export const kubernetesSdk = once(() => import('@kubernetes/client-node'));

export type KubernetesSdk = Awaited<ReturnType<typeof kubernetesSdk>>;

/** A KubeConfig, or how to load one (a file, the in-cluster account): loaded once, when first needed. */
export type KubeConfigSource = KubeConfig | (() => Promise<KubeConfig>);

/** The SDK and the API clients `make` builds from the config, built once on first use. */
export function lazyApis<T>(source: KubeConfigSource, make: (sdk: KubernetesSdk, kc: KubeConfig) => T): () => Promise<T> {
  return once(async () => make(await kubernetesSdk(), typeof source === 'function' ? await source() : source));
}
