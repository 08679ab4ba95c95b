import { DEPLOYMENTS, defaultDeployment, validateDeployment, type Deployment } from './deployments.js';
import { PatchType } from './patch.js';
import { errors, type ResourceName } from './status.js';
import type { KubeObject } from './store.js';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

export interface ResourceType extends ResourceName {
  /** Versions served; the first is the one objects are stored in. */
  versions: string[];
  listKind: string;
  verbs: Verb[];
  patchTypes: string[];
  /** Has a status subresource: writes to the object keep its status, writes to /status change only status. */
  hasStatus: boolean;
  /** metadata.generation is kept and bumps when anything but metadata and status changes. */
  generation: boolean;
  /** Defaults and validation for an object about to be stored (`old` on update). */
  prepare?(obj: KubeObject, old: KubeObject | undefined): void;
}

const ALL: Verb[] = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
const BUILT_IN_PATCHES = [PatchType.json, PatchType.merge, 'application/apply-patch+yaml', PatchType.strategic];
/** Custom resources do not support strategic merge patch; the API server lists these in its 415. */
const CUSTOM_PATCHES = [PatchType.json, PatchType.merge, 'application/apply-patch+yaml'];

export const SECRETS: ResourceType = {
  group: '',
  resource: 'secrets',
  kind: 'Secret',
  versions: ['v1'],
  listKind: 'SecretList',
  verbs: ALL,
  patchTypes: BUILT_IN_PATCHES,
  hasStatus: false,
  generation: false,
  prepare: (obj) => prepareSecret(obj),
};

export const PODS: ResourceType = {
  group: '',
  resource: 'pods',
  kind: 'Pod',
  versions: ['v1'],
  listKind: 'PodList',
  // Pods are made by the rollout controller; clients read, watch and delete them.
  verbs: ['get', 'list', 'watch', 'delete'],
  patchTypes: BUILT_IN_PATCHES,
  hasStatus: true,
  generation: false,
};

export const DEPLOYMENT_TYPE: ResourceType = {
  ...DEPLOYMENTS,
  versions: ['v1'],
  listKind: 'DeploymentList',
  verbs: ALL,
  patchTypes: BUILT_IN_PATCHES,
  hasStatus: true,
  generation: true,
  prepare: (obj, old) => {
    defaultDeployment(obj as Deployment);
    validateDeployment(obj as Deployment, old as Deployment | undefined);
  },
};

/** external-secrets 0.17 and later serve only v1 (0.16 served v1 and v1beta1; before, v1beta1 alone). */
export const EXTERNAL_SECRETS: ResourceType = {
  group: 'external-secrets.io',
  resource: 'externalsecrets',
  kind: 'ExternalSecret',
  versions: ['v1'],
  listKind: 'ExternalSecretList',
  verbs: ALL,
  patchTypes: CUSTOM_PATCHES,
  hasStatus: true,
  generation: true,
};

/** The kinds a cluster serves, ExternalSecrets at the versions its external-secrets release serves. */
export const resourceTypes = (externalSecretsVersions = EXTERNAL_SECRETS.versions): ResourceType[] => [
  DEPLOYMENT_TYPE,
  PODS,
  SECRETS,
  { ...EXTERNAL_SECRETS, versions: externalSecretsVersions },
];

export const apiVersionOf = (t: ResourceType, version = t.versions[0]) => (t.group ? `${t.group}/${version}` : (version as string));

/** stringData is write-only: merged into data (base64) and dropped, as the API server does. */
function prepareSecret(obj: KubeObject): void {
  const data = (obj.data ?? {}) as Record<string, string>;
  for (const [k, v] of Object.entries(data)) {
    if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0)
      throw errors.badRequest(`Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 0 (key ${k})`);
  }
  for (const [k, v] of Object.entries((obj.stringData ?? {}) as Record<string, string>)) data[k] = Buffer.from(v, 'utf8').toString('base64');
  delete obj.stringData;
  if (Object.keys(data).length) obj.data = data;
  else delete obj.data;
  obj.type ??= 'Opaque';
}
