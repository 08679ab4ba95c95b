import type { Scrubber } from '../../../core/scrubber.js';
import { connectionFailure, IntegrationError } from '../../errors.js';
import type { ErrorMeaning, ExchangeErrors } from '../module.js';

export const BYBIT = 'Bybit';

const KEY_PAGE = 'Bybit > API management';

/**
 * Bybit V5 retCodes (shared/fixtures/bybit/error-codes.md) in LeakGuard's words. Only
 * "try again later" codes are retryable; a code that means "wrong" never is.
 */
const RET_CODES: Record<number, ErrorMeaning> = {
  10000: { kind: 'timeout', retryable: true, action: 'Bybit timed out on its side; the call is retried' },
  10001: { kind: 'invalid_request', retryable: false, action: 'the request was refused as malformed; check the credential (uid, categories, settle coins, symbols) in the config' },
  10002: { kind: 'failed', retryable: true, action: "LeakGuard's clock differs from Bybit's; LeakGuard measured the difference and retried; if it persists check NTP on the host" },
  10003: { kind: 'invalid_key', retryable: false, action: `the key was deleted or never existed (a key created seconds ago may not work yet); check it in ${KEY_PAGE}` },
  10004: { kind: 'bad_signature', retryable: false, action: 'the secret does not belong to this key; check the secret in Secrets Manager' },
  10005: { kind: 'no_permission', retryable: false, action: `the key lacks the permission for this call (or is read-only); check it in ${KEY_PAGE}` },
  10006: { kind: 'rate_limited', retryable: true, action: 'Bybit rate-limited this account and endpoint; the call is retried after the limit resets' },
  10007: { kind: 'invalid_key', retryable: false, action: 'Bybit did not accept the authentication; check the key and the base URL (mainnet, testnet, demo)' },
  10008: { kind: 'banned', retryable: false, action: 'Bybit bans this account from the call; check the account mode and contact Bybit support' },
  10009: { kind: 'banned', retryable: false, action: "Bybit refuses LeakGuard's region; call from an allowed region" },
  10010: { kind: 'ip_not_allowed', retryable: false, action: `LeakGuard's egress IP is not on the key's IP list; add it in ${KEY_PAGE}, or act with a key that allows it` },
  10014: { kind: 'conflict', retryable: false, action: 'Bybit saw this request twice; check the state before repeating it' },
  10016: { kind: 'unavailable', retryable: true, action: 'Bybit reports a server error or restart; the call is retried' },
  10017: { kind: 'invalid_request', retryable: false, action: 'Bybit does not know this path; check exchanges.bybit.baseUrl' },
  10024: { kind: 'banned', retryable: false, action: 'Bybit compliance rules block this account; contact Bybit support' },
  10027: { kind: 'banned', retryable: false, action: 'Bybit has banned transactions for this account; contact Bybit support' },
  10029: { kind: 'invalid_request', retryable: false, action: 'the symbol is not on the key\'s symbol whitelist; check the credential\'s symbols' },
  10429: { kind: 'throttled', retryable: true, action: 'Bybit is protecting itself from load; the call is retried' },
  33004: { kind: 'expired', retryable: false, action: `the key expired (keys without an IP binding live 90 days); rotate it` },
  [-2015]: { kind: 'expired', retryable: false, action: `the key expired (keys without an IP binding live 90 days); rotate it` },
  170201: { kind: 'invalid_request', retryable: false, action: 'Bybit refused an orderFilter; this is a LeakGuard bug, report it' },
  500010: { kind: 'invalid_request', retryable: false, action: "the sub-account does not belong to the master key's account; check the credential's account.uid" },
};

const HTTP_STATUSES: Record<number, ErrorMeaning> = {
  401: RET_CODES[10007]!,
  403: { kind: 'banned', retryable: false, action: "Bybit's edge refused LeakGuard's IP (rate-limit ban for ~10 minutes, or a restricted region); stop polling and wait before calling again" },
  404: RET_CODES[10017]!,
  429: RET_CODES[10429]!,
};

/** An answer with a retCode other than 0, as an error whose text holds no registered secret. */
export function bybitError(scrubber: Scrubber, operation: string, retCode: number, retMsg: string, http: { status?: number; retryAfterMs?: number | undefined } = {}): IntegrationError {
  const meaning = RET_CODES[retCode] ?? (http.status ? statusMeaning(http.status) : undefined) ?? { kind: 'failed', retryable: false, action: 'see the Bybit error code list (docs v5/error) for this code' };
  return new IntegrationError({
    system: BYBIT,
    operation,
    ...meaning,
    detail: `retCode ${retCode}: ${scrubber.excerpt(retMsg)}`,
    code: retCode,
    ...http,
  });
}

function statusMeaning(status: number): ErrorMeaning | undefined {
  if (HTTP_STATUSES[status]) return HTTP_STATUSES[status];
  if (status >= 500) return { kind: 'unavailable', retryable: true, action: 'Bybit is failing; the call is retried, and if it keeps failing check status.bybit.com' };
  return undefined;
}

/**
 * Maps what the SDK threw (an axios error: parse_exceptions is off) to an IntegrationError.
 * The SDK's errors carry the request (API key header, options with the secret), so the
 * result never keeps them as its cause: only a scrubbed summary.
 */
function classifyBybit(scrubber: Scrubber) {
  return (err: unknown, operation: string): IntegrationError => {
    const res = (err as { response?: { status?: number; data?: unknown } }).response;
    if (res?.status) {
      const body = res.data as { retCode?: unknown; retMsg?: unknown } | string | undefined;
      if (body && typeof body === 'object' && typeof body.retCode === 'number') return bybitError(scrubber, operation, body.retCode, String(body.retMsg ?? ''), { status: res.status });
      const meaning = statusMeaning(res.status) ?? { kind: 'failed' as const, retryable: false, action: 'Bybit answered with an unexpected HTTP status; check exchanges.bybit.baseUrl' };
      const text = typeof body === 'string' ? body : '';
      return new IntegrationError({ system: BYBIT, operation, ...meaning, detail: scrubber.excerpt(`HTTP ${res.status}${text ? `: ${text}` : ''}`), status: res.status });
    }
    const net = connectionFailure(err);
    if (net) return new IntegrationError({ system: BYBIT, operation, ...net, retryable: true, action: 'check network access from LeakGuard to Bybit (DNS, proxy, firewall); the call is retried' });
    const message = err instanceof Error ? err.message : typeof err === 'string' ? err : 'unknown failure';
    return new IntegrationError({ system: BYBIT, operation, kind: 'failed', retryable: false, detail: scrubber.excerpt(message), action: 'this is unexpected; report it with the log line' });
  };
}

export const bybitErrors: ExchangeErrors = { codes: RET_CODES, classifier: ({ scrubber }) => classifyBybit(scrubber) };
