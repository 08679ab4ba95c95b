import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { systemClock, type Clock } from '../../../src/core/clock.js';
import { FaultInjector } from '../faults.js';
import { listen, sendJson, type SimServer } from '../http.js';
import { applyScale, scaleOf, type Deployment } from './deployments.js';
import { ExternalSecretsController, type ReadSecret } from './external-secrets.js';
import { kubeConfigFor } from './kubeconfig.js';
import { serveLog } from './logs.js';
import { applyPatch } from './patch.js';
import { Pods, type PodBehaviour, type PodStartedHook, type PodStoppedHook } from './pods.js';
import { discovery } from './discovery.js';
import { apiVersionOf, DEPLOYMENT_TYPE, PODS, resourceTypes, SECRETS, type ResourceType, type Verb } from './resources.js';
import { checkPatchType, parseBody, Registry } from './rest.js';
import { RolloutController } from './rollout.js';
import { kubectlRolloutStatus, type RolloutStatus } from './rollout-status.js';
import { ApiError, errors } from './status.js';
import { ObjectStore, type KubeObject } from './store.js';
import { serveWatch } from './watch.js';

export interface KubernetesSimOptions {
  clock?: Clock;
  /** The bearer token every request must carry. */
  token?: string;
  /** Default time from a pod's creation to its container running and ready (clock ms). */
  podStartMs?: number;
  /** How long after a spec change the Deployment controller observes it (clock ms). */
  controllerDelayMs?: number;
  /** The external-secrets provider: the Secrets Manager value of a secret id. */
  readSecret?: ReadSecret;
  /** Real-time period of the background reconcile that lets watches and log followers see clock advances. */
  reconcileEveryMs?: number;
  /**
   * The external-secrets.io versions served: ['v1'] by default (external-secrets 0.17 and later);
   * ['v1beta1'] is a cluster still on a release before 0.16; [] a cluster without the operator.
   */
  externalSecretsVersions?: string[];
}

export interface SeedDeployment {
  /** false: created as through the API (a full rollout from zero); default true: already running. */
  settled?: boolean;
  podStartMs?: number;
  failing?: boolean;
}

interface Route {
  type: ResourceType;
  version: string;
  namespace?: string;
  name?: string;
  sub?: string;
}

/** Subresources served, and their verbs. */
const SUBRESOURCES: Record<string, Record<string, Verb[]>> = {
  deployments: { scale: ['get', 'update', 'patch'], status: ['get', 'update', 'patch'] },
  pods: { log: ['get'], status: ['get'] },
  externalsecrets: { status: ['get', 'update', 'patch'] },
};

/**
 * A Kubernetes API server for the subset LeakGuard uses: apps/v1 Deployments (+ /scale, /status,
 * a rollout controller), core/v1 Pods (+ /log) and Secrets, and external-secrets.io
 * ExternalSecrets with their operator. Time comes from the injected clock; state is brought up to
 * the clock on every request, on tick(), and every reconcileEveryMs of real time.
 *
 * Fault operation names are "<verb> <resource>[/<subresource>]" with the RBAC verbs: "get deployments",
 * "patch deployments/scale", "list pods", "watch deployments", "get pods/log", "patch externalsecrets".
 */
export class KubernetesSim {
  readonly clock: Clock;
  readonly token: string;
  readonly faults: FaultInjector;
  readonly store: ObjectStore;
  readonly #registry: Registry;
  readonly #types: ResourceType[];
  readonly #externalSecretsType: ResourceType;
  readonly #pods: Pods;
  readonly #rollout: RolloutController;
  readonly #externalSecrets: ExternalSecretsController;
  readonly #reconcileEveryMs: number;
  #server?: SimServer;
  #timer?: NodeJS.Timeout;
  #processedUntil: number;
  #reconciling = false;

