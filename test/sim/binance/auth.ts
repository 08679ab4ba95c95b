import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { errors } from './errors.js';

export interface BinanceKey {
  apiKey: string;
  secret: string;
  uid: number;
  /** Empty: unrestricted (Binance's default); otherwise the only IPs allowed. */
  ips: string[];
  /** "Enable Spot & Margin Trading": needed by TRADE endpoints. */
  canTrade: boolean;
  deletedAt: number | null;
}

export type BinanceKeySeed = Partial<Omit<BinanceKey, 'uid' | 'deletedAt'>> & { uid: number };

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Binance HMAC keys and secrets are 64 alphanumerics; anything else fails the key format check (-2014). */
export function randomKeyMaterial(): string {
  return [...randomBytes(64)].map((b) => ALNUM[b % ALNUM.length]).join('');
}
const KEY_FORMAT = /^[A-Za-z0-9]{64}$/;

export type Security = 'TRADE' | 'USER_DATA';

export interface SignedRequest {
  key: BinanceKey;
  params: Record<string, string>;
}

/**
 * Binance SIGNED endpoint security (signed-request-rule.txt): X-MBX-APIKEY header; signature = hex
 * HMAC-SHA256(secret, query string ⧺ body) without the signature parameter itself, compared without
 * regard to case; timestamp < serverTime + 1000 and serverTime - timestamp <= recvWindow (default
 * 5000, at most 60000); then the key's IP list and permissions (-2015).
 */
export function verifySigned(
  req: IncomingMessage,
  rawQuery: string,
  rawBody: string,
  findKey: (apiKey: string) => BinanceKey | undefined,
  serverNow: number,
  ip: string,
  security: Security,
): SignedRequest {
  const apiKey = req.headers['x-mbx-apikey'];
  if (typeof apiKey !== 'string' || !KEY_FORMAT.test(apiKey)) throw errors.keyFormat();
  const key = findKey(apiKey);
  if (!key) throw errors.rejectedKey();

  // Parameters may come in the query string or a form body; the query string wins.
  const params = { ...Object.fromEntries(new URLSearchParams(rawBody)), ...Object.fromEntries(new URLSearchParams(rawQuery)) };
  const timestamp = Number(params.timestamp);
  if (!params.timestamp || !Number.isFinite(timestamp)) throw errors.mandatory('timestamp');
  const recvWindow = params.recvWindow === undefined ? 5000 : Number(params.recvWindow);
  if (!Number.isFinite(recvWindow)) throw errors.mandatory('recvWindow');
  if (recvWindow > 60_000) throw errors.tooLarge('recvWindow', 60_000);
  if (timestamp >= serverNow + 1000) throw errors.ahead();
  if (serverNow - timestamp > recvWindow) throw errors.outsideRecvWindow();

  if (!params.signature) throw errors.mandatory('signature');
  const payload = withoutSignature(rawQuery) + withoutSignature(rawBody);
  const expected = createHmac('sha256', key.secret).update(payload).digest('hex');
  if (expected !== params.signature.toLowerCase()) throw errors.signature();

  if (key.ips.length && !key.ips.includes(ip)) throw errors.rejectedKey();
  if (security === 'TRADE' && !key.canTrade) throw errors.rejectedKey();
  return { key, params };
}

function withoutSignature(raw: string): string {
  return raw
    .split('&')
    .filter((pair) => pair !== '' && !pair.startsWith('signature='))
    .join('&');
}
