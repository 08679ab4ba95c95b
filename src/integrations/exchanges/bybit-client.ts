import { RestClientV5, type RestClientOptions } from 'bybit-api';
import type { Scrubber } from '../../core/scrubber.js';
import { call, DEFAULT_POLICY, type CallPolicy } from '../call.js';
import type { IntegrationError } from '../errors.js';
import { BYBIT, bybitError, classifyBybit } from './bybit-errors.js';
import type { ExchangeDeps } from './deps.js';
import type { CallContext, KeyMaterial } from './exchange.js';
import { retryAfterOf, withRetryAfter } from './retry-after.js';
import { ServerClock } from './server-clock.js';

type NetworkOptions = ConstructorParameters<typeof RestClientV5>[1];

/** Per-UID limits are per second; a reset further away than this is not waited for. */
const MAX_RESET_WAIT_MS = 10_000;

/** What every V5 answer holds; the SDK resolves with it even when retCode is not 0. */
export interface BybitAnswer<T> {
  retCode: number;
  retMsg: string;
  result: T;
  rateLimitApi?: { resetAtTimestamp: number } | undefined;
}

/**
 * RestClientV5 that signs with LeakGuard's estimate of Bybit's time instead of Date.now(): the
 * SDK asks fetchTimeOffset before each private call (syncTimeBeforePrivateRequests), and this
 * answers from memory, without the SDK's own HTTP time sync (which logs its failures, request
 * options and all, to the console).
 */
class ClockedRestClient extends RestClientV5 {
  readonly #serverNow: () => number;

  constructor(opts: RestClientOptions, network: NetworkOptions, serverNow: () => number) {
    super({ ...opts, syncTimeBeforePrivateRequests: true }, network);
    this.#serverNow = serverNow;
  }

  override fetchTimeOffset(): Promise<number> {
    return Promise.resolve(this.#serverNow() - Date.now());
  }
}

export interface BybitClientOptions {
  baseUrl?: string;
  recvWindowMs?: number;
  headers?: Record<string, string>;
}

/**
 * One V5 request at a time, run under `call`: the key is registered with the scrubber first,
 * every attempt gets a fresh SDK client bound to that attempt's AbortSignal (so a timeout
 * really ends the HTTP request), and a retCode other than 0 becomes a typed IntegrationError.
 */
export class BybitClient {
  readonly #scrubber: Scrubber;
  readonly #deps: ExchangeDeps;
  readonly #policy: CallPolicy;
  readonly #time: ServerClock;
  readonly #classify: (err: unknown, operation: string) => IntegrationError;

  constructor(
    private readonly opts: BybitClientOptions,
    deps: ExchangeDeps,
  ) {
    this.#deps = deps;
    this.#scrubber = deps.scrubber;
    this.#policy = deps.policy ?? DEFAULT_POLICY;
    this.#time = new ServerClock(deps.clock);
    this.#classify = classifyBybit(deps.scrubber);
  }

  /** Registers key material with the scrubber: done before any call that carries it. */
  register(key: KeyMaterial): void {
    this.#scrubber.register(key.apiKey);
    this.#scrubber.register(key.apiSecret);
  }

  #sdk(key: KeyMaterial | null, signal: AbortSignal): RestClientV5 {
    return new ClockedRestClient(
      {
        ...(key ? { key: key.apiKey, secret: key.apiSecret } : {}),
        ...(this.opts.baseUrl ? { baseUrl: this.opts.baseUrl } : {}),
        recv_window: this.opts.recvWindowMs ?? 5000,
        parse_exceptions: false,
        parseAPIRateLimits: true,
      },
      { signal, timeout: this.#policy.timeoutMs, headers: { ...this.opts.headers } },
      () => this.#time.now(),
    );
  }

  /** Runs one V5 call signed by `key` (null: a public endpoint) and returns its `result`. */
  request<T>(operation: string, key: KeyMaterial | null, ctx: CallContext | undefined, fn: (sdk: RestClientV5) => Promise<BybitAnswer<T>>): Promise<T> {
    if (key) this.register(key);
    return call(
      {
        system: BYBIT,
        operation,
        clock: this.#deps.clock,
        policy: this.#policy,
        classify: this.#classify,
        retryAfterMs: retryAfterOf,
        ...(ctx?.signal ? { signal: ctx.signal } : {}),
      },
      async (signal) => {
        const sdk = this.#sdk(key, signal);
        const answer = await fn(sdk);
        if (answer.retCode === 0) return answer.result;
        // Bybit found our timestamp outside recv_window: measure its clock before the retry.
        if (answer.retCode === 10002) await this.#time.sync(async () => serverTimeOf((await sdk.getServerTime()).result));
        const err = bybitError(this.#scrubber, operation, answer.retCode, answer.retMsg);
        // A 10006 says when the limit resets (X-Bapi-Limit-Reset-Timestamp): retrying sooner only burns attempts.
        const resetAt = answer.rateLimitApi?.resetAtTimestamp;
        throw withRetryAfter(err, resetAt ? Math.min(resetAt - this.#deps.clock.now(), MAX_RESET_WAIT_MS) : undefined);
      },
    );
  }

  /** Follows nextPageCursor until Bybit says there is no more (or repeats itself). */
  async pages<T>(operation: string, key: KeyMaterial, ctx: CallContext | undefined, page: (sdk: RestClientV5, cursor: string | undefined) => Promise<BybitAnswer<{ items: T[]; next: string | undefined }>>): Promise<T[]> {
    const all: T[] = [];
    const seen = new Set<string>();
    let cursor: string | undefined;
    for (;;) {
      const { items, next } = await this.request(operation, key, ctx, (sdk) => page(sdk, cursor));
      all.push(...items);
      if (!next || seen.has(next)) return all;
      seen.add(next);
      cursor = next;
    }
  }
}

/** market/time's result in epoch ms. */
export function serverTimeOf(result: { timeNano: string; timeSecond: string }): number {
  return result.timeNano ? Number(BigInt(result.timeNano) / 1_000_000n) : Number(result.timeSecond) * 1000;
}

/** Reshapes a paged answer so `pages` can follow it. */
export function paged<T, R>(answer: BybitAnswer<R>, items: (r: R) => T[] | undefined, next: (r: R) => string | undefined): BybitAnswer<{ items: T[]; next: string | undefined }> {
  const ok = answer.retCode === 0 && answer.result;
  return { ...answer, result: { items: ok ? (items(answer.result) ?? []) : [], next: ok ? next(answer.result) : undefined } };
}
