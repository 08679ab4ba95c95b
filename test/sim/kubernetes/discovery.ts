import type { ResourceType } from './resources.js';

/** The subresources a kind serves, by name: their verbs. */
export type Subresources = Record<string, Record<string, string[]>>;

/**
 * The discovery documents of the API server (k8s.io/apimachinery meta/v1 APIVersions,
 * APIGroupList, APIGroup, APIResourceList) for the kinds this cluster serves: `GET /api`, `/apis`,
 * `/apis/{group}` and `/apis/{group}/{version}`. Undefined for any other path, and for a group or
 * version that is not served (the server's 404).
 */
export function discovery(types: ResourceType[], subresources: Subresources, path: string): object | undefined {
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'api' && parts.length === 1) return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
  if (parts[0] !== 'apis' || parts.length > 3) return undefined;
  const groups = [...new Set(types.filter((t) => t.group && t.versions.length).map((t) => t.group))].map((name) => apiGroup(name, types));
  const [, group, version] = parts;
  if (group === undefined) return { kind: 'APIGroupList', apiVersion: 'v1', groups };
  const found = groups.find((g) => g.name === group);
  if (!found) return undefined;
  if (version === undefined) return { kind: 'APIGroup', apiVersion: 'v1', ...found };
  const served = types.filter((t) => t.group === group && t.versions.includes(version));
  if (!served.length) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: `${group}/${version}`,
    resources: served.flatMap((t) => [
      { name: t.resource, singularName: t.kind.toLowerCase(), namespaced: true, kind: t.kind, verbs: t.verbs },
      ...Object.entries(subresources[t.resource] ?? {}).map(([sub, verbs]) =>
        sub === 'scale'
          ? { name: `${t.resource}/${sub}`, singularName: '', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs }
          : { name: `${t.resource}/${sub}`, singularName: '', namespaced: true, kind: t.kind, verbs },
      ),
    ]),
  };
}

/** One group's versions, the preferred (storage) version first. */
function apiGroup(name: string, types: ResourceType[]) {
  const versions = [...new Set(types.filter((t) => t.group === name).flatMap((t) => t.versions))].map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions, preferredVersion: versions[0] };
}
