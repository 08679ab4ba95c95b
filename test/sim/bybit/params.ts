import { errors } from './errors.js';
import type { Category } from './symbols.js';

/** Request parameters: the parsed query string of a GET, the JSON body of a POST. */
export type Params = Record<string, unknown>;

/** A non-empty string parameter (numbers in JSON bodies count as their text). */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
}

export function requireCategory(p: Params): Category {
  const c = str(p.category);
  if (!c) throw errors.param('params error: category is required');
  if (c !== 'spot' && c !== 'linear' && c !== 'inverse' && c !== 'option') throw errors.param(`params error: category ${c} is not supported`);
  return c;
}

/**
 * Where a stale cursor resumes: Bybit's cursors are keyset positions (order/realtime's is
 * `page_args=<orderId>`), so a cursor whose record has since left the list (an order cancelled
 * between two pages) resumes after that record's place in the order, not with an error.
 */
export interface Keyset<T> {
  /** The record a cursor names, wherever it is now; undefined for an id never issued. */
  find(id: string): T | undefined;
  /** The list's sort order. */
  compare(a: T, b: T): number;
}

/** Cursor paging as the V5 list endpoints do it: an opaque cursor, `limit` within [1, max]. */
export function paginate<T>(items: T[], p: Params, max: number, dflt: number, idOf: (t: T) => string, keyset?: Keyset<T>) {
  const limitRaw = p.limit === undefined ? dflt : Number(p.limit);
  if (!Number.isInteger(limitRaw) || limitRaw < 1 || limitRaw > max) throw errors.param(`params error: limit must be in [1, ${max}]`);
  const cursor = str(p.cursor);
  let start = 0;
  if (cursor) {
    const after = Buffer.from(cursor, 'base64url').toString('utf8');
    start = items.findIndex((t) => idOf(t) === after) + 1;
    const gone = start === 0 ? keyset?.find(after) : undefined;
    if (gone) {
      const next = items.findIndex((t) => keyset!.compare(t, gone) > 0);
      start = next === -1 ? items.length : next;
    } else if (start === 0) throw errors.param('params error: cursor invalid');
  }
  const slice = items.slice(start, start + limitRaw);
  const last = slice[slice.length - 1];
  const more = start + limitRaw < items.length && last !== undefined;
  return { items: slice, nextPageCursor: more ? Buffer.from(idOf(last), 'utf8').toString('base64url') : '' };
}
