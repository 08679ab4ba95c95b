import type { Scrubber } from '../../../core/scrubber.js';
import { connectionFailure, IntegrationError } from '../../errors.js';
import type { ErrorMeaning, ExchangeErrors } from '../module.js';

export const BINANCE = 'Binance';

const KEY_PAGE = 'Binance > Account > API Management';

/** Binance spot error codes (shared/fixtures/binance/error-codes.md) in LeakGuard's words. */
const CODES: Record<number, ErrorMeaning> = {
  [-1001]: { kind: 'unavailable', retryable: true, action: 'Binance had an internal error; the call is retried' },
  [-1002]: { kind: 'no_permission', retryable: false, action: `the key is not authorized for this request; check its restrictions in ${KEY_PAGE}` },
  [-1003]: { kind: 'rate_limited', retryable: true, action: 'Binance rate-limited LeakGuard; the call is retried after the wait Binance asked for' },
  [-1007]: { kind: 'timeout', retryable: true, action: 'Binance timed out on its side; the call is retried' },
  [-1008]: { kind: 'unavailable', retryable: true, action: 'Binance is overloaded; the call is retried' },
  [-1021]: { kind: 'failed', retryable: true, action: "LeakGuard's clock differs from Binance's; LeakGuard measured the difference and retried; if it persists check NTP on the host" },
  [-1022]: { kind: 'bad_signature', retryable: false, action: 'the secret does not belong to this key; check the secret in Secrets Manager' },
  [-2014]: { kind: 'invalid_key', retryable: false, action: 'the API key is malformed; check the key in Secrets Manager' },
  [-2015]: { kind: 'invalid_key', retryable: false, action: `the key was deleted, LeakGuard's egress IP is not on its IP list, or it lacks the permission; check it in ${KEY_PAGE}` },
};

function statusMeaning(status: number): ErrorMeaning | undefined {
  if (status === 418) return { kind: 'banned', retryable: false, action: "Binance banned LeakGuard's IP for ignoring rate limits; wait until the ban ends (Retry-After) and look for a polling loop" };
  if (status === 429) return CODES[-1003];
  if (status >= 500) return { kind: 'unavailable', retryable: true, action: 'Binance is failing; the call is retried, and if it keeps failing check the Binance status page' };
  return undefined;
}

/**
 * Maps what MainClient threw (an axios error: parseExceptions is off, so the HTTP status is
 * kept) to an IntegrationError; never keeps the SDK's error, which carries the request.
 */
function classifyBinance(scrubber: Scrubber, clockNow: () => number) {
  return (err: unknown, operation: string): IntegrationError => {
    const res = (err as { response?: { status?: number; data?: unknown; headers?: Record<string, unknown> } }).response;
    if (res?.status) {
      const body = res.data as { code?: unknown; msg?: unknown } | string | undefined;
      const code = body && typeof body === 'object' && typeof body.code === 'number' ? body.code : undefined;
      // A 418 is a ban even though its body says -1003.
      const meaning = (res.status === 418 ? statusMeaning(418) : code !== undefined ? CODES[code] : undefined) ??
        statusMeaning(res.status) ?? { kind: res.status >= 400 && res.status < 500 ? ('invalid_request' as const) : ('failed' as const), retryable: false, action: 'Binance refused the request; see the Binance error code list for the code' };
      const text = code !== undefined ? `code ${code}: ${String((body as { msg?: unknown }).msg ?? '')}` : `HTTP ${res.status}${typeof body === 'string' ? `: ${body}` : ''}`;
      return new IntegrationError({ system: BINANCE, operation, ...meaning, detail: scrubber.excerpt(text), status: res.status, ...(code !== undefined ? { code } : {}), retryAfterMs: retryAfterMs(res.headers?.['retry-after'], clockNow) });
    }
    const net = connectionFailure(err);
    if (net) return new IntegrationError({ system: BINANCE, operation, ...net, retryable: true, action: 'check network access from LeakGuard to Binance (DNS, proxy, firewall); the call is retried' });
    const message = err instanceof Error ? err.message : typeof err === 'string' ? err : 'unknown failure';
    return new IntegrationError({ system: BINANCE, operation, kind: 'failed', retryable: false, detail: scrubber.excerpt(message), action: 'this is unexpected; report it with the log line' });
  };
}

/** Retry-After in seconds, or as an HTTP date. */
function retryAfterMs(header: unknown, clockNow: () => number): number | undefined {
  if (typeof header !== 'string' || header === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isFinite(at) ? at - clockNow() : undefined;
}

export const binanceErrors: ExchangeErrors = { codes: CODES, classifier: ({ scrubber, clock }) => classifyBinance(scrubber, () => clock.now()) };
