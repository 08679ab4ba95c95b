import { KubeConfig } from '@kubernetes/client-node';

/**
 * A KubeConfig pointed at the simulator with its bearer token. client-node 2.x refuses http://
 * servers unless skipTLSVerify is set.
 */
export function kubeConfigFor(url: string, token: string, namespace = 'default'): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'sim', server: url, skipTLSVerify: true }],
    users: [{ name: 'sim', token }],
    contexts: [{ name: 'sim', cluster: 'sim', user: 'sim', namespace }],
    currentContext: 'sim',
  });
  return kc;
}
