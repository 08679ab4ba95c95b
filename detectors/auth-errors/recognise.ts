import type { CodeMeaning } from '../../src/intake/detector.js';

/** What a recognised line says: an authentication failure, or the exchange's edge refusing the caller's IP (never a leak by itself). */
export type ErrorClass = 'auth' | 'ip_ban' | 'waf_block';

export interface Hit {
  cls: ErrorClass;
  /** e.g. "retCode 10003" or "HTTP 401". */
  code: string;
}

/** The failure kinds of an exchange's error map that mean the key itself was refused. */
const AUTH_KINDS = new Set(['invalid_key', 'bad_signature', 'no_permission', 'ip_not_allowed', 'expired']);

/**
 * HTTP statuses by exchange. A 403 is never an auth failure: Bybit's is an IP rate-limit ban (or a
 * US IP, or a GET with a body), Binance's a WAF block, and Binance's 418 an IP ban.
 */
const STATUSES: Record<string, Record<number, ErrorClass>> = {
  bybit: { 401: 'auth', 403: 'ip_ban' },
  binance: { 401: 'auth', 403: 'waf_block', 418: 'ip_ban' },
};
const DEFAULT_STATUSES: Record<number, ErrorClass> = { 401: 'auth' };

/** A number after a field or word that names a code or status: retCode=10003, "code":-2015, status: 401, HTTP/1.1 403. */
const FIELD = /(?:code|status|http(?:\/[\d.]+)?)["']?\s*[:=]?\s*["']?(-?\d{3,6})(?![\d.])/gi;
/** A status line's reason phrase: "401 Unauthorized", "403 Forbidden", "418 I'm a teapot". */
const REASON = /(?<![\d.])(401|403|418)\s+(?:unauthorized|forbidden|i'm a teapot)/i;
/** Bybit's WebSocket order entry answers 10003 for too many sessions, not for a bad key. */
const BYBIT_WS = /websocket|wss:|"op"\s*:\s*"order|\bws\b/i;

/**
 * Recognises the auth errors of one exchange in a log line, plain or JSON: the same number means
 * different things per exchange (Bybit's -2015 is an expired key, Binance's an invalid key, IP or
 * permission), so the codes are the exchange adapter's own error map, read by failure kind.
 */
export class Recognizer {
  /** Finds the lines worth a closer look: any of the numbers, wherever it stands; `classify` decides. */
  readonly candidates: RegExp;
  readonly #auth: Map<number, string>;
  readonly #statuses: Record<number, ErrorClass>;

  constructor(
    readonly exchange: string,
    codes: Readonly<Record<number, CodeMeaning>>,
  ) {
    this.#auth = new Map(Object.entries(codes).filter(([, m]) => AUTH_KINDS.has(m.kind)).map(([c, m]) => [Number(c), m.kind]));
    this.#statuses = STATUSES[exchange] ?? DEFAULT_STATUSES;
    const numbers = [...this.#auth.keys(), ...Object.keys(this.#statuses).map(Number)].map(String).sort((a, b) => b.length - a.length);
    this.candidates = new RegExp(numbers.join('|'), 'g');
  }

  /** The line's exchange auth code first, else its HTTP 401, else its ban; null when it names none of them. */
  classify(line: string): Hit | null {
    let found: Hit | null = null;
    for (const m of line.matchAll(FIELD)) {
      const value = Number(m[1]);
      if (this.#auth.has(value)) {
        if (this.exchange === 'bybit' && value === 10003 && BYBIT_WS.test(line)) continue;
        return { cls: 'auth', code: `code ${value}` };
      }
      // An exchange code on the line says more than the HTTP status beside it: the status is kept in case none comes.
      const status = this.#statuses[value];
      if (status && (!found || (status === 'auth' && found.cls !== 'auth'))) found = { cls: status, code: `HTTP ${value}` };
    }
    if (found) return found;
    const reason = REASON.exec(line);
    const status = reason && this.#statuses[Number(reason[1])];
    return status ? { cls: status, code: `HTTP ${reason[1]}` } : null;
  }
}
