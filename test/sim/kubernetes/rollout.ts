import { randomInt, randomUUID } from 'node:crypto';
import type { Clock } from '../../../src/core/clock.js';
import type { Condition, Deployment, DeploymentStatus } from './deployments.js';
import { clone } from './patch.js';
import type { PodBehaviour, Pods } from './pods.js';
import { DEPLOYMENT_TYPE } from './resources.js';
import type { Registry } from './rest.js';
import type { KubeObject, StoreEvent } from './store.js';
import { parseTime, rfc3339 } from './time.js';

const REVISION = 'deployment.kubernetes.io/revision';
/** rand.SafeEncodeString's alphabet: no vowels, no look-alikes. */
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

interface ReplicaSet {
  name: string;
  hash: string;
  uid: string;
  revision: number;
}

interface State {
  replicaSets: ReplicaSet[];
  /** When the controller will see the latest generation (it lags writes by controllerDelayMs). */
  observeAt?: number;
  behaviour: Partial<PodBehaviour>;
  /** Pods created up to this time start at once (a seeded, already running deployment). */
  settleUntil?: number;
}

export interface RolloutOptions {
  controllerDelayMs: number;
  podStartMs: number;
}

/**
 * The Deployment controller: rolls pods from old to new ReplicaSets within maxSurge/maxUnavailable
 * (or Recreate), and writes status the way pkg/controller/deployment does (counts omitted when
 * zero, Progressing/Available conditions, the progress deadline).
 */
export class RolloutController {
  #state = new Map<string, State>();

