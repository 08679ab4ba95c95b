import type { Clock } from '../../../src/core/clock.js';
import type { Container, PodTemplate } from './deployments.js';
import { clone } from './patch.js';
import type { KubeObject, ObjectStore } from './store.js';
import { rfc3339 } from './time.js';

/** How a deployment's pods behave: the time from creation to ready, or never ready (crash loop). */
export interface PodBehaviour {
  startMs: number;
  failing: boolean;
}

/** What code running "inside" a pod (a simulated bot) gets when its container starts. */
export interface PodContext {
  /** The container's environment as the kubelet resolved it at start (values, secretKeyRef, envFrom). */
  readonly env: Record<string, string>;
  /** Aborted when the container is told to stop: reason 'SIGTERM' on deletion, 'crashed' after crash(). */
  readonly signal: AbortSignal;
  appendLog(line: string): void;
  /** The process exits with an error: the pod goes unready (CrashLoopBackOff) and restarts after a back-off. */
  crash(message?: string): void;
}

export type PodStartedHook = (pod: KubeObject, ctx: PodContext) => void;
export type PodStoppedHook = (pod: KubeObject, why: 'deleted' | 'crashed') => void;

export interface LogLine {
  at: number;
  line: string;
}

interface Runtime {
  namespace: string;
  name: string;
  container: string;
  failing: boolean;
  /** Next (re)start attempt while the container is not running. */
  startAt?: number;
  runningSince?: number;
  restartCount: number;
  waiting?: { reason: string; message?: string };
  goneAt?: number;
  abort?: AbortController;
  logs: LogLine[];
  followers: Set<{ line(l: LogLine): void; end(): void }>;
}

/** Kubelet's CrashLoopBackOff: 10 s doubling up to 5 min. */
const backoff = (restarts: number) => Math.min(300_000, 10_000 * 2 ** Math.max(0, restarts - 1));
/** How soon the kubelet retries a container whose Secret is missing. */
const CONFIG_RETRY_MS = 10_000;

/**
 * The pods of the simulated cluster and a kubelet for them: containers start after their
 * behaviour's delay, run hooks, crash and restart, and disappear after the grace period.
 */
