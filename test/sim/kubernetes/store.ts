import { randomUUID } from 'node:crypto';
import type { Clock } from '../../../src/core/clock.js';
import { clone } from './patch.js';
import { rfc3339 } from './time.js';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Record<string, unknown>[];
  [k: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [k: string]: unknown;
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  resource: string;
  object: KubeObject;
  rv: number;
}

/** How many past events a watch can resume from; older resourceVersions get 410 Gone, as etcd compaction gives. */
const HISTORY = 2000;

/**
 * Every object of the simulated cluster, like etcd behind the API server: one resourceVersion
 * counter for all kinds, increasing on every write, and a history that watches replay from.
 */
export class ObjectStore {
  #rv = 1000;
  #objects = new Map<string, Map<string, KubeObject>>();
  #history: StoreEvent[] = [];
  #listeners = new Set<(e: StoreEvent) => void>();

  constructor(private readonly clock: Clock) {}

  get resourceVersion(): string {
    return String(this.#rv);
  }

  /** The oldest resourceVersion a watch may still start from. */
  get oldestWatchable(): number {
    return (this.#history[0]?.rv ?? this.#rv + 1) - 1;
  }

  get(resource: string, namespace: string, name: string): KubeObject | undefined {
    const o = this.#bucket(resource).get(key(namespace, name));
    return o && clone(o);
  }

  list(resource: string, namespace?: string): KubeObject[] {
    return [...this.#bucket(resource).values()]
      .filter((o) => !namespace || o.metadata.namespace === namespace)
      .sort((a, b) => key(a.metadata.namespace, a.metadata.name).localeCompare(key(b.metadata.namespace, b.metadata.name)))
      .map(clone);
  }

  /** Stores a new object, filling uid, creationTimestamp and resourceVersion. */
  create(resource: string, obj: KubeObject): KubeObject {
    const stored = clone(obj);
    stored.metadata.uid ??= randomUUID();
    stored.metadata.creationTimestamp ??= rfc3339(this.clock.now());
    return this.#write(resource, 'ADDED', stored);
  }

  update(resource: string, obj: KubeObject): KubeObject {
    return this.#write(resource, 'MODIFIED', clone(obj));
  }

  delete(resource: string, namespace: string, name: string): KubeObject | undefined {
    const current = this.#bucket(resource).get(key(namespace, name));
    if (!current) return undefined;
    this.#bucket(resource).delete(key(namespace, name));
    const gone = clone(current);
    gone.metadata.resourceVersion = String(++this.#rv);
    this.#emit({ type: 'DELETED', resource, object: gone, rv: this.#rv });
    return clone(gone);
  }

  /** Events after `sinceRv` (for a resumed watch), oldest first. */
  since(resource: string, sinceRv: number): StoreEvent[] {
    return this.#history.filter((e) => e.resource === resource && e.rv > sinceRv).map((e) => ({ ...e, object: clone(e.object) }));
  }

  subscribe(listener: (e: StoreEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #write(resource: string, type: EventType, obj: KubeObject): KubeObject {
    obj.metadata.resourceVersion = String(++this.#rv);
    this.#bucket(resource).set(key(obj.metadata.namespace, obj.metadata.name), obj);
    this.#emit({ type, resource, object: clone(obj), rv: this.#rv });
    return clone(obj);
  }

  #emit(e: StoreEvent): void {
    this.#history.push(e);
    if (this.#history.length > HISTORY) this.#history.shift();
    for (const l of this.#listeners) l({ ...e, object: clone(e.object) });
  }

  #bucket(resource: string): Map<string, KubeObject> {
    let b = this.#objects.get(resource);
    if (!b) this.#objects.set(resource, (b = new Map()));
    return b;
  }
}

const key = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;