  constructor(
    private readonly registry: Registry,
    private readonly pods: Pods,
    private readonly clock: Clock,
    private readonly opts: RolloutOptions,
  ) {
    registry.store.subscribe((e) => this.#onEvent(e));
  }

  configure(namespace: string, name: string, behaviour: Partial<PodBehaviour>): void {
    Object.assign(this.#stateOf(`${namespace}/${name}`).behaviour, behaviour);
  }

  /** A seeded deployment: observed at once, its first pods ready at once. */
  settle(namespace: string, name: string): void {
    const st = this.#stateOf(`${namespace}/${name}`);
    st.observeAt = st.settleUntil = this.clock.now();
  }

  eventTimes(): number[] {
    const times: number[] = [];
    for (const d of this.registry.store.list('deployments') as Deployment[]) {
      const st = this.#state.get(keyOf(d));
      if (st?.observeAt !== undefined) times.push(st.observeAt);
      const progressing = d.status?.conditions?.find((c) => c.type === 'Progressing');
      if (progressing?.status === 'True' && progressing.reason !== 'NewReplicaSetAvailable')
        times.push((parseTime(progressing.lastUpdateTime) as number) + (d.spec.progressDeadlineSeconds ?? 600) * 1000 + 1);
      const minReady = (d.spec.minReadySeconds ?? 0) * 1000;
      if (minReady > 0)
        for (const p of this.#podsOf(d)) {
          const since = this.pods.readySince(p);
          if (since !== undefined) times.push(since + minReady);
        }
    }
    return times;
  }

  /** One controller pass over every deployment at time `t`; true when it wrote anything. */
  sync(t: number): boolean {
    let changed = false;
    for (const d of this.registry.store.list('deployments') as Deployment[]) changed = this.#syncOne(d, t) || changed;
    return changed;
  }

  #syncOne(d: Deployment, t: number): boolean {
    const st = this.#stateOf(keyOf(d));
    if (unobserved(d) && (st.observeAt === undefined || st.observeAt > t)) return false;
    st.observeAt = undefined;
    let changed = false;
    const hash = templateHash(d.spec.template);
    const maxRevision = Math.max(0, ...st.replicaSets.map((r) => r.revision));
    let rs = st.replicaSets.find((r) => r.hash === hash);
    const created = !rs;
    if (!rs) st.replicaSets.push((rs = { name: `${d.metadata.name}-${hash}`, hash, uid: randomUUID(), revision: maxRevision + 1 }));
    else if (rs.revision < maxRevision) rs.revision = maxRevision + 1;
    if (d.metadata.annotations?.[REVISION] !== String(rs.revision)) {
      const next = clone(d);
      next.metadata.annotations = { ...next.metadata.annotations, [REVISION]: String(rs.revision) };
      d = this.registry.update(DEPLOYMENT_TYPE, d, next) as Deployment;
      changed = true;
    }
    for (let i = 0; i < 20 && this.#scaleStep(d, rs, st, t); i++) changed = true;
    const status = this.#status(d, rs, created, t);
    const written = this.registry.update(DEPLOYMENT_TYPE, d, { ...d, status }, 'status');
    return changed || written.metadata.resourceVersion !== d.metadata.resourceVersion;
  }

  /** One scaling decision (create or terminate some pods); false when there is nothing to do now. */
  #scaleStep(d: Deployment, rs: ReplicaSet, st: State, t: number): boolean {
    const all = this.#podsOf(d);
    const active = all.filter((p) => !this.pods.isTerminating(p));
    const isNew = (p: KubeObject) => ownerOf(p) === rs.name;
    const fresh = active.filter(isNew);
    const old = active.filter((p) => !isNew(p));
    const desired = d.spec.replicas ?? 1;
    const available = (p: KubeObject) => {
      const since = this.pods.readySince(p);
      return since !== undefined && since + (d.spec.minReadySeconds ?? 0) * 1000 <= t;
    };
    const terminate = (pods: KubeObject[], n: number) => {
      for (const p of victims(pods, available).slice(0, n)) this.pods.terminate(d.metadata.namespace as string, p.metadata.name, t);
      return n > 0;
    };
    if (d.spec.strategy?.type === 'Recreate') {
      // Every old pod goes, and new ones start only when no old pod is left at all.
      if (old.length) return terminate(old, old.length);
      if (all.some((p) => !isNew(p))) return false;
      if (fresh.length > desired) return terminate(fresh, fresh.length - desired);
      return this.#create(d, rs, st, t, desired - fresh.length);
    }
    const { surge, unavailable } = fenceposts(d);
    if (fresh.length > desired) return terminate(fresh, fresh.length - desired);
    if (this.#create(d, rs, st, t, Math.min(desired - fresh.length, desired + surge - active.length))) return true;
    if (old.length === 0) return false;
    const minAvailable = desired - unavailable;
    const newUnavailable = fresh.filter((p) => !available(p)).length;
    // As the controller does: first old pods that are not available, then available ones down to minAvailable.
    const unhealthy = old.filter((p) => !available(p));
    const cleanup = Math.min(active.length - minAvailable - newUnavailable, unhealthy.length);
    if (cleanup > 0) return terminate(unhealthy, cleanup);
    return terminate(old, Math.max(0, Math.min(active.filter(available).length - minAvailable, old.length)));
  }

  #create(d: Deployment, rs: ReplicaSet, st: State, t: number, n: number): boolean {
    const template = d.spec.template;
    const behaviour: PodBehaviour = {
      startMs: st.settleUntil !== undefined && t <= st.settleUntil ? 0 : (st.behaviour.startMs ?? this.opts.podStartMs),
      failing: st.behaviour.failing ?? false,
    };
    for (let i = 0; i < n; i++) {
      const suffix = Array.from({ length: 5 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
      this.pods.create(
        {
          name: `${rs.name}-${suffix}`,
          generateName: `${rs.name}-`,
          namespace: d.metadata.namespace,
          labels: { ...template.metadata?.labels, 'pod-template-hash': rs.hash },
          ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs.name, uid: rs.uid, controller: true, blockOwnerDeletion: true }],
        },
        template,
        behaviour,
        t,
      );
    }
    return n > 0;
  }

  /** calculateStatus + syncRolloutStatus of the Deployment controller. */
  #status(d: Deployment, rs: ReplicaSet, created: boolean, t: number): DeploymentStatus {
    const prev = d.status ?? {};
    const now = rfc3339(t);
    const condition = (type: string, ok: boolean, reason: string, message: string): Condition => ({
      type,
      status: ok ? 'True' : 'False',
      reason,
      message,
      lastUpdateTime: now,
      lastTransitionTime: now,
    });
    let conditions = clone(prev.conditions ?? []);
    if (created) conditions = setCondition(conditions, condition('Progressing', true, 'NewReplicaSetCreated', `Created new replica set "${rs.name}"`));

    const active = this.#podsOf(d).filter((p) => !this.pods.isTerminating(p));
    const ready = active.filter((p) => this.pods.readySince(p) !== undefined);
    const counts = {
      replicas: active.length,
      updatedReplicas: active.filter((p) => ownerOf(p) === rs.name).length,
      readyReplicas: ready.length,
      availableReplicas: ready.filter((p) => (this.pods.readySince(p) as number) + (d.spec.minReadySeconds ?? 0) * 1000 <= t).length,
    };
    const desired = d.spec.replicas ?? 1;
    const unavailableReplicas = Math.max(0, desired - counts.availableReplicas);

    const maxUnavailable = d.spec.strategy?.type === 'Recreate' || desired === 0 ? 0 : Math.min(fenceposts(d).unavailable, desired);
    conditions = setCondition(
      conditions,
      counts.availableReplicas >= desired - maxUnavailable
        ? condition('Available', true, 'MinimumReplicasAvailable', 'Deployment has minimum availability.')
        : condition('Available', false, 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'),
    );

    const current = conditions.find((c) => c.type === 'Progressing');
    const rolledOut = counts.replicas === counts.updatedReplicas && current?.reason === 'NewReplicaSetAvailable';
    if (!rolledOut) {
      if (counts.updatedReplicas === desired && counts.replicas === desired && counts.availableReplicas === desired) {
        conditions = setCondition(conditions, condition('Progressing', true, 'NewReplicaSetAvailable', `ReplicaSet "${rs.name}" has successfully progressed.`));
      } else if (progressed(prev, counts)) {
        // Progress refreshes lastUpdateTime even with the same reason: the deadline counts from it.
        const c = condition('Progressing', true, 'ReplicaSetUpdated', `ReplicaSet "${rs.name}" is progressing.`);
        if (current?.status === 'True') c.lastTransitionTime = current.lastTransitionTime;
        conditions = [...conditions.filter((x) => x.type !== 'Progressing'), c];
      } else if (current && current.reason !== 'NewReplicaSetAvailable') {
        const deadline = (parseTime(current.lastUpdateTime) as number) + (d.spec.progressDeadlineSeconds ?? 600) * 1000;
        if (current.reason === 'ProgressDeadlineExceeded' || deadline < t)
          conditions = setCondition(conditions, condition('Progressing', false, 'ProgressDeadlineExceeded', `ReplicaSet "${rs.name}" has timed out progressing.`));
      }
    }
    // Status counts are omitempty in the API: zero is absent, not 0.
    const nonZero = Object.fromEntries(Object.entries({ ...counts, unavailableReplicas }).filter(([, v]) => v > 0));
    return { observedGeneration: d.metadata.generation, ...nonZero, conditions };
  }

  #podsOf(d: Deployment): KubeObject[] {
    const names = new Set(this.#stateOf(keyOf(d)).replicaSets.map((r) => r.name));
    return this.registry.store.list('pods', d.metadata.namespace).filter((p) => names.has(ownerOf(p) ?? ''));
  }

  #onEvent(e: StoreEvent): void {
    if (e.resource !== 'deployments') return;
    const d = e.object as Deployment;
    const st = this.#stateOf(keyOf(d));
    if (e.type === 'DELETED') {
      // Garbage collection: the ReplicaSets go and their pods terminate.
      const names = new Set(st.replicaSets.map((r) => r.name));
      for (const p of this.registry.store.list('pods', d.metadata.namespace))
        if (names.has(ownerOf(p) ?? '')) this.pods.terminate(p.metadata.namespace as string, p.metadata.name, this.clock.now());
      this.#state.delete(keyOf(d));
    } else if (unobserved(d)) st.observeAt ??= this.clock.now() + this.opts.controllerDelayMs;
  }

