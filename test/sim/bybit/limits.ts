/** Bybit bans an IP that sends too much (HTTP 403 "access too frequent") for a while. */
export interface IpLimit {
  max: number;
  windowMs: number;
  banMs: number;
}
/** Bybit's documented IP limit: 600 requests per 5 s, then a 10 minute ban. */
export const DEFAULT_IP_LIMIT: IpLimit = { max: 600, windowMs: 5000, banMs: 600_000 };

/**
 * Per-UID, per-endpoint requests per second (docs v5/rate-limit, UTA figures); others: 10/s. A
 * "path#category" entry is counted apart from the path's other categories: cancel-all for option
 * is 1/s. create-sub-api and delete-sub-api: 5/s (the user endpoints' table).
 */
export const DEFAULT_API_LIMITS: Record<string, number> = {
  '/v5/order/create': 10,
  '/v5/order/cancel-all': 10,
  '/v5/order/cancel-all#option': 1,
  '/v5/user/create-sub-api': 5,
  '/v5/user/delete-sub-api': 5,
  '/v5/order/realtime': 50,
  '/v5/execution/list': 50,
  '/v5/position/list': 50,
  '/v5/account/wallet-balance': 50,
};
const FALLBACK_API_LIMIT = 10;

export interface LimitStatus {
  limit: number;
  remaining: number;
  resetAt: number;
  exceeded: boolean;
}

export class RateLimits {
  #ipHits = new Map<string, number[]>();
  #ipBannedUntil = new Map<string, number>();
  #apiHits = new Map<string, number[]>();

  constructor(
    public ipLimit: IpLimit,
    public apiLimits: Record<string, number>,
  ) {}

  /** Counts a request from `ip`; true when the IP is banned. */
  ipBanned(ip: string, now: number): boolean {
    if ((this.#ipBannedUntil.get(ip) ?? 0) > now) return true;
    const hits = (this.#ipHits.get(ip) ?? []).filter((t) => t > now - this.ipLimit.windowMs);
    hits.push(now);
    this.#ipHits.set(ip, hits);
    if (hits.length <= this.ipLimit.max) return false;
    this.#ipBannedUntil.set(ip, now + this.ipLimit.banMs);
    this.#ipHits.delete(ip);
    return true;
  }

  /** Counts an authenticated call of `path` (for `category`, where the category has its own limit) by `uid` in a one-second window. */
  consume(uid: number, path: string, now: number, category?: string): LimitStatus {
    const own = category ? `${path}#${category}` : undefined;
    const bucket = own && (this.apiLimits[own] ?? DEFAULT_API_LIMITS[own]) !== undefined ? own : path;
    const limit = this.apiLimits[bucket] ?? DEFAULT_API_LIMITS[bucket] ?? FALLBACK_API_LIMIT;
    const k = `${uid} ${bucket}`;
    const hits = (this.#apiHits.get(k) ?? []).filter((t) => t > now - 1000);
    const exceeded = hits.length >= limit;
    if (!exceeded) hits.push(now);
    this.#apiHits.set(k, hits);
    return { limit, remaining: Math.max(0, limit - hits.length), resetAt: (hits[0] ?? now) + 1000, exceeded };
  }
}

/** The headers Bybit sends with every private answer (bybit-api parses them with parseAPIRateLimits). */
export function limitHeaders(s: LimitStatus): Record<string, string> {
  return {
    'X-Bapi-Limit': String(s.limit),
    'X-Bapi-Limit-Status': String(s.remaining),
    'X-Bapi-Limit-Reset-Timestamp': String(s.resetAt),
  };
}
