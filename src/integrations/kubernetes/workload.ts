import { Writable } from 'node:stream';
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { Clock } from '../../core/clock.js';
import type { Credential } from '../../core/credential.js';
import { call, DEFAULT_POLICY, type CallPolicy } from '../call.js';
import { IntegrationError } from '../errors.js';
import type { Scrubber } from '../../core/scrubber.js';
import { kubernetesClassifier, SYSTEM } from './classify.js';
import { rolloutState } from './rollout-status.js';
import { lazyApis, type KubeConfigSource } from './sdk.js';

export type Workload = Credential['workload'];

/** Annotations LeakGuard keeps on a frozen Deployment, so a crash can never lose the count. */
export const FROZEN_REPLICAS = 'leakguard.io/frozen-replicas';
export const FROZEN_BY = 'leakguard.io/frozen-by';
export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

export interface PodInfo {
  name: string;
  phase: string;
  ready: boolean;
  terminating: boolean;
  createdAt: number;
  restartedAt: string | null;
  /** The pod's containers, by name. */
  containers: string[];
}

/** How a pod's log is read: one container, from a time on (RFC 3339; the API rounds it down to the second), each line led by its RFC3339Nano timestamp. */
export interface LogReadOptions {
  container?: string;
  timestamps?: boolean;
  sinceTime?: string;
}

const MAX_CONFLICT_RETRIES = 5;

/**
 * The bot's Deployment in LeakGuard's words: freeze, wait until no pod is left, restore with
 * a rollout restart, wait for the rollout with kubectl's rules, notice a scale-up by
 * someone else, list pods, follow logs.
 */
export class WorkloadClient {
  readonly #apis;
  readonly #classify: ReturnType<typeof kubernetesClassifier>;

