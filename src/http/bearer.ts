import { createHash, timingSafeEqual } from 'node:crypto';

/** The token of an `Authorization: Bearer TOKEN` header, if it is one. */
export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer (\S+)$/i.exec(header ?? '')?.[1];
}

/** SHA-256 hex of a token: what config holds instead of the token. */
export function tokenSha256(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Whether the token hashes to `sha256Hex`, compared in constant time. */
export function tokenMatches(token: string, sha256Hex: string): boolean {
  return timingSafeEqual(createHash('sha256').update(token).digest(), Buffer.from(sha256Hex, 'hex'));
}
