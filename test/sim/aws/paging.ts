import { AwsError } from './errors.js';

/**
 * Opaque NextToken values: the offset of the next page, bound to the query it came from
 * (AWS refuses a token replayed with other parameters).
 */
export function encodeToken(offset: number, query = ''): string {
  return Buffer.from(JSON.stringify({ offset, query })).toString('base64');
}

/** The offset a token points at, 0 without a token; InvalidNextTokenException for anything else. */
export function decodeToken(token: unknown, query = '', message = 'The NextToken value is invalid.'): number {
  if (token === undefined || token === null) return 0;
  try {
    const decoded = JSON.parse(Buffer.from(String(token), 'base64').toString('utf8')) as { offset?: unknown; query?: unknown };
    if (typeof decoded.offset === 'number' && Number.isInteger(decoded.offset) && decoded.offset >= 0 && decoded.query === query) {
      return decoded.offset;
    }
  } catch {
    // not ours: answered below
  }
  throw new AwsError('InvalidNextTokenException', message);
}