  constructor(
    kc: KubeConfigSource,
    private readonly clock: Clock,
    scrubber: Scrubber,
    private readonly policy: CallPolicy = DEFAULT_POLICY,
  ) {
    this.#classify = kubernetesClassifier(scrubber);
    this.#apis = lazyApis(kc, (k8s, config) => ({
      apps: config.makeApiClient(k8s.AppsV1Api),
      core: config.makeApiClient(k8s.CoreV1Api),
      log: new k8s.Log(config),
      watch: new k8s.Watch(config),
      merge: k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    }));
  }

  #call<T>(operation: string, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    return call({ system: SYSTEM, operation, clock: this.clock, policy: this.policy, classify: this.#classify, ...(signal ? { signal } : {}) }, fn);
  }

  async read(w: Workload, signal?: AbortSignal): Promise<V1Deployment> {
    const { apps } = await this.#apis();
    return this.#call('get deployment', signal, () => apps.readNamespacedDeployment({ name: w.deployment, namespace: w.namespace }));
  }

  /**
   * Scales to 0 and records the previous count in an annotation, in one patch guarded by
   * resourceVersion. Idempotent for one incident: a second freeze keeps the first count and
   * reports whether something scaled the workload back up in between.
   */
  async freeze(w: Workload, incidentId: string, signal?: AbortSignal): Promise<{ previousReplicas: number; refrozen: boolean }> {
    return this.#withConflictRetry('freeze', signal, async () => {
      const d = await this.read(w, signal);
      const annotations = d.metadata?.annotations ?? {};
      const recorded = annotations[FROZEN_REPLICAS];
      const replicas = d.spec?.replicas ?? 1;
      // A count recorded by an earlier freeze (this incident after a crash, or one never restored) wins.
      const previousReplicas = recorded !== undefined ? Number(recorded) : replicas;
      if (replicas === 0 && annotations[FROZEN_BY] === incidentId) return { previousReplicas, refrozen: false };
      await this.#patch(w, 'freeze', signal, {
        metadata: { resourceVersion: d.metadata?.resourceVersion, annotations: { [FROZEN_REPLICAS]: String(previousReplicas), [FROZEN_BY]: incidentId } },
        spec: { replicas: 0 },
      });
      return { previousReplicas, refrozen: annotations[FROZEN_BY] === incidentId };
    });
  }

  /** The count a freeze recorded, if the workload is frozen. */
  async recordedReplicas(w: Workload, signal?: AbortSignal): Promise<number | undefined> {
    const v = (await this.read(w, signal)).metadata?.annotations?.[FROZEN_REPLICAS];
    return v === undefined ? undefined : Number(v);
  }

  /** Whether a workload this incident froze runs pods again (a GitOps controller, an autoscaler). */
  async scaledUpWhileFrozen(w: Workload, incidentId: string, signal?: AbortSignal): Promise<{ scaledUp: boolean; replicas: number }> {
    const d = await this.read(w, signal);
    const replicas = d.spec?.replicas ?? 0;
    return { scaledUp: d.metadata?.annotations?.[FROZEN_BY] === incidentId && replicas > 0, replicas };
  }

  /** Resolves once no pod of the workload is left, terminating ones included (they still trade). */
  async waitForNoPods(w: Workload, opts: { pollMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    for (;;) {
      if ((await this.listPods(w, opts.signal)).length === 0) return;
      await this.clock.sleep(opts.pollMs ?? 500, opts.signal);
    }
  }

  /**
   * Sets replicas (the recorded count, unless given) and the restartedAt template annotation
   * in one patch, and drops the freeze annotations. Idempotent for one `restartedAt`.
   */
  async restore(w: Workload, restartedAt: string, opts: { replicas?: number; signal?: AbortSignal } = {}): Promise<{ replicas: number; changed: boolean }> {
    return this.#withConflictRetry('restore', opts.signal, async () => {
      const d = await this.read(w, opts.signal);
      const annotations = d.metadata?.annotations ?? {};
      const recorded = annotations[FROZEN_REPLICAS];
      const replicas = opts.replicas ?? (recorded !== undefined ? Number(recorded) : (d.spec?.replicas ?? 1));
      const done = d.spec?.template?.metadata?.annotations?.[RESTARTED_AT] === restartedAt && d.spec?.replicas === replicas && recorded === undefined;
      if (done) return { replicas, changed: false };
      await this.#patch(w, 'restore', opts.signal, {
        metadata: { resourceVersion: d.metadata?.resourceVersion, annotations: { [FROZEN_REPLICAS]: null, [FROZEN_BY]: null } },
        spec: { replicas, template: { metadata: { annotations: { [RESTARTED_AT]: restartedAt } } } },
      });
      return { replicas, changed: true };
    });
  }

  /** Waits until kubectl would say "successfully rolled out"; ProgressDeadlineExceeded is a failure. */
  async waitForRollout(w: Workload, opts: { pollMs?: number; signal?: AbortSignal } = {}): Promise<string> {
    for (;;) {
      const state = rolloutState(await this.read(w, opts.signal));
      if (state.done) return state.message;
      if (state.failed)
        throw new IntegrationError({ system: SYSTEM, operation: 'rollout status', kind: 'failed', retryable: false, detail: state.message, action: `inspect the new pods (kubectl -n ${w.namespace} describe deployment/${w.deployment}); the bot may be crash-looping on the new key` });
      await this.clock.sleep(opts.pollMs ?? 500, opts.signal);
    }
  }

  async listPods(w: Workload, signal?: AbortSignal): Promise<PodInfo[]> {
    const { core } = await this.#apis();
    const list = await this.#call('list pods', signal, () => core.listNamespacedPod({ namespace: w.namespace, labelSelector: w.selector }));
    return list.items.map(toPodInfo);
  }

  /**
   * The workload's pods (`onList`), then each change to them (`onEvent`: ADDED, MODIFIED, DELETED)
   * from the list's resourceVersion on, until the watch ends (the server closes watches now and then)
   * or the signal aborts. The caller calls again to go on: each call lists afresh, so nothing missed
   * while the watch was down stays missed.
   */
  async watchPods(w: Workload, onList: (pods: PodInfo[]) => void, onEvent: (type: string, pod: PodInfo) => void, signal: AbortSignal): Promise<void> {
    const { core, watch } = await this.#apis();
    const list = await this.#call('list pods', signal, () => core.listNamespacedPod({ namespace: w.namespace, labelSelector: w.selector }));
    onList(list.items.map(toPodInfo));
    if (signal.aborted) return;
    await new Promise<void>((resolve, reject) => {
      let ctl: AbortController | undefined;
      const stop = () => ctl?.abort();
      const done = (err: unknown) => {
        signal.removeEventListener('abort', stop);
        // An abort of our own, or the server closing the watch, is an end; anything else the caller retries.
        if (err && !signal.aborted && (err as Error).name !== 'AbortError') reject(this.#classify(err, 'watch pods'));
        else resolve();
      };
      signal.addEventListener('abort', stop, { once: true });
      watch
        .watch(`/api/v1/namespaces/${w.namespace}/pods`, { labelSelector: w.selector, resourceVersion: list.metadata?.resourceVersion }, (type, obj: V1Pod) => type !== 'ERROR' && type !== 'BOOKMARK' && onEvent(type, toPodInfo(obj)), done)
        .then((c) => {
          ctl = c;
          if (signal.aborted) c.abort();
        }, done);
    });
  }

  /** Follows a pod's log, calling `onLine` per line, until the signal aborts or the stream ends. */
  async followLogs(w: Workload, pod: string, onLine: (line: string) => void, signal: AbortSignal, opts: LogReadOptions = {}): Promise<void> {
    let rest = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        const lines = (rest + chunk.toString('utf8')).split('\n');
        rest = lines.pop() ?? '';
        for (const l of lines) if (l) onLine(l);
        cb();
      },
    });
    const ended = new Promise<void>((resolve) => sink.on('finish', resolve).on('close', resolve).on('error', () => resolve()));
    // client-node pipes the response into `sink` with no error listener on the source, so
    // aborting the follow would crash the process with an unhandled AbortError.
    sink.on('pipe', (source: NodeJS.ReadableStream) => source.on('error', () => sink.end()));
    const { log } = await this.#apis();
    const ctl = await this.#call('get pods/log', signal, () => log.log(w.namespace, pod, opts.container ?? '', sink, { follow: true, ...(opts.timestamps ? { timestamps: true } : {}), ...(opts.sinceTime ? { sinceTime: opts.sinceTime } : {}) }));
    const stop = () => ctl.abort();
    signal.addEventListener('abort', stop, { once: true });
    await Promise.race([ended, new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }))]);
    signal.removeEventListener('abort', stop);
  }

  async #patch(w: Workload, operation: string, signal: AbortSignal | undefined, body: object): Promise<void> {
    const { apps, merge } = await this.#apis();
    await this.#call(`patch deployment (${operation})`, signal, () => apps.patchNamespacedDeployment({ name: w.deployment, namespace: w.namespace, body }, merge));
  }

  /** Read-modify-write with a resourceVersion precondition: on 409 read again and retry. */
  async #withConflictRetry<T>(operation: string, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    for (let i = 0; ; i++) {
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof IntegrationError && err.kind === 'conflict') || i >= MAX_CONFLICT_RETRIES) throw err;
        signal?.throwIfAborted();
      }
    }
  }
}

function toPodInfo(p: V1Pod): PodInfo {
  return {
    name: p.metadata?.name ?? '',
    phase: p.status?.phase ?? 'Unknown',
    ready: p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    terminating: Boolean(p.metadata?.deletionTimestamp),
    createdAt: p.metadata?.creationTimestamp ? new Date(p.metadata.creationTimestamp).getTime() : 0,
    restartedAt: p.metadata?.annotations?.[RESTARTED_AT] ?? null,
    containers: (p.spec?.containers ?? []).map((c) => c.name),
  };
}
