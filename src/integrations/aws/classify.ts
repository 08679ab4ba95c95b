import { connectionFailure, IntegrationError, type FailureKind } from '../errors.js';

/** AWS error names that mean "try again later"; everything else 4xx means "wrong". */
const RETRYABLE = new Set(['ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded', 'InternalServiceError', 'InternalFailure', 'ServiceUnavailable', 'RequestTimeout']);

const KINDS: Record<string, FailureKind> = {
  ResourceNotFoundException: 'not_found',
  ResourceExistsException: 'conflict',
  InvalidParameterException: 'invalid_request',
  InvalidRequestException: 'invalid_request',
  AccessDeniedException: 'no_permission',
  UnrecognizedClientException: 'invalid_key',
  InvalidSignatureException: 'bad_signature',
  ThrottlingException: 'throttled',
  TooManyRequestsException: 'throttled',
};

/** Maps an AWS SDK v3 error to an IntegrationError with what the operator should do. */
export function classifyAws(system: string, actions: Partial<Record<FailureKind, string>> = {}) {
  return (err: unknown, operation: string): IntegrationError => {
    const net = connectionFailure(err);
    if (net) return new IntegrationError({ system, operation, ...net, retryable: true, action: `check network access from LeakGuard to ${system} (endpoint, VPC endpoint, proxy); the call is retried`, cause: err });
    const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'CredentialsProviderError')
      return new IntegrationError({ system, operation, kind: 'invalid_key', retryable: false, detail: 'no AWS credentials found', action: "give LeakGuard AWS credentials: an IAM role for its service account (IRSA), AWS_* environment variables or a profile", code: e.name, cause: err });
    const status = e.$metadata?.httpStatusCode;
    if (e.name === 'InvalidSignatureException' && /^Signature (expired|not yet current)/.test(e.message ?? '')) {
      // The SDK has set its clock offset from the answer's Date: one more attempt is signed right.
      const corrected = (e.$metadata as { clockSkewCorrected?: boolean } | undefined)?.clockSkewCorrected === true;
      return new IntegrationError({
        system,
        operation,
        kind: 'expired',
        retryable: corrected,
        detail: `${e.name}: ${e.message}`,
        action: `LeakGuard's host clock is more than 5 minutes off AWS's${corrected ? ' (corrected for; the call is retried)' : ''}: fix its time sync (NTP)`,
        code: e.name,
        ...(status ? { status } : {}),
        cause: err,
      });
    }
    const name = e.name ?? 'Error';
    const kind: FailureKind = KINDS[name] ?? (status && status >= 500 ? 'unavailable' : 'failed');
    const retryable = RETRYABLE.has(name) || (status !== undefined && status >= 500);
    const action =
      actions[kind] ??
      (kind === 'no_permission' || kind === 'invalid_key' || kind === 'bad_signature'
        ? `check LeakGuard's IAM credentials and policy for ${system}`
        : retryable
          ? `${system} is throttling or failing; the call is retried, and if it keeps failing check the AWS Health Dashboard`
          : `fix the request or the resource named in the message`);
    return new IntegrationError({ system, operation, kind, retryable, detail: `${name}: ${e.message ?? 'no message'}`, action, code: name, ...(status ? { status } : {}), cause: err });
  };
}
