import type { KubeConfig } from '@kubernetes/client-node';
import type { Config } from '../../config/schema.js';
import { kubernetesSdk } from './sdk.js';

/** From a kubeconfig file when the config names one, else the in-cluster service account. */
export async function kubeConfigFrom(config: Config['kubernetes']): Promise<KubeConfig> {
  const kc = new (await kubernetesSdk()).KubeConfig();
  if (!config.kubeconfig) {
    kc.loadFromCluster();
    return kc;
  }
  try {
    kc.loadFromFile(config.kubeconfig);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message.split('\n')[0];
    throw new Error(`cannot load the kubeconfig ${config.kubeconfig} (${why}); point kubernetes.kubeconfig (LEAKGUARD_KUBECONFIG) at a readable kubeconfig, or remove it to use the in-cluster service account`);
  }
  if (config.context) {
    if (!kc.getContexts().some((c) => c.name === config.context)) throw new Error(`the kubeconfig ${config.kubeconfig} has no context "${config.context}"; set kubernetes.context to one of: ${kc.getContexts().map((c) => c.name).join(', ') || '(none)'}`);
    kc.setCurrentContext(config.context);
  }
  return kc;
}
