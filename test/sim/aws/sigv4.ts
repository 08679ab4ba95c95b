import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AwsError } from './errors.js';

export interface SigV4Scope {
  /** The signing name the credential must be scoped to, e.g. "secretsmanager", "events". */
  service: string;
  region: string;
  /** Access key id -> secret access key. */
  credentials: Record<string, string>;
  /** AWS's time (ms), that the request's X-Amz-Date must be within 5 minutes of. */
  now: number;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';

/**
 * Server-side check of an AWS Signature Version 4 `Authorization` header: the signature is
 * recomputed from the request and the caller's secret key, as AWS does. Returns the
 * caller's access key id; failures throw the errors AWS's JSON services answer with (all
 * HTTP 400, lower-case "message"). A request signed more than 5 minutes away from `now`
 * is refused as AWS refuses it ("Signature expired", "Signature not yet current").
 */
export function verifySigV4(req: IncomingMessage, body: Buffer, scope: SigV4Scope): string {
  const authorization = header(req, 'authorization');
  if (!authorization) throw authError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const space = authorization.indexOf(' ');
  const algorithm = space < 0 ? authorization : authorization.slice(0, space);
  if (algorithm !== ALGORITHM) {
    throw authError('IncompleteSignatureException', `Unsupported AWS 'algorithm': '${algorithm}'`);
  }
  const params = parseAuthParams(authorization, space < 0 ? '' : authorization.slice(space + 1));
  const amzDate = header(req, 'x-amz-date');
  const missing = [
    ...['Credential', 'Signature', 'SignedHeaders']
      .filter((p) => !params[p])
      .map((p) => `Authorization header requires '${p}' parameter.`),
    ...(amzDate || header(req, 'date') ? [] : ["Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."]),
  ];
  if (missing.length) throw authError('IncompleteSignatureException', `${missing.join(' ')} Authorization=${authorization}`);
  const credential = params.Credential!;
  const parts = credential.split('/');
  if (parts.length !== 5) {
    throw authError(
      'IncompleteSignatureException',
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`,
    );
  }
  const [accessKeyId, date, region, service, terminator] = parts as [string, string, string, string, string];
  const signedHeaders = params.SignedHeaders!.split(';');
  if (!signedHeaders.includes('host')) {
    throw authError('IncompleteSignatureException', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }
  const secret = scope.credentials[accessKeyId];
  if (secret === undefined) throw authError('UnrecognizedClientException', 'The security token included in the request is invalid.');
  if (service !== scope.service) {
    throw authError('InvalidSignatureException', `Credential should be scoped to correct service: '${scope.service}'.`);
  }
  if (region !== scope.region) throw authError('InvalidSignatureException', 'Credential should be scoped to a valid region.');
  if (terminator !== 'aws4_request') {
    throw authError('InvalidSignatureException', "Credential should be scoped with a valid terminator: 'aws4_request'.");
  }
  // The scope date is checked against X-Amz-Date only: every AWS SDK sends it.
  const requestDate = amzDate ?? '';
  if (requestDate.slice(0, 8) !== date) {
    throw authError(
      'InvalidSignatureException',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${date}' != '${requestDate.slice(0, 8)}', from '${requestDate}'.`,
    );
  }

  const canonicalRequest = canonicalRequestOf(req, body, signedHeaders);
  const credentialScope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = [ALGORITHM, requestDate, credentialScope, sha256Hex(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  const given = params.Signature!;
  if (given.length !== expected.length || !timingSafeEqual(Buffer.from(given), Buffer.from(expected))) {
    throw authError(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.' +
        `\n\nThe Canonical String for this request should have been\n'${canonicalRequest}'\n\nThe String-to-Sign should have been\n'${stringToSign}'\n`,
    );
  }
  checkTime(requestDate, scope.now);
  return accessKeyId;
}

/** AWS's window around its own time; outside it the SDK corrects its clock from the answer's Date. */
const SKEW_MS = 5 * 60_000;

function checkTime(amzDate: string, now: number): void {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  // AWS does not document this text; the SDKs always send the basic format.
  if (!m) throw authError('IncompleteSignatureException', `Date must be in ISO-8601 'basic format'. Got '${amzDate}'.`);
  const [, y, mo, d, h, mi, se] = m.map(Number) as number[];
  const signedAt = Date.UTC(y!, mo! - 1, d!, h!, mi!, se!);
  if (signedAt < now - SKEW_MS) {
    throw authError('InvalidSignatureException', `Signature expired: ${amzDate} is now earlier than ${basic(now - SKEW_MS)} (${basic(now)} - 5 min.)`);
  }
  if (signedAt > now + SKEW_MS) {
    throw authError('InvalidSignatureException', `Signature not yet current: ${amzDate} is still later than ${basic(now + SKEW_MS)} (${basic(now)} + 5 min.)`);
  }
}

/** ISO 8601 basic format to the second, as X-Amz-Date has it. */
const basic = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');

function parseAuthParams(authorization: string, rest: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const raw of rest.split(',')) {
    const part = raw.trim();
    if (!part) continue;
    const eq = part.indexOf('=');
    if (eq < 0) {
      throw authError(
        'IncompleteSignatureException',
        `'${part}' not a valid key=value pair (missing equal-sign) in Authorization header: '${authorization}'.`,
      );
    }
    params[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return params;
}

function canonicalRequestOf(req: IncomingMessage, body: Buffer, signedHeaders: string[]): string {
  const url = new URL(req.url ?? '/', 'http://sim');
  // Non-S3 services encode each path segment once more than the wire form.
  const path = url.pathname.split('/').map(rfc3986).join('/');
  const query = [...url.searchParams]
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const headers = signedHeaders.map((name) => `${name}:${(header(req, name) ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  return [req.method ?? 'POST', path, query, headers, signedHeaders.join(';'), sha256Hex(body)].join('\n');
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function authError(code: string, message: string): AwsError {
  return new AwsError(code, message, { messageKey: 'message' });
}
