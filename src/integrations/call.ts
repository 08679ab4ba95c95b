import type { Clock } from '../core/clock.js';
import { IntegrationError } from './errors.js';

/** Timeout per call and bounded, jittered retries: the policy every outside call runs under. */
export interface CallPolicy {
  timeoutMs: number;
  /** Retries after the first attempt, for retryable failures only. */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_POLICY: CallPolicy = { timeoutMs: 10_000, retries: 3, baseDelayMs: 200, maxDelayMs: 5_000 };

export interface CallOptions {
  system: string;
  operation: string;
  clock: Clock;
  policy: CallPolicy;
  /** Turns whatever the SDK threw into an IntegrationError that says whether to retry. */
  classify: (err: unknown, operation: string) => IntegrationError;
  /** The caller's budget (a step's AbortSignal): no retry outlives it. */
  signal?: AbortSignal;
}

/**
 * Runs `fn` with a per-attempt timeout; retries retryable failures after the wait the system
 * asked for (IntegrationError.retryAfterMs), else with full-jitter backoff.
 */
export async function call<T>(opts: CallOptions, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    // A ref'd timer (unlike AbortSignal.timeout) keeps the process alive while a call hangs.
    const timeoutCtl = new AbortController();
    const timer = setTimeout(() => timeoutCtl.abort(new DOMException('call timed out', 'TimeoutError')), opts.policy.timeoutMs);
    const timeout = timeoutCtl.signal;
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    let failure: IntegrationError;
    try {
      return await raceAbort(fn(signal), signal);
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : new Error(`${opts.system} ${opts.operation} aborted: the step's time budget is over`);
      failure = timeout.aborted
        ? new IntegrationError({ system: opts.system, operation: opts.operation, kind: 'timeout', retryable: true, detail: `no answer within ${opts.policy.timeoutMs} ms`, action: `check that ${opts.system} is reachable from LeakGuard; the call is retried`, cause: err })
        : err instanceof IntegrationError
          ? err
          : opts.classify(err, opts.operation);
    } finally {
      clearTimeout(timer);
    }
    if (!failure.retryable || attempt >= opts.policy.retries) {
      if (failure.retryable && attempt > 0) {
        throw new IntegrationError({
          system: failure.system,
          operation: failure.operation,
          kind: failure.kind,
          retryable: false,
          detail: `still failing after ${attempt + 1} attempts: ${failure.message}`,
          action: failure.action,
          ...(failure.status !== undefined ? { status: failure.status } : {}),
          ...(failure.code !== undefined ? { code: failure.code } : {}),
          cause: failure,
        });
      }
      throw failure;
    }
    const ceiling = Math.min(opts.policy.maxDelayMs, opts.policy.baseDelayMs * 2 ** attempt);
    const delay = failure.retryAfterMs ?? Math.round(Math.random() * ceiling);
    await opts.clock.sleep(delay, opts.signal);
  }
}

/** Some SDKs ignore an AbortSignal; the timeout must hold anyway. */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // The call was made all the same: its own rejection must not go unhandled (it kills the process).
    p.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
