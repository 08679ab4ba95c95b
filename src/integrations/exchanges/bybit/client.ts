import { RestClientV5, type RestClientOptions } from 'bybit-api';
import { IntegrationError } from '../../errors.js';
import type { ExchangeDeps } from '../deps.js';
import type { CallContext, KeyMaterial } from '../exchange.js';
import { fingerprint } from '../../../core/fingerprint.js';
import { Pacer } from '../pacer.js';
import { SignedClient } from '../signed.js';
import { BYBIT, bybitError, bybitErrors } from './errors.js';

type NetworkOptions = ConstructorParameters<typeof RestClientV5>[1];

/** Per-UID limits are per second; a reset further away than this is not waited for. */
const MAX_RESET_WAIT_MS = 10_000;

/**
 * Per-UID limits (docs v5/rate-limit) that LeakGuard's own bursts could exceed (a lockdown's
 * deletes, a sweep's option rounds): LeakGuard keeps to them instead of answering 10006s.
 */
export const PACED = { 'create-sub-api': 5, 'delete-sub-api': 5, 'cancel-all option': 1 } as const;
export type Paced = keyof typeof PACED;

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

/** Bybit's signed requests: a retCode other than 0 becomes a typed IntegrationError. */
export class BybitClient {
  readonly #signed: SignedClient<RestClientV5>;
  readonly #deps: ExchangeDeps;
  readonly #pacer: Pacer;

  constructor(opts: BybitClientOptions, deps: ExchangeDeps) {
    this.#deps = deps;
    this.#pacer = new Pacer(deps.clock);
    this.#signed = new SignedClient<RestClientV5>(
      {
        system: BYBIT,
        sdk: (key, { signal, timeoutMs, serverNow }) =>
          new ClockedRestClient(
            {
              ...(key ? { key: key.apiKey, secret: key.apiSecret } : {}),
              ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}),
              recv_window: opts.recvWindowMs ?? 5000,
              parse_exceptions: false,
              parseAPIRateLimits: true,
            },
            { signal, timeout: timeoutMs, headers: { ...opts.headers } },
            serverNow,
          ),
        classify: bybitErrors.classifier(deps),
        // Bybit found our timestamp outside recv_window.
        isClockSkew: (err) => err instanceof IntegrationError && err.code === 10002,
        fetchTime: async (sdk) => serverTimeOf((await sdk.getServerTime()).result),
      },
      deps,
    );
  }

  /** Registers key material with the scrubber: done before any call that carries it. */
  register(key: KeyMaterial): void {
    this.#signed.register(key);
  }

  /**
   * Runs one V5 call signed by `key` (null: a public endpoint) and returns its `result`; a `paced`
   * call keeps to that limit for the key's account (each attempt takes a slot).
   */
  request<T>(operation: string, key: KeyMaterial | null, ctx: CallContext | undefined, fn: (sdk: RestClientV5) => Promise<BybitAnswer<T>>, paced?: Paced): Promise<T> {
    return this.#signed.request(operation, key, ctx, async (sdk) => {
      // One key is one account: its fingerprint names the account's budget (no key material kept).
      const answer = paced && key ? await this.#pacer.run(`${fingerprint(key.apiKey)} ${paced}`, PACED[paced], () => fn(sdk), ctx?.signal) : await fn(sdk);
      if (answer.retCode === 0) return answer.result;
      // A 10006 says when the limit resets (X-Bapi-Limit-Reset-Timestamp): retrying sooner only burns attempts.
      const resetAt = answer.rateLimitApi?.resetAtTimestamp;
      throw bybitError(this.#deps.scrubber, operation, answer.retCode, answer.retMsg, { retryAfterMs: resetAt ? Math.min(resetAt - this.#deps.clock.now(), MAX_RESET_WAIT_MS) : undefined });
    });
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