export class Pods {
  #runtimes = new Map<string, Runtime>();
  #started = new Set<PodStartedHook>();
  #stopped = new Set<PodStoppedHook>();
  #ip = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly clock: Clock,
  ) {}

  onStarted(hook: PodStartedHook): () => void {
    this.#started.add(hook);
    return () => this.#started.delete(hook);
  }

  onStopped(hook: PodStoppedHook): () => void {
    this.#stopped.add(hook);
    return () => this.#stopped.delete(hook);
  }

  create(meta: KubeObject['metadata'], template: PodTemplate, behaviour: PodBehaviour, t: number): KubeObject {
    const spec = clone(template.spec);
    const rt: Runtime = {
      namespace: meta.namespace as string,
      name: meta.name,
      container: (spec.containers[0] as Container).name,
      failing: behaviour.failing,
      startAt: t + behaviour.startMs,
      restartCount: 0,
      waiting: { reason: 'ContainerCreating' },
      logs: [],
      followers: new Set(),
    };
    this.#runtimes.set(key(rt.namespace, rt.name), rt);
    return this.store.create('pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { ...meta, creationTimestamp: rfc3339(t) },
      spec: { ...spec, nodeName: 'sim-node-1' },
      status: this.#status(rt, spec.containers[0]?.image, t, {}),
    });
  }

  /** Graceful deletion: deletionTimestamp = now + grace, the container gets SIGTERM, the pod goes when the grace ends. */
  terminate(namespace: string, name: string, t: number, graceSeconds?: number): KubeObject | undefined {
    const rt = this.#runtimes.get(key(namespace, name));
    const pod = this.store.get('pods', namespace, name);
    if (!rt || !pod) return undefined;
    if (rt.goneAt !== undefined) return pod;
    const grace = graceSeconds ?? ((pod.spec as { terminationGracePeriodSeconds?: number }).terminationGracePeriodSeconds ?? 30);
    rt.goneAt = t + grace * 1000;
    rt.abort?.abort('SIGTERM');
    pod.metadata.deletionTimestamp = rfc3339(rt.goneAt);
    pod.metadata.deletionGracePeriodSeconds = grace;
    return this.store.update('pods', pod);
  }

  isTerminating(pod: KubeObject): boolean {
    return this.#runtimes.get(key(pod.metadata.namespace as string, pod.metadata.name))?.goneAt !== undefined;
  }

  /** When the pod's container became ready (this sim's containers are ready as soon as they run). */
  readySince(pod: KubeObject): number | undefined {
    const rt = this.#runtimes.get(key(pod.metadata.namespace as string, pod.metadata.name));
    return rt?.goneAt === undefined ? rt?.runningSince : undefined;
  }

  /** Starts, restarts and removes containers whose time has come. True when anything changed. */
  process(t: number): boolean {
    let changed = false;
    for (const rt of [...this.#runtimes.values()]) {
      if (rt.goneAt !== undefined && rt.goneAt <= t) {
        this.#remove(rt);
        changed = true;
      } else if (rt.goneAt === undefined && rt.runningSince === undefined && rt.startAt !== undefined && rt.startAt <= t) {
        this.#start(rt, t);
        changed = true;
      }
    }
    return changed;
  }

  /** When containers are due to start, restart or be removed. */
  eventTimes(): number[] {
    return [...this.#runtimes.values()].flatMap((rt) => {
      const t = rt.goneAt ?? (rt.runningSince === undefined ? rt.startAt : undefined);
      return t === undefined ? [] : [t];
    });
  }

  crash(namespace: string, name: string, message = 'Error'): void {
    const rt = this.#runtimes.get(key(namespace, name));
    if (rt?.runningSince === undefined || rt.goneAt !== undefined) return;
    const t = this.clock.now();
    this.#stop(rt, 'crashed');
    rt.restartCount += 1;
    rt.waiting = { reason: 'CrashLoopBackOff', message: `back-off restarting failed container ${rt.container}: ${message}` };
    rt.startAt = t + backoff(rt.restartCount);
    this.#writeStatus(rt, t);
  }

  appendLog(namespace: string, name: string, line: string): void {
    const rt = this.#runtimes.get(key(namespace, name));
    if (!rt) throw new Error(`no pod ${namespace}/${name}`);
    const entry = { at: this.clock.now(), line };
    rt.logs.push(entry);
    for (const f of rt.followers) f.line(entry);
  }

  logs(namespace: string, name: string): { container: string; running: boolean; lines: LogLine[] } | undefined {
    const rt = this.#runtimes.get(key(namespace, name));
    return rt && { container: rt.container, running: rt.runningSince !== undefined, lines: [...rt.logs] };
  }

  /** Follows a running container's log until it stops; returns the unsubscribe function. */
  /** How many clients follow the pod's log now: a test waits for its follower instead of sleeping. */
  followers(namespace: string, name: string): number {
    return this.#runtimes.get(key(namespace, name))?.followers.size ?? 0;
  }

  /** Ends every open follow of the pod's log while the container runs on (a dropped connection, an apiserver restart). */
  dropFollowers(namespace: string, name: string): void {
    const rt = this.#runtimes.get(key(namespace, name));
    for (const f of [...(rt?.followers ?? [])]) f.end();
    rt?.followers.clear();
  }

  follow(namespace: string, name: string, follower: { line(l: LogLine): void; end(): void }): () => void {
    const rt = this.#runtimes.get(key(namespace, name));
    if (!rt || rt.runningSince === undefined) {
      follower.end();
      return () => {};
    }
    rt.followers.add(follower);
    return () => rt.followers.delete(follower);
  }

  #start(rt: Runtime, t: number): void {
    const pod = this.store.get('pods', rt.namespace, rt.name) as KubeObject;
    const env = this.#resolveEnv(pod, rt);
    if (typeof env === 'string') {
      rt.waiting = { reason: 'CreateContainerConfigError', message: env };
      rt.startAt = t + CONFIG_RETRY_MS;
    } else if (rt.failing) {
      rt.restartCount += 1;
      rt.waiting = { reason: 'CrashLoopBackOff', message: `back-off restarting failed container ${rt.container}` };
      rt.startAt = t + backoff(rt.restartCount);
    } else {
      rt.waiting = undefined;
      rt.startAt = undefined;
      rt.runningSince = t;
      rt.abort = new AbortController();
      const running = this.#writeStatus(rt, t) as KubeObject;
      const ctx: PodContext = {
        env,
        signal: rt.abort.signal,
        appendLog: (line) => this.appendLog(rt.namespace, rt.name, line),
        crash: (message) => this.crash(rt.namespace, rt.name, message),
      };
      for (const hook of this.#started) hook(clone(running), ctx);
      return;
    }
    this.#writeStatus(rt, t);
  }

  #stop(rt: Runtime, why: 'deleted' | 'crashed'): void {
    const wasRunning = rt.runningSince !== undefined;
    rt.runningSince = undefined;
    rt.abort?.abort(why === 'crashed' ? 'crashed' : 'SIGTERM');
    for (const f of [...rt.followers]) f.end();
    rt.followers.clear();
    const pod = this.store.get('pods', rt.namespace, rt.name);
    if (wasRunning && pod) for (const hook of this.#stopped) hook(pod, why);
  }

  #remove(rt: Runtime): void {
    this.#stop(rt, 'deleted');
    this.#runtimes.delete(key(rt.namespace, rt.name));
    this.store.delete('pods', rt.namespace, rt.name);
  }

  /** The kubelet's env resolution; a string is the CreateContainerConfigError message. */
  #resolveEnv(pod: KubeObject, rt: Runtime): Record<string, string> | string {
    const c = (pod.spec as { containers: Container[] }).containers[0] as Container;
    const env: Record<string, string> = {};
    const secret = (name: string) => {
      const s = this.store.get('secrets', rt.namespace, name);
      return s && ((s.data ?? {}) as Record<string, string>);
    };
    for (const from of c.envFrom ?? []) {
      if (!from.secretRef) continue;
      const data = secret(from.secretRef.name);
      if (!data) {
        if (from.secretRef.optional) continue;
        return `secret "${from.secretRef.name}" not found`;
      }
      for (const [k, v] of Object.entries(data)) env[(from.prefix ?? '') + k] = decode(v);
    }
    for (const e of c.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      if (!ref) {
        env[e.name] = e.value ?? '';
        continue;
      }
      const data = secret(ref.name);
      const value = data?.[ref.key];
      if (value !== undefined) env[e.name] = decode(value);
      else if (!ref.optional) return data ? `couldn't find key ${ref.key} in Secret ${rt.namespace}/${ref.name}` : `secret "${ref.name}" not found`;
    }
    return env;
  }

  #writeStatus(rt: Runtime, t: number): KubeObject | undefined {
    const pod = this.store.get('pods', rt.namespace, rt.name);
    if (!pod) return undefined;
    const image = (pod.spec as { containers: Container[] }).containers[0]?.image;
    pod.status = this.#status(rt, image, t, pod.status as { podIP?: string; startTime?: string });
    return this.store.update('pods', pod);
  }

  #status(rt: Runtime, image: string | undefined, t: number, previous: { podIP?: string; startTime?: string }) {
    const ready = rt.runningSince !== undefined;
    const since = rfc3339(t);
    const cond = (type: string, ok: boolean) => ({ type, status: ok ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: since });
    return {
      phase: ready || rt.restartCount > 0 ? 'Running' : 'Pending',
      conditions: [cond('Initialized', true), cond('Ready', ready), cond('ContainersReady', ready), cond('PodScheduled', true)],
      hostIP: '10.0.0.10',
      podIP: previous.podIP ?? `10.244.0.${(this.#ip++ % 250) + 2}`,
      startTime: previous.startTime ?? since,
      containerStatuses: [
        {
          name: rt.container,
          image,
          imageID: '',
          ready,
          started: ready,
          restartCount: rt.restartCount,
          state: ready ? { running: { startedAt: rfc3339(rt.runningSince as number) } } : { waiting: rt.waiting },
        },
      ],
    };
  }
}

const key = (namespace: string, name: string) => `${namespace}/${name}`;
const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