  #stateOf(key: string): State {
    let st = this.#state.get(key);
    if (!st) this.#state.set(key, (st = { replicaSets: [], behaviour: {} }));
    return st;
  }
}

const keyOf = (o: KubeObject) => `${o.metadata.namespace}/${o.metadata.name}`;
const ownerOf = (p: KubeObject) => p.metadata.ownerReferences?.[0]?.name as string | undefined;
const unobserved = (d: Deployment) => (d.metadata.generation ?? 0) > (d.status?.observedGeneration ?? 0);

/** SetDeploymentCondition: same status and reason is no change; same status keeps lastTransitionTime. */
function setCondition(conditions: Condition[], c: Condition): Condition[] {
  const cur = conditions.find((x) => x.type === c.type);
  if (cur && cur.status === c.status && cur.reason === c.reason) return conditions;
  if (cur && cur.status === c.status) c.lastTransitionTime = cur.lastTransitionTime;
  return [...conditions.filter((x) => x.type !== c.type), c];
}

/** DeploymentProgressing: more updated, ready or available pods, or fewer old ones. */
function progressed(prev: DeploymentStatus, next: Required<Pick<DeploymentStatus, 'replicas' | 'updatedReplicas' | 'readyReplicas' | 'availableReplicas'>>): boolean {
  const n = (v: number | undefined) => v ?? 0;
  return (
    next.updatedReplicas > n(prev.updatedReplicas) ||
    next.replicas - next.updatedReplicas < n(prev.replicas) - n(prev.updatedReplicas) ||
    next.readyReplicas > n(prev.readyReplicas) ||
    next.availableReplicas > n(prev.availableReplicas)
  );
}

/** ResolveFenceposts: maxSurge rounds up, maxUnavailable down, and both zero means one unavailable. */
function fenceposts(d: Deployment): { surge: number; unavailable: number } {
  const desired = d.spec.replicas ?? 1;
  const resolve = (v: number | string | undefined, up: boolean) => {
    if (typeof v === 'number') return v;
    const pct = Number(String(v ?? '25%').replace('%', ''));
    return (up ? Math.ceil : Math.floor)((pct * desired) / 100);
  };
  const surge = resolve(d.spec.strategy?.rollingUpdate?.maxSurge, true);
  const unavailable = resolve(d.spec.strategy?.rollingUpdate?.maxUnavailable, false);
  return { surge, unavailable: surge === 0 && unavailable === 0 ? 1 : unavailable };
}

/** Which pods a scale-down removes first: not available, then the youngest (the ReplicaSet controller's ranking). */
function victims(pods: KubeObject[], available: (p: KubeObject) => boolean): KubeObject[] {
  return [...pods].sort(
    (a, b) =>
      Number(available(a)) - Number(available(b)) ||
      (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') ||
      b.metadata.name.localeCompare(a.metadata.name),
  );
}

/** The pod-template-hash: FNV-1a of the template, rendered through SafeEncodeString. */
export function templateHash(template: unknown): string {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(stableJson(template))) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return [...String(h)].map((c) => ALPHABET[c.charCodeAt(0) % ALPHABET.length]).join('');
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}
