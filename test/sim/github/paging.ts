import { errors } from './errors.js';

/** per_page: default 30, at most 100 (larger values are capped, as GitHub does); not a positive integer: 422. */
export function perPageOf(q: URLSearchParams, docs: string): number {
  return positive(q, 'per_page', 30, docs, 100);
}

export function pageOf(q: URLSearchParams, docs: string): number {
  return positive(q, 'page', 1, docs, Infinity);
}

function positive(q: URLSearchParams, name: string, byDefault: number, docs: string, max: number): number {
  const raw = q.get(name);
  if (raw === null) return byDefault;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw errors.invalidRequest(`Invalid ${name}: "${raw}"`, docs);
  return Math.min(n, max);
}

/**
 * One page of a page-numbered list and its Link header (using-pagination-in-the-rest-api): prev,
 * next, last and first, each the request's own URL with `page` changed; none on a single page.
 */
export function paginate<T>(items: T[], q: URLSearchParams, selfUrl: string, docs: string): { page: T[]; link: string | null } {
  const perPage = perPageOf(q, docs);
  const page = pageOf(q, docs);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const at = (n: number) => {
    const u = new URL(selfUrl);
    u.searchParams.set('per_page', String(perPage));
    u.searchParams.set('page', String(n));
    return u.href;
  };
  const rels: string[] = [];
  if (page > 1) rels.push(`<${at(Math.min(page - 1, last))}>; rel="prev"`);
  if (page < last) rels.push(`<${at(page + 1)}>; rel="next"`, `<${at(last)}>; rel="last"`);
  if (page > 1) rels.push(`<${at(1)}>; rel="first"`);
  return { page: items.slice((page - 1) * perPage, page * perPage), link: rels.length ? rels.join(', ') : null };
}
