export { KubernetesSim, type KubernetesSimOptions, type SeedDeployment } from './server.js';
export { kubeConfigFor } from './kubeconfig.js';
export { kubectlRolloutStatus, type RolloutStatus } from './rollout-status.js';
export type { PodBehaviour, PodContext, PodStartedHook, PodStoppedHook } from './pods.js';
export type { ReadSecret } from './external-secrets.js';
export type { Deployment } from './deployments.js';
export type { KubeObject } from './store.js';
