import { applyPatch, clone, deepEqual } from './patch.js';
import { apiVersionOf, type ResourceType } from './resources.js';
import { matches, parseSelector } from './selectors.js';
import { errors } from './status.js';
import type { KubeObject, ObjectStore } from './store.js';

export interface ListOptions {
  labelSelector?: string | null;
  fieldSelector?: string | null;
}

/**
 * The generic registry behaviour every kind shares: preconditions, status/spec separation,
 * generation, no-op writes that leave the resourceVersion alone.
 */
export class Registry {
  constructor(readonly store: ObjectStore) {}

  get(t: ResourceType, namespace: string, name: string): KubeObject {
    const obj = this.store.get(t.resource, namespace, name);
    if (!obj) throw errors.notFound(t, name);
    return obj;
  }

  list(t: ResourceType, namespace: string | undefined, opts: ListOptions = {}): KubeObject[] {
    const filter = objectFilter(opts);
    return this.store.list(t.resource, namespace).filter(filter);
  }

  /** The List object: items carry no kind/apiVersion, the list's resourceVersion is the store's. */
  listObject(t: ResourceType, version: string, items: KubeObject[]) {
    return {
      kind: t.listKind,
      apiVersion: apiVersionOf(t, version),
      metadata: { resourceVersion: this.store.resourceVersion },
      items: items.map(({ kind: _k, apiVersion: _a, ...rest }) => rest),
    };
  }

  create(t: ResourceType, namespace: string, body: KubeObject, dryRun = false): KubeObject {
    const obj = clone(body);
    if (!obj.metadata?.name) throw errors.invalid(t, '', 'metadata.name', '', 'name or generateName is required');
    if (obj.metadata.namespace && obj.metadata.namespace !== namespace)
      throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    if (this.store.get(t.resource, namespace, obj.metadata.name)) throw errors.alreadyExists(t, obj.metadata.name);
    obj.apiVersion = apiVersionOf(t);
    obj.kind = t.kind;
    obj.metadata = { ...obj.metadata, namespace };
    delete obj.metadata.resourceVersion;
    if (t.generation) obj.metadata.generation = 1;
    if (t.hasStatus) obj.status = {};
    t.prepare?.(obj, undefined);
    return dryRun ? obj : this.store.create(t.resource, obj);
  }

  /**
   * An update (PUT or PATCH) of the object or its status: `next` is what the client wants stored.
   * A resourceVersion in `next` that is not the current one is a 409.
   */
  update(t: ResourceType, current: KubeObject, next: KubeObject, subresource?: 'status', dryRun = false): KubeObject {
    const name = current.metadata.name;
    if (next.metadata?.name && next.metadata.name !== name)
      throw errors.badRequest(`the name of the object (${next.metadata.name}) does not match the name on the URL (${name})`);
    const rv = next.metadata?.resourceVersion;
    if (rv && rv !== current.metadata.resourceVersion) throw errors.conflict(t, name);
    let obj: KubeObject;
    if (subresource === 'status') {
      obj = { ...clone(current), status: clone(next.status) };
    } else {
      obj = clone(next);
      obj.metadata = {
        ...obj.metadata,
        name,
        namespace: current.metadata.namespace,
        uid: current.metadata.uid,
        creationTimestamp: current.metadata.creationTimestamp,
        resourceVersion: current.metadata.resourceVersion,
      };
      if (current.metadata.deletionTimestamp) obj.metadata.deletionTimestamp = current.metadata.deletionTimestamp;
      if (t.hasStatus) obj.status = clone(current.status);
    }
    obj.apiVersion = current.apiVersion;
    obj.kind = current.kind;
    if (t.generation) {
      obj.metadata.generation = current.metadata.generation;
      if (subresource !== 'status' && !deepEqual(specOf(obj), specOf(current))) obj.metadata.generation = (current.metadata.generation ?? 0) + 1;
    }
    if (subresource !== 'status') t.prepare?.(obj, current);
    // The API server skips the storage write of an update that changes nothing.
    if (deepEqual(obj, current)) return current;
    return dryRun ? obj : this.store.update(t.resource, obj);
  }

  patch(t: ResourceType, current: KubeObject, contentType: string | undefined, body: Buffer, subresource?: 'status', dryRun = false): KubeObject {
    return this.update(t, current, applyPatch(checkPatchType(t, contentType), current, parseBody(body)) as KubeObject, subresource, dryRun);
  }
}

/** The patch media type with parameters stripped; 415 when the kind does not take it. */
export function checkPatchType(t: ResourceType, contentType: string | undefined): string {
  const type = (contentType ?? '').split(';')[0]?.trim() ?? '';
  if (!t.patchTypes.includes(type) || type === 'application/apply-patch+yaml') throw errors.unsupportedMediaType(t.patchTypes);
  return type;
}

export function parseBody(body: Buffer): any {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw errors.badRequest(`error decoding patch: ${(e as Error).message}`);
  }
}

/** Everything the user owns that is not metadata or status: its change bumps metadata.generation. */
const specOf = ({ metadata: _m, status: _s, ...rest }: KubeObject) => rest;

/** Label and field selectors (fields: metadata.name, metadata.namespace, status.phase) as a predicate. */
export function objectFilter(opts: ListOptions): (o: KubeObject) => boolean {
  const labels = parseSelector(opts.labelSelector);
  const fields = (opts.fieldSelector ? opts.fieldSelector.split(',') : []).map((term) => {
    const m = term.match(/^([\w.]+)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw errors.badRequest(`invalid selector: '${term}'; can't understand '${term}'`);
    const [, path, op, value] = m as unknown as [string, string, string, string];
    if (!['metadata.name', 'metadata.namespace', 'status.phase'].includes(path))
      throw errors.badRequest(`field label not supported: ${path}`);
    return { path, negate: op === '!=', value };
  });
  return (o) =>
    matches(labels, o.metadata.labels) &&
    fields.every((f) => {
      const [a, b] = f.path.split('.') as [string, string];
      const actual = (o[a] as Record<string, unknown> | undefined)?.[b] ?? '';
      return (actual === f.value) !== f.negate;
    });
}
