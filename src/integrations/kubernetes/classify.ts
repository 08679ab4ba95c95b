import type { Scrubber } from '../../core/scrubber.js';
import { connectionFailure, IntegrationError, type FailureKind } from '../errors.js';

export const SYSTEM = 'Kubernetes';

/**
 * Maps a client-node ApiException (or a network error) to what the operator should do. The API
 * server's message can quote the object (a Secret's data, an ExternalSecret), so it is scrubbed
 * before it is cut.
 */
export const kubernetesClassifier = (scrubber: Scrubber) => (err: unknown, operation: string) => classifyKubernetes(scrubber, err, operation);

function classifyKubernetes(scrubber: Scrubber, err: unknown, operation: string): IntegrationError {
  const net = connectionFailure(err);
  if (net) return new IntegrationError({ system: SYSTEM, operation, ...net, retryable: true, action: 'check that LeakGuard reaches the API server (kubeconfig, network policy); the call is retried', cause: err });
  const code = (err as { code?: number }).code;
  const body = (err as { body?: unknown }).body;
  const message = scrubber.excerpt(typeof body === 'string' ? statusMessage(body) : ((body as { message?: string } | undefined)?.message ?? (err as Error).message));
  const kinds: Record<number, [FailureKind, string]> = {
    401: ['invalid_key', "LeakGuard's Kubernetes token is not accepted; check its service account or kubeconfig"],
    403: ['no_permission', "grant LeakGuard's service account get/list/watch/patch on deployments, deployments/scale, pods, pods/log, secrets and externalsecrets"],
    404: ['not_found', 'check the credential\'s workload (namespace, deployment) and delivery settings in the config'],
    409: ['conflict', 'the object changed under LeakGuard; the operation is re-read and retried'],
    422: ['invalid_request', 'this is a LeakGuard bug in the patch; report it with the log line'],
    429: ['throttled', 'the API server is throttling; the call is retried'],
  };
  const known = code !== undefined ? kinds[code] : undefined;
  const [kind, action] = known ?? (code !== undefined && code >= 500 ? ['unavailable', 'the API server is failing; the call is retried'] : ['failed', 'see the message']);
  // A 409 is not retried as is: the caller re-reads the object and writes again.
  return new IntegrationError({ system: SYSTEM, operation, kind, retryable: code === 429 || (code !== undefined && code >= 500), detail: `${code ?? ''} ${message}`.trim(), action, ...(code ? { status: code } : {}), cause: err });
}

/** A Status body's message, or the body itself when it is not one. */
function statusMessage(body: string): string {
  try {
    return (JSON.parse(body) as { message?: string }).message ?? body;
  } catch {
    return body;
  }
}
