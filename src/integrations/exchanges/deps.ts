import type { Clock } from '../../core/clock.js';
import type { Scrubber } from '../../core/scrubber.js';
import type { CallPolicy } from '../call.js';

/** What every exchange adapter is built with. */
export interface ExchangeDeps {
  clock: Clock;
  /** Every key and secret an adapter handles is registered here before the first call. */
  scrubber: Scrubber;
  policy?: CallPolicy;
  /** Extra HTTP headers on every request (tests name the caller's IP to the simulators). */
  headers?: Record<string, string>;
}

/** Settings an adapter shares whatever the exchange. */
export interface ExchangeOptions {
  baseUrl?: string;
  /** Extra HTTP headers on every request (tests name the caller's IP to the simulators). */
  headers?: Record<string, string>;
  /** How often cancelAll looks again until nothing is open. Default 500 ms. */
  pollMs?: number;
  /** How long cancelAll looks when the caller gave no AbortSignal. Default 60 s. */
  cancelBudgetMs?: number;
}

export const DEFAULT_POLL_MS = 500;
export const DEFAULT_CANCEL_BUDGET_MS = 60_000;
