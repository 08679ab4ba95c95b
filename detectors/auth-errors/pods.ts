import type { Credential } from '../../src/core/credential.js';
import type { DetectorContext } from '../../src/intake/detector.js';
import type { AuthErrorsConfig } from './config.js';
import type { AuthErrors } from './runtime.js';

/** The longest wait before a log or watch is opened again after it ended without a line or failed. */
const MAX_BACKOFF_MS = 30_000;

/**
 * A kubelet log timestamp (RFC3339Nano: up to nine fraction digits, trailing zeros dropped) in
 * nanoseconds since the epoch, so two of them compare exactly; null when the line has none.
 */
export function logStamp(ts: string): bigint | null {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : NaN;
  return m && !Number.isNaN(ms) ? BigInt(ms) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0')) : null;
}

/** The second a stamp falls in, as sinceTime takes it (the API drops any fraction). */
const sinceTimeOf = (stamp: bigint) => new Date(Number(stamp / 1_000_000_000n) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * One container's log, followed with timestamps. A stream that ends while the pod lives is opened
 * again from the second of the last line seen (sinceTime has whole seconds), and the lines it
 * sends again are skipped by their timestamps: those before the last one seen, and as many at
 * that very timestamp as were seen, so no line is read twice or lost.
 */
class ContainerLog {
  /** The last timestamp read, and how many lines carried it. */
  #last: bigint | null;
  #atLast = 0;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ctx: DetectorContext<AuthErrorsConfig>,
    private readonly runtime: AuthErrors,
    private readonly credential: Credential,
    private readonly pod: string,
    private readonly container: string,
    /** Lines before this were written before LeakGuard started watching: not counted as now. */
    from: bigint | null,
  ) {
    this.#last = from;
  }

  async run(signal: AbortSignal): Promise<void> {
    const { ctx } = this;
    let quiet = 0;
    while (!signal.aborted) {
      let replaying = this.#last !== null;
      let skippedAtLast = 0;
      let read = false;
      try {
        await ctx.pods.followLogs(
          this.credential.workload,
          this.pod,
          (raw) => {
            const space = raw.indexOf(' ');
            const stamp = space > 0 ? logStamp(raw.slice(0, space)) : null;
            const line = stamp === null ? raw : raw.slice(space + 1);
            if (stamp !== null) {
              if (replaying && this.#last !== null) {
                if (stamp < this.#last) return;
                if (stamp === this.#last && skippedAtLast < this.#atLast) return void skippedAtLast++;
              }
              replaying = false;
              if (stamp === this.#last) this.#atLast++;
              else {
                this.#last = stamp;
                this.#atLast = 1;
              }
            }
            read = true;
            ctx.heard();
            this.#chain = this.#chain.then(() => this.runtime.feed(this.credential.id, line, 'pod-logs')).catch((err: unknown) =>
              ctx.logger.error({ err, credentialId: this.credential.id }, 'an auth-error spike could not be stored; it is reported when the next line crosses the threshold again'),
            );
          },
          signal,
          { container: this.container, timestamps: true, ...(this.#last !== null ? { sinceTime: sinceTimeOf(this.#last) } : {}) },
        );
      } catch (err) {
        if (signal.aborted) break;
        if (quiet === 0) ctx.logger.warn({ err, pod: this.pod, container: this.container }, `the log of pod ${this.pod} cannot be followed just now; retried with backoff (LeakGuard needs get on pods/log in ${this.credential.workload.namespace})`);
      }
      if (signal.aborted) break;
      // A stream that brought lines is opened again at once; one that brought none (a container not started yet) backs off.
      quiet = read ? 0 : quiet + 1;
      if (quiet > 0) await ctx.clock.sleep(Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (quiet - 1)), signal).catch(() => {});
    }
    await this.#chain;
  }
}

/**
 * Follows every container of every pod of a credential's workload: the pods listed at start
 * from LeakGuard's start on, pods that appear later from their first line (a watch tells), and
 * lets a pod go when it is deleted. The watch is opened again when the server ends it.
 */
export function followWorkload(ctx: DetectorContext<AuthErrorsConfig>, runtime: AuthErrors, credential: Credential, signal: AbortSignal, changed: (pods: string[]) => void): Promise<void> {
  const startedAt = BigInt(ctx.clock.now()) * 1_000_000n;
  const following = new Map<string, { stop: AbortController; done: Promise<void> }>();
  let listed = false;
  const follow = (name: string, containers: string[], from: bigint | null) => {
    if (following.has(name) || signal.aborted) return;
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const done = Promise.all(containers.map((c) => new ContainerLog(ctx, runtime, credential, name, c, from).run(stop.signal))).then(() => signal.removeEventListener('abort', onAbort));
    following.set(name, { stop, done });
    changed([...following.keys()]);
  };
  const letGo = (name: string) => {
    const f = following.get(name);
    if (!f) return;
    following.delete(name);
    f.stop.abort();
    changed([...following.keys()]);
  };
  return (async () => {
    let failures = 0;
    while (!signal.aborted) {
      try {
        await ctx.pods.watchPods(
          credential.workload,
          (pods) => {
            const names = new Set(pods.map((p) => p.name));
            for (const name of [...following.keys()]) if (!names.has(name)) letGo(name);
            // The first list is what ran before LeakGuard: from its start on. Pods found by a later list are new ones missed by a broken watch.
            for (const p of pods) follow(p.name, p.containers, listed ? null : startedAt);
            listed = true;
            failures = 0;
          },
          (type, pod) => (type === 'DELETED' ? letGo(pod.name) : follow(pod.name, pod.containers, null)),
          signal,
        );
      } catch (err) {
        if (signal.aborted) break;
        failures++;
        ctx.logger.warn({ err, credentialId: credential.id }, `the pods of ${credential.id} cannot be listed or watched just now; retried with backoff (LeakGuard needs list and watch on pods in ${credential.workload.namespace})`);
        await ctx.clock.sleep(Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (failures - 1)), signal).catch(() => {});
      }
    }
    await Promise.all([...following.values()].map((f) => f.done));
  })();
}
