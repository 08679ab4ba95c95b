import type { Clock } from '../core/clock.js';
import type { Fence, Store } from '../store/store.js';
import type { RunnerLogger } from './responder.js';

/** Why work on an incident stopped without writing: the lease is gone or the runner is shutting down. */
export class LeaseLostError extends Error {
  constructor(fence: Fence, why: string) {
    super(`lost ${fence.lease} (holder ${fence.holder}, fence ${fence.token}): ${why}`);
    this.name = 'LeaseLostError';
  }
}

export class ShutdownError extends Error {
  constructor() {
    super('the runner is stopping; the step is handed back and re-run by the next holder with the same key');
    this.name = 'ShutdownError';
  }
}

/**
 * Holds one incident's lease while work runs: renews it every ttl/3 and, the moment a
 * renewal is refused (another replica took over) or the lease runs out, aborts `signal`,
 * so every step of this holder stops and writes nothing more.
 */
export class LeaseKeeper {
  readonly #ctl = new AbortController();
  readonly #stopped = new AbortController();
  #expiresAt: number;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    readonly fence: Fence,
    private readonly ttlMs: number,
    expiresAt: number,
    private readonly logger: RunnerLogger,
  ) {
    this.#expiresAt = expiresAt;
    void this.#loop();
  }

  /** Aborted (with a LeaseLostError or ShutdownError) when this holder must stop. */
  get signal(): AbortSignal {
    return this.#ctl.signal;
  }

  lose(reason: Error): void {
    if (!this.#ctl.signal.aborted) this.#ctl.abort(reason);
  }

  /** Renews now; throws when the lease is no longer ours. */
  async checkpoint(): Promise<void> {
    this.signal.throwIfAborted();
    if (await this.#renew()) return;
    throw (this.signal.reason as Error | undefined) ?? new Error(`cannot prove ${this.fence.lease} is still ours: the store is unreachable`);
  }

  stop(): void {
    this.#stopped.abort();
  }

  async #loop(): Promise<void> {
    const every = Math.max(1, Math.floor(this.ttlMs / 3));
    while (!this.#stopped.signal.aborted && !this.signal.aborted) {
      try {
        await this.clock.sleep(every, this.#stopped.signal);
      } catch {
        return;
      }
      await this.#renew();
    }
  }

  async #renew(): Promise<boolean> {
    if (this.signal.aborted) return false;
    const now = this.clock.now();
    try {
      if (await this.store.renewLease(this.fence, this.ttlMs, now)) {
        this.#expiresAt = now + this.ttlMs;
        return true;
      }
      this.lose(new LeaseLostError(this.fence, 'another holder took it over or it expired'));
    } catch (err) {
      // The store is unreachable: the lease may still be ours, but only until it expires.
      this.logger.warn({ err, lease: this.fence.lease }, 'lease renewal failed; retrying until it expires');
      if (this.clock.now() >= this.#expiresAt) this.lose(new LeaseLostError(this.fence, 'it expired while the store was unreachable'));
    }
    return false;
  }
}
