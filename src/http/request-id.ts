import { randomUUID } from 'node:crypto';
import type { Scrubber } from '../core/scrubber.js';

/** What a caller's x-request-id may be: short, and only characters safe in a header, a log line and a URL. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request id: the caller's x-request-id when it is short, safe and holds no secret (it is
 * echoed in a header the scrubber does not see, and in every log line), else a new UUID. It is
 * never cut to fit: a cut could keep part of a secret.
 */
export function requestId(header: string | string[] | undefined, scrubber: Scrubber): string {
  return typeof header === 'string' && SAFE_REQUEST_ID.test(header) && scrubber.scrub(header) === header ? header : randomUUID();
}
