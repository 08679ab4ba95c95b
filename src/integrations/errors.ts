/**
 * An error from a system outside LeakGuard, as the operator needs it: which system, which
 * operation, what kind of failure, and what to do next. Messages are scrubbed by whoever
 * logs or stores them; clients never put key material into them.
 */
export type FailureKind =
  | 'timeout'
  | 'throttled'
  | 'unavailable'
  | 'connection'
  | 'not_found'
  | 'conflict'
  | 'invalid_request'
  | 'invalid_key'
  | 'bad_signature'
  | 'no_permission'
  | 'ip_not_allowed'
  | 'expired'
  | 'rate_limited'
  | 'banned'
  | 'failed';

export class IntegrationError extends Error {
  readonly system: string;
  readonly operation: string;
  readonly kind: FailureKind;
  readonly retryable: boolean;
  readonly action: string;
  readonly status: number | undefined;
  readonly code: string | number | undefined;
  /** The wait the system asked for before a retry (Retry-After, a rate-limit reset), in ms. */
  readonly retryAfterMs: number | undefined;

  constructor(init: { system: string; operation: string; kind: FailureKind; retryable: boolean; detail: string; action: string; status?: number; code?: string | number; retryAfterMs?: number | undefined; cause?: unknown }) {
    super(`${init.system} ${init.operation} failed (${init.kind}): ${init.detail}. Next: ${init.action}`, { cause: init.cause });
    this.name = 'IntegrationError';
    this.system = init.system;
    this.operation = init.operation;
    this.kind = init.kind;
    this.retryable = init.retryable;
    this.action = init.action;
    this.status = init.status;
    this.code = init.code;
    // A reset time already past (or an unparsable header) means "retry now", never a negative wait.
    this.retryAfterMs = init.retryAfterMs !== undefined && Number.isFinite(init.retryAfterMs) ? Math.max(0, init.retryAfterMs) : undefined;
  }
}

/** Network-level failures every client treats alike: retryable, and not the caller's fault. */
export function connectionFailure(err: unknown): { kind: FailureKind; detail: string } | undefined {
  const code = (err as { code?: string; cause?: { code?: string } }).code ?? (err as { cause?: { code?: string } }).cause?.code;
  const name = (err as { name?: string }).name;
  if (name === 'TimeoutError') return { kind: 'timeout', detail: 'no answer within the time budget' };
  if (code && ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'ECONNABORTED'].includes(code))
    return { kind: 'connection', detail: `connection failed (${code})` };
  if (/socket hang up|fetch failed|network|ECONNRESET/i.test((err as Error)?.message ?? '')) return { kind: 'connection', detail: 'connection failed' };
  return undefined;
}
