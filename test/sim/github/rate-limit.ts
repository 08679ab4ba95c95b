import { errors } from './errors.js';

/** Primary rate limits per hour (rate-limits-for-the-rest-api): 60 unauthenticated, 5000 per user or installation. */
export const LIMITS = { anonymous: 60, authenticated: 5000 } as const;

interface Window {
  resetAt: number;
  used: number;
}

/** Counts requests per caller in hour-long windows of the simulator's clock; answers the x-ratelimit-* headers. */
export class RateLimits {
  readonly #windows = new Map<string, Window>();
  limits: { anonymous: number; authenticated: number } = { ...LIMITS };

  /** Throws GitHub's 403 (with the headers) once the window is used up. */
  consume(caller: string | null, userId: number | string, now: number): Record<string, string> {
    const key = caller ?? 'anonymous';
    const limit = caller ? this.limits.authenticated : this.limits.anonymous;
    let w = this.#windows.get(key);
    if (!w || now >= w.resetAt) {
      w = { resetAt: now + 3_600_000, used: 0 };
      this.#windows.set(key, w);
    }
    const exceeded = w.used >= limit;
    if (!exceeded) w.used += 1;
    const headers = {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(limit - w.used),
      'x-ratelimit-reset': String(Math.ceil(w.resetAt / 1000)),
      'x-ratelimit-used': String(w.used),
      'x-ratelimit-resource': 'core',
    };
    if (exceeded) {
      const e = errors.primaryRateLimit(userId);
      Object.assign(e.headers, headers);
      throw e;
    }
    return headers;
  }
}
