import type { IntegrationError } from '../errors.js';

/** The wait an exchange asked for with a throttled answer, kept beside the error for `call`'s retryAfterMs. */
const waits = new WeakMap<IntegrationError, number>();

export function withRetryAfter(err: IntegrationError, ms: number | undefined): IntegrationError {
  if (ms !== undefined && Number.isFinite(ms)) waits.set(err, Math.max(0, ms));
  return err;
}

export function retryAfterOf(err: IntegrationError): number | undefined {
  return waits.get(err);
}