  constructor(opts: KubernetesSimOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.token = opts.token ?? 'sim-token';
    this.faults = new FaultInjector(this.clock, () => {
      const e = errors.tooManyRequests();
      return { status: e.code, body: e.body, headers: { 'retry-after': '1' } };
    });
    this.store = new ObjectStore(this.clock);
    this.#registry = new Registry(this.store);
    this.#types = resourceTypes(opts.externalSecretsVersions);
    this.#externalSecretsType = this.#types.find((t) => t.resource === 'externalsecrets') as ResourceType;
    this.#pods = new Pods(this.store, this.clock);
    this.#rollout = new RolloutController(this.#registry, this.#pods, this.clock, {
      controllerDelayMs: opts.controllerDelayMs ?? 200,
      podStartMs: opts.podStartMs ?? 5000,
    });
    this.#externalSecrets = new ExternalSecretsController(this.#registry, this.clock, opts.readSecret ?? (async () => undefined));
    this.#reconcileEveryMs = opts.reconcileEveryMs ?? 20;
    this.#processedUntil = this.clock.now();
  }

  async start(): Promise<{ url: string; close(): Promise<void> }> {
    this.#server = await listen((req, res, body) => this.#handle(req, res, body), {
      faults: this.faults,
      state: () => this.state(),
      seed: (body) => this.seed(body as Parameters<KubernetesSim['seed']>[0]),
    });
    this.#timer = setInterval(() => this.tick(), this.#reconcileEveryMs);
    this.#timer.unref();
    return { url: this.#server.url, close: () => this.close() };
  }

  get url(): string {
    if (!this.#server) throw new Error('KubernetesSim not started');
    return this.#server.url;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#server?.close();
  }

  kubeConfig(namespace = 'default'): KubeConfig {
    return kubeConfigFor(this.url, this.token, namespace);
  }

  // ---- seeding and reading state (tests in this process) ----

  addDeployment(manifest: Pick<Deployment, 'metadata' | 'spec'> & { apiVersion?: string; kind?: string }, opts: SeedDeployment = {}): Deployment {
    const ns = manifest.metadata.namespace ?? 'default';
    this.#registry.create(DEPLOYMENT_TYPE, ns, manifest as Deployment);
    const { settled = true, ...behaviour } = opts;
    this.configureDeployment(ns, manifest.metadata.name, behaviour);
    if (settled) this.#rollout.settle(ns, manifest.metadata.name);
    this.tick();
    return this.deployment(ns, manifest.metadata.name) as Deployment;
  }

  /** How the deployment's pods created from now on behave. */
  configureDeployment(namespace: string, name: string, behaviour: Partial<PodBehaviour>): void {
    this.#rollout.configure(namespace, name, Object.fromEntries(Object.entries(behaviour).filter(([, v]) => v !== undefined)));
  }

  /** Creates or replaces a Secret from plain-text values. */
  putSecret(namespace: string, name: string, values: Record<string, string>): KubeObject {
    const body: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name }, type: 'Opaque', stringData: values };
    const current = this.store.get('secrets', namespace, name);
    return current ? this.#registry.update(SECRETS, current, body) : this.#registry.create(SECRETS, namespace, body);
  }

  /** A Secret's values decoded from base64. */
  secretValues(namespace: string, name: string): Record<string, string> | undefined {
    const s = this.store.get('secrets', namespace, name);
    if (!s) return undefined;
    return Object.fromEntries(Object.entries((s.data ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
  }

  /** As `kubectl apply` would: a manifest at a version this cluster does not serve is refused. */
  addExternalSecret(manifest: KubeObject): KubeObject {
    const served = this.#externalSecretsType.versions.map((v) => apiVersionOf(this.#externalSecretsType, v));
    if (manifest.apiVersion && !served.includes(manifest.apiVersion))
      throw new Error(`no matches for kind "ExternalSecret" in version "${manifest.apiVersion}" (this cluster serves ${served.join(', ')})`);
    const created = this.#registry.create(this.#externalSecretsType, manifest.metadata.namespace ?? 'default', manifest);
    this.tick();
    return created;
  }

  deployment(namespace: string, name: string): Deployment | undefined {
    this.tick();
    return this.store.get('deployments', namespace, name) as Deployment | undefined;
  }

  pods(namespace: string, labelSelector?: string): KubeObject[] {
    this.tick();
    return this.#registry.list(PODS, namespace, { labelSelector });
  }

  /** What `kubectl rollout status deployment/<name>` would say now. */
  rolloutStatus(namespace: string, name: string): RolloutStatus {
    const d = this.deployment(namespace, name);
    if (!d) throw new Error(`no deployment ${namespace}/${name}`);
    return kubectlRolloutStatus(d);
  }

  // ---- code running inside pods ----

  onPodStarted(hook: PodStartedHook): () => void {
    return this.#pods.onStarted(hook);
  }

  onPodStopped(hook: PodStoppedHook): () => void {
    return this.#pods.onStopped(hook);
  }

  logFollowers(namespace: string, pod: string): number {
    return this.#pods.followers(namespace, pod);
  }

  /** Drops every log stream followed from the pod, as a broken connection would; the container keeps running. */
  dropLogStreams(namespace: string, pod: string): void {
    this.#pods.dropFollowers(namespace, pod);
  }

  appendLog(namespace: string, pod: string, line: string): void {
    this.#pods.appendLog(namespace, pod, line);
  }

  crashPod(namespace: string, pod: string, message?: string): void {
    this.#pods.crash(namespace, pod, message);
    this.tick();
  }

  // ---- time ----

  /** Brings every controller up to the clock: events are processed in time order, each at its own time. */
  tick(): void {
    if (this.#reconciling) return;
    this.#reconciling = true;
    try {
      const now = this.clock.now();
      for (;;) {
        const due = this.#eventTimes().filter((t) => t > this.#processedUntil && t <= now);
        if (due.length === 0) break;
        this.#processedUntil = Math.min(...due);
        this.#processAt(this.#processedUntil);
      }
      this.#processedUntil = Math.max(this.#processedUntil, now);
      this.#processAt(now);
    } finally {
      this.#reconciling = false;
    }
  }

  /** tick(), then wait for ExternalSecret syncs in flight to be written. */
  async settle(): Promise<void> {
    this.tick();
    await this.#externalSecrets.settled();
    this.tick();
  }

  #eventTimes(): number[] {
    return [...this.#pods.eventTimes(), ...this.#rollout.eventTimes(), ...this.#externalSecrets.eventTimes()];
  }

  #processAt(t: number): void {
    for (let i = 0; i < 50; i++) {
      const pods = this.#pods.process(t);
      if (!this.#rollout.sync(t) && !pods) break;
    }
    this.#externalSecrets.process(t);
  }

  // ---- control API (tests in other processes) ----

  state() {
    this.tick();
    const summary = (o: KubeObject) => ({ namespace: o.metadata.namespace, name: o.metadata.name, resourceVersion: o.metadata.resourceVersion });
    return {
      deployments: this.store.list('deployments').map((d) => ({ ...summary(d), generation: d.metadata.generation, spec: d.spec, status: d.status })),
      pods: this.store.list('pods').map((p) => ({
        ...summary(p),
        labels: p.metadata.labels,
        phase: (p.status as { phase?: string }).phase,
        terminating: p.metadata.deletionTimestamp !== undefined,
      })),
      secrets: this.store.list('secrets').map((s) => ({ ...summary(s), keys: Object.keys((s.data ?? {}) as object) })),
      externalSecrets: this.store.list('externalsecrets').map((e) => ({ ...summary(e), status: e.status })),
    };
  }

  seed(body: {
    deployments?: (KubeObject & { sim?: SeedDeployment })[];
    secrets?: { namespace: string; name: string; values: Record<string, string> }[];
    externalSecrets?: KubeObject[];
    behaviour?: ({ namespace: string; name: string } & Partial<PodBehaviour>)[];
  }) {
    for (const s of body.secrets ?? []) this.putSecret(s.namespace, s.name, s.values);
    for (const { sim, ...d } of body.deployments ?? []) this.addDeployment(d as Deployment, sim);
    for (const es of body.externalSecrets ?? []) this.addExternalSecret(es);
    for (const { namespace, name, ...b } of body.behaviour ?? []) this.configureDeployment(namespace, name, b);
    return { ok: true };
  }

  // ---- HTTP ----

  async #handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    try {
      if (req.headers.authorization !== `Bearer ${this.token}`) throw errors.unauthorized();
      if (url.pathname === '/version') return sendJson(res, 200, { major: '1', minor: '31', gitVersion: 'v1.31.0-leakguard-sim', platform: 'linux/amd64' });
      if (req.method === 'GET') {
        const doc = discovery(this.#types, SUBRESOURCES, url.pathname);
        if (doc) return sendJson(res, 200, doc);
      }
      const route = parseRoute(this.#types, url.pathname);
      if (!route) throw errors.notFoundPath();
      const verb = verbOf(req.method ?? 'GET', route, url.searchParams);
      const allowed = route.sub ? SUBRESOURCES[route.type.resource]?.[route.sub] : route.type.verbs;
      if (!allowed) throw errors.notFoundPath();
      if (!allowed.includes(verb)) throw errors.methodNotAllowed();
      if (await this.faults.apply(`${verb} ${route.type.resource}${route.sub ? `/${route.sub}` : ''}`, res, req)) return;
      this.tick();
      this.#serve(route, verb, url.searchParams, req, res, body);
      this.tick();
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      sendJson(res, e.code, e.body);
    }
  }

  #serve(r: Route, verb: Verb, query: URLSearchParams, req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const ns = r.namespace as string;
    const name = r.name as string;
    const dryRun = query.getAll('dryRun').includes('All');
    const reply = (status: number, obj: KubeObject) => sendJson(res, status, { ...obj, apiVersion: apiVersionOf(r.type, r.version) });
    const listOpts = { labelSelector: query.get('labelSelector'), fieldSelector: query.get('fieldSelector') };

    if (verb === 'list') return sendJson(res, 200, this.#registry.listObject(r.type, r.version, this.#registry.list(r.type, r.namespace, listOpts)));
    if (verb === 'watch')
      return serveWatch(this.store, {
        type: r.type,
        version: r.version,
        namespace: r.namespace,
        ...listOpts,
        resourceVersion: query.get('resourceVersion'),
        timeoutSeconds: Number(query.get('timeoutSeconds') ?? 0),
      }, req, res);
    if (verb === 'create') return reply(201, this.#registry.create(r.type, ns, parseBody(body), dryRun));
    if (r.sub === 'log') return serveLog(this.#pods, this.clock, ns, name, query, req, res);

    const current = this.#registry.get(r.type, ns, name);
    if (r.sub === 'scale') {
      const d = current as Deployment;
      if (verb === 'get') return sendJson(res, 200, scaleOf(d));
      const scale = verb === 'update' ? parseBody(body) : applyPatch(checkPatchType(r.type, req.headers['content-type']), scaleOf(d), parseBody(body));
      return sendJson(res, 200, scaleOf(this.#registry.update(DEPLOYMENT_TYPE, d, applyScale(d, scale), undefined, dryRun) as Deployment));
    }
    const sub = r.sub === 'status' ? 'status' : undefined;
    if (verb === 'get') return reply(200, current);
    if (verb === 'update') return reply(200, this.#registry.update(r.type, current, parseBody(body), sub, dryRun));
    if (verb === 'patch') return reply(200, this.#registry.patch(r.type, current, req.headers['content-type'], body, sub, dryRun));
    return this.#delete(r, current, query, body, res, dryRun);
  }

  /** Pods are deleted gracefully (the answer is the pod, now Terminating); other kinds at once (a Success Status). */
  #delete(r: Route, current: KubeObject, query: URLSearchParams, body: Buffer, res: ServerResponse, dryRun: boolean): void {
    const ns = current.metadata.namespace as string;
    const name = current.metadata.name;
    if (dryRun) return sendJson(res, 200, current);
    if (r.type === PODS) {
      const opts = body.length ? (parseBody(body) as { gracePeriodSeconds?: number }) : {};
      const grace = query.get('gracePeriodSeconds') ?? opts.gracePeriodSeconds;
      const pod = this.#pods.terminate(ns, name, this.clock.now(), grace === undefined ? undefined : Number(grace)) as KubeObject;
      this.tick();
      return sendJson(res, 200, pod);
    }
    this.store.delete(r.type.resource, ns, name);
    sendJson(res, 200, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name, group: r.type.group, kind: r.type.resource, uid: current.metadata.uid },
    });
  }
}

/** /api/v1/[namespaces/{ns}/]{resource}[/{name}[/{sub}]] and /apis/{group}/{version}/... */
function parseRoute(types: ResourceType[], path: string): Route | undefined {
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  let group = '';
  let rest: string[];
  let version: string | undefined;
  if (parts[0] === 'api') [version, rest] = [parts[1], parts.slice(2)];
  else if (parts[0] === 'apis') [group, version, rest] = [parts[1] ?? '', parts[2], parts.slice(3)];
  else return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) [namespace, rest] = [rest[1], rest.slice(2)];
  const [resource, name, sub, ...extra] = rest;
  const type = types.find((t) => t.group === group && t.resource === resource && t.versions.includes(version ?? ''));
  if (!type || extra.length || (name && !namespace)) return undefined;
  return { type, version: version as string, namespace, name, sub };
}

function verbOf(method: string, r: Route, query: URLSearchParams): Verb {
  const watch = ['true', '1'].includes(query.get('watch') ?? '');
  const verbs: Record<string, Verb> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };
  if (method === 'GET') return r.name ? 'get' : watch ? 'watch' : 'list';
  const verb = verbs[method];
  if (!verb || (verb === 'create') !== !r.name) throw errors.methodNotAllowed();
  return verb;
}
