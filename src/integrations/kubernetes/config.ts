import { KubeConfig } from '@kubernetes/client-node';
import type { Config } from '../../config/schema.js';

/** From a kubeconfig file when the config names one, else the in-cluster service account. */
export function kubeConfigFrom(config: Config['kubernetes']): KubeConfig {
  const kc = new KubeConfig();
  if (config.kubeconfig) {
    kc.loadFromFile(config.kubeconfig);
    if (config.context) kc.setCurrentContext(config.context);
  } else {
    kc.loadFromCluster();
  }
  return kc;
}
