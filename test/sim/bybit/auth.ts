import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { errors } from './errors.js';
import type { ApiKey, KeyStore } from './keys.js';

/** Header the tests set to say which IP a request comes from; real Bybit sees the TCP peer. */
export const CLIENT_IP_HEADER = 'x-sim-client-ip';
export const DEFAULT_CLIENT_IP = '127.0.0.1';

export function clientIp(req: IncomingMessage): string {
  const h = req.headers[CLIENT_IP_HEADER];
  return (Array.isArray(h) ? h[0] : h) ?? DEFAULT_CLIENT_IP;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Bybit V5 HMAC authentication (docs v5/guide "Authentication", fixtures/bybit/signature-rule.txt):
 * sign = hex HMAC-SHA256(secret, timestamp + apiKey + recvWindow + (GET: raw query string | POST: raw
 * JSON body)), and server_time - recv_window <= timestamp < server_time + 1000.
 * Checks run in the order Bybit reports them: key, timestamp, signature, expiry, IP.
 */
export function authenticate(req: IncomingMessage, rawBody: string, store: KeyStore, serverNow: number): ApiKey {
  const apiKey = header(req, 'x-bapi-api-key');
  const timestampRaw = header(req, 'x-bapi-timestamp');
  const sign = header(req, 'x-bapi-sign');
  if (!apiKey || !timestampRaw || !sign) throw errors.missingAuth();
  const recvWindowRaw = header(req, 'x-bapi-recv-window') ?? '5000';

  const key = store.find(apiKey);
  if (!key || serverNow < key.activeAt) throw errors.invalidKey();

  const timestamp = Number(timestampRaw);
  const recvWindow = Number(recvWindowRaw);
  if (!Number.isFinite(timestamp) || !Number.isFinite(recvWindow) || !(serverNow - recvWindow <= timestamp && timestamp < serverNow + 1000)) {
    throw errors.timestamp(timestamp, serverNow, recvWindow);
  }

  const query = req.url?.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
  const origin = timestampRaw + apiKey + recvWindowRaw + (req.method === 'GET' ? query : rawBody);
  const expected = createHmac('sha256', key.secret).update(origin).digest('hex');
  if (!sameText(expected, sign)) throw errors.sign(origin);

  return key;
}

/** After the signature: an expired key (33004, or -2015 on spot) and an IP outside the key's list (10010). */
export function checkKeyUsable(key: ApiKey, ip: string, serverNow: number, spot: boolean): void {
  if (key.expiresAt !== null && serverNow >= key.expiresAt) throw errors.expired(spot);
  if (!(key.ips.includes('*') || key.ips.includes(ip))) throw errors.ipMismatch();
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
