import { call, DEFAULT_POLICY, type CallPolicy } from '../call.js';
import type { IntegrationError } from '../errors.js';
import type { ExchangeDeps } from './deps.js';
import type { CallContext, KeyMaterial } from './exchange.js';
import { ServerClock } from './server-clock.js';

/** What an SDK client is bound to for one attempt. */
export interface Attempt {
  signal: AbortSignal;
  timeoutMs: number;
  /** LeakGuard's estimate of the exchange's time: sign with this, not Date.now(). */
  serverNow: () => number;
}

/** What differs between exchanges in a signed request: the SDK, its errors, its clock-skew answer. */
export interface SignedClientSpec<Sdk> {
  system: string;
  /** A fresh SDK client signed by `key` (null: public endpoints) for one attempt. */
  sdk(key: KeyMaterial | null, attempt: Attempt): Sdk;
  /** Turns what the SDK threw into an IntegrationError that says whether to retry. */
  classify(err: unknown, operation: string): IntegrationError;
  /** Whether a failure says our timestamp was outside the exchange's receive window. */
  isClockSkew(err: unknown): boolean;
  /** The exchange's time in epoch ms, asked with the attempt's SDK client. */
  fetchTime(sdk: Sdk): Promise<number>;
}

/**
 * One signed exchange request at a time, run under `call`: the key is registered with the
 * scrubber first, every attempt gets a fresh SDK client bound to that attempt's AbortSignal
 * (so a timeout really ends the HTTP request), and a clock-skew failure measures the
 * exchange's clock before the retry.
 */
export class SignedClient<Sdk> {
  readonly policy: CallPolicy;
  readonly #time: ServerClock;

  constructor(
    private readonly spec: SignedClientSpec<Sdk>,
    private readonly deps: ExchangeDeps,
  ) {
    this.policy = deps.policy ?? DEFAULT_POLICY;
    this.#time = new ServerClock(deps.clock);
  }

  /** Registers key material with the scrubber: done before any call that carries it. */
  register(key: KeyMaterial): void {
    this.deps.scrubber.register(key.apiKey);
    this.deps.scrubber.register(key.apiSecret);
  }

  request<T>(operation: string, key: KeyMaterial | null, ctx: CallContext | undefined, fn: (sdk: Sdk) => Promise<T>): Promise<T> {
    if (key) this.register(key);
    const { system, classify } = this.spec;
    return call({ system, operation, clock: this.deps.clock, policy: this.policy, classify, ...(ctx?.signal ? { signal: ctx.signal } : {}) }, async (signal) => {
      const sdk = this.spec.sdk(key, { signal, timeoutMs: this.policy.timeoutMs, serverNow: () => this.#time.now() });
      try {
        return await fn(sdk);
      } catch (err) {
        if (this.spec.isClockSkew(err)) await this.#time.sync(() => this.spec.fetchTime(sdk));
        throw err;
      }
    });
  }
}
