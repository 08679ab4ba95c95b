import { deepEqual } from './patch.js';
import { selectorString, fromLabelSelector, matches, type LabelSelector } from './selectors.js';
import { errors, type ResourceName } from './status.js';
import type { KubeObject } from './store.js';

export const DEPLOYMENTS: ResourceName = { group: 'apps', resource: 'deployments', kind: 'Deployment' };
const SCALE: ResourceName = { group: 'autoscaling', resource: 'scale', kind: 'Scale' };

export interface Container {
  name: string;
  image?: string;
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } } }[];
  envFrom?: { prefix?: string; secretRef?: { name: string; optional?: boolean } }[];
  [k: string]: unknown;
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { containers: Container[]; terminationGracePeriodSeconds?: number; [k: string]: unknown };
}

export interface DeploymentSpec {
  replicas?: number;
  selector: LabelSelector;
  template: PodTemplate;
  strategy?: { type?: string; rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string } };
  minReadySeconds?: number;
  progressDeadlineSeconds?: number;
  revisionHistoryLimit?: number;
  paused?: boolean;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastUpdateTime: string;
  lastTransitionTime: string;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: Condition[];
}

export interface Deployment extends KubeObject {
  spec: DeploymentSpec;
  status?: DeploymentStatus;
}

/** The defaults the API server fills into an apps/v1 Deployment (pkg/apis/apps/v1/defaults.go, core/v1 pod defaults). */
export function defaultDeployment(d: Deployment): void {
  const s = d.spec;
  s.replicas ??= 1;
  s.progressDeadlineSeconds ??= 600;
  s.revisionHistoryLimit ??= 10;
  s.strategy ??= {};
  s.strategy.type ??= 'RollingUpdate';
  if (s.strategy.type === 'RollingUpdate') {
    s.strategy.rollingUpdate ??= {};
    s.strategy.rollingUpdate.maxSurge ??= '25%';
    s.strategy.rollingUpdate.maxUnavailable ??= '25%';
  }
  const pod = s.template?.spec;
  if (!pod) return;
  pod.restartPolicy ??= 'Always';
  pod.terminationGracePeriodSeconds ??= 30;
  pod.dnsPolicy ??= 'ClusterFirst';
  pod.schedulerName ??= 'default-scheduler';
  pod.securityContext ??= {};
  for (const c of pod.containers ?? []) {
    c.imagePullPolicy ??= !c.image || !/:[^/]+$/.test(c.image) || c.image.endsWith(':latest') ? 'Always' : 'IfNotPresent';
    c.resources ??= {};
    c.terminationMessagePath ??= '/dev/termination-log';
    c.terminationMessagePolicy ??= 'File';
  }
}

/** The validation failures LeakGuard could provoke (apps validation.ValidateDeployment, a subset). */
export function validateDeployment(d: Deployment, old: Deployment | undefined): void {
  const name = d.metadata.name;
  const s = d.spec;
  if (typeof s?.replicas !== 'number' || !Number.isInteger(s.replicas) || s.replicas < 0)
    throw errors.invalid(DEPLOYMENTS, name, 'spec.replicas', s?.replicas, 'must be greater than or equal to 0');
  if (!s.selector || fromLabelSelector(s.selector).length === 0) throw errors.invalid(DEPLOYMENTS, name, 'spec.selector', '', 'empty selector is invalid for deployment');
  if (!s.template?.spec?.containers?.length) throw errors.invalid(DEPLOYMENTS, name, 'spec.template.spec.containers', '', 'Required value');
  if (!matches(fromLabelSelector(s.selector), s.template.metadata?.labels))
    throw errors.invalid(DEPLOYMENTS, name, 'spec.template.metadata.labels', JSON.stringify(s.template.metadata?.labels ?? {}), '`selector` does not match template `labels`');
  if (old && !deepEqual(old.spec.selector, s.selector))
    throw errors.invalid(DEPLOYMENTS, name, 'spec.selector', selectorString(s.selector), 'field is immutable');
}

/** scaleFromDeployment (pkg/registry/apps/deployment/storage/storage.go). */
export function scaleOf(d: Deployment) {
  const m = d.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    // ScaleSpec.replicas is omitempty: a Deployment at 0 has an empty Scale spec.
    spec: d.spec.replicas ? { replicas: d.spec.replicas } : {},
    status: { replicas: d.status?.replicas ?? 0, selector: selectorString(d.spec.selector) },
  };
}

/**
 * A Scale written through /scale turned back into the Deployment: only spec.replicas changes; the
 * Scale's resourceVersion (when set) is the precondition for the Deployment's.
 */
export function applyScale(d: Deployment, scale: { metadata?: { name?: string; resourceVersion?: string }; spec?: { replicas?: unknown } }): Deployment {
  const name = d.metadata.name;
  if (scale.metadata?.name && scale.metadata.name !== name)
    throw errors.badRequest(`the name of the object (${scale.metadata.name}) does not match the name on the URL (${name})`);
  const replicas = scale.spec?.replicas ?? 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)
    throw errors.invalid(SCALE, name, 'spec.replicas', replicas, 'must be greater than or equal to 0');
  const next = structuredClone(d);
  next.spec.replicas = replicas;
  if (scale.metadata?.resourceVersion) next.metadata.resourceVersion = scale.metadata.resourceVersion;
  return next;
}
