import { errors } from './status.js';

/** The three patch media types the API server accepts for built-in kinds (server-side apply is not simulated). */
export const PatchType = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
} as const;

type Json = unknown;
type JsonObject = Record<string, Json>;

const isObject = (v: Json): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

export const clone = <T>(v: T): T => structuredClone(v);

/** Applies `patch` (already parsed) of media type `type` to a copy of `doc`. */
export function applyPatch(type: string, doc: JsonObject, patch: Json): JsonObject {
  if (type === PatchType.json) return jsonPatch(doc, patch);
  if (!isObject(patch)) throw errors.badRequest('invalid JSON Patch');
  return (type === PatchType.merge ? mergePatch(doc, patch) : strategicMergePatch(doc, patch)) as JsonObject;
}

/** RFC 7386: objects merge recursively, null deletes, anything else (arrays included) replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/**
 * Merge keys of the list fields LeakGuard's workloads use (from the Kubernetes API's
 * patchMergeKey tags): these lists merge element by element; every other list is replaced.
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
  imagePullSecrets: 'name',
  conditions: 'type',
  ownerReferences: 'uid',
};

/**
 * Strategic merge patch: a merge patch where lists with a merge key merge by that key, and
 * the directives kubectl emits are honoured ($patch: replace|delete) or dropped ($setElementOrder,
 * $retainKeys, which only order or prune what the merge already produced).
 */
export function strategicMergePatch(target: Json, patch: JsonObject): Json {
  if (patch.$patch === 'replace') {
    const { $patch: _, ...rest } = patch;
    return clone(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) delete out[k];
    else if (isObject(v)) {
      const merged = strategicMergePatch(out[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else if (Array.isArray(v) && MERGE_KEYS[k] && Array.isArray(out[k])) out[k] = mergeList(out[k] as Json[], v, MERGE_KEYS[k]);
    else out[k] = clone(v);
  }
  return out;
}

function mergeList(current: Json[], patch: Json[], key: string): Json[] {
  const out = [...current];
  for (const item of patch) {
    if (!isObject(item)) continue;
    const at = out.findIndex((e) => isObject(e) && e[key] === item[key]);
    if (item.$patch === 'delete') {
      if (at >= 0) out.splice(at, 1);
    } else if (at >= 0) out[at] = strategicMergePatch(out[at], item);
    else out.push(strategicMergePatch({}, item));
  }
  return out;
}

interface Op {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

/**
 * RFC 6902 JSON Patch. Failures carry the messages of evanphx/json-patch (the library the API
 * server uses), which the server wraps in a 422.
 */
export function jsonPatch(doc: JsonObject, ops: Json): JsonObject {
  if (!Array.isArray(ops)) throw errors.badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let root: Json = clone(doc);
  for (const raw of ops as Op[]) {
    const path = parsePointer(raw.path);
    switch (raw.op) {
      case 'add':
        root = put(root, path, clone(raw.value), true, raw.path);
        break;
      case 'replace':
        get(root, path, raw.path, 'replace operation does not apply: doc is missing key');
        root = put(root, path, clone(raw.value), false, raw.path);
        break;
      case 'remove':
        root = remove(root, path, raw.path);
        break;
      case 'test':
        if (!deepEqual(get(root, path, raw.path, 'testing value'), raw.value)) throw errors.patchFailed(`testing value ${raw.path} failed: test failed`);
        break;
      case 'move': {
        const from = parsePointer(raw.from ?? '');
        const value = get(root, from, raw.from ?? '', 'move operation does not apply: doc is missing from path');
        root = put(remove(root, from, raw.from ?? ''), path, value, true, raw.path);
        break;
      }
      case 'copy': {
        const value = get(root, parsePointer(raw.from ?? ''), raw.from ?? '', 'copy operation does not apply: doc is missing from path');
        root = put(root, path, clone(value), true, raw.path);
        break;
      }
      default:
        throw errors.patchFailed(`Unexpected kind: ${raw.op}`);
    }
  }
  if (!isObject(root)) throw errors.patchFailed('patched document is not an object');
  return root;
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw errors.patchFailed(`invalid JSON pointer: ${pointer}`);
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function get(root: Json, path: string[], pointer: string, what: string): Json {
  let cur = root;
  for (const seg of path) {
    if (Array.isArray(cur) && /^\d+$/.test(seg) && Number(seg) < cur.length) cur = cur[Number(seg)];
    else if (isObject(cur) && seg in cur) cur = cur[seg];
    else throw errors.patchFailed(`${what}: ${pointer}: missing value`);
  }
  return cur;
}

function put(root: Json, path: string[], value: Json, insert: boolean, pointer: string): Json {
  if (path.length === 0) return value;
  const parent = get(root, path.slice(0, -1), pointer, 'add operation does not apply: doc is missing path');
  const last = path[path.length - 1] as string;
  if (Array.isArray(parent)) {
    const i = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(i) || i < 0 || i > parent.length - (insert ? 0 : 1)) throw errors.patchFailed(`Unable to access invalid index: ${i}: invalid index referenced`);
    parent.splice(i, insert ? 0 : 1, value);
  } else if (isObject(parent)) parent[last] = value;
  else throw errors.patchFailed(`add operation does not apply: doc is missing path: ${pointer}: missing value`);
  return root;
}

function remove(root: Json, path: string[], pointer: string): Json {
  const parent = get(root, path.slice(0, -1), pointer, 'remove operation does not apply: doc is missing path');
  const last = path[path.length - 1] as string;
  if (Array.isArray(parent) && /^\d+$/.test(last) && Number(last) < parent.length) parent.splice(Number(last), 1);
  else if (isObject(parent) && last in parent) delete parent[last];
  else throw errors.patchFailed(`Unable to remove nonexistent key: ${last}: missing value`);
  return root;
}

export function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}
