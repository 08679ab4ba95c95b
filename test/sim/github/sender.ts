import { createHmac, randomUUID } from 'node:crypto';

/** GitHub waits 10 s for an answer, then records the delivery as failed (handling-failed-webhook-deliveries). */
export const DELIVERY_TIMEOUT_MS = 10_000;

export interface Delivery {
  url: string;
  /** The hook's secret; without one GitHub sends no signature headers. */
  secret?: string;
  /** The hook's content type: `json` sends the JSON body, `form` sends `payload=<url-encoded JSON>`. */
  contentType: 'json' | 'form';
  event: string;
  payload: unknown;
  /** X-GitHub-Delivery, shared by every hook that receives the event and kept across redeliveries. */
  guid?: string;
  hookId: number;
  targetId: number;
  targetType: 'organization' | 'repository' | 'integration';
  timeoutMs?: number;
}

export interface DeliveryResult {
  guid: string;
  /** The HTTP status; 502 when nothing answered, 504 on a timeout (see `deliver`). */
  statusCode: number;
  /** "OK" for a 2xx, else GitHub's description. */
  status: string;
  durationS: number;
  request: { headers: Record<string, string>; body: string };
  response: { headers: Record<string, string>; body: string };
}

/** The signature headers' values: hex HMAC of the raw body with the hook's secret (validating-webhook-deliveries). */
export function signatures(secret: string, body: string): { sha256: string; sha1: string } {
  return {
    sha256: `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    sha1: `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`,
  };
}

/** The body and headers GitHub sends for a delivery (webhook-events-and-payloads#delivery-headers). */
export function deliveryRequest(d: Delivery): { guid: string; headers: Record<string, string>; body: string } {
  const guid = d.guid ?? randomUUID();
  const json = JSON.stringify(d.payload);
  const body = d.contentType === 'form' ? `payload=${encodeURIComponent(json)}` : json;
  const headers: Record<string, string> = {
    Accept: '*/*',
    'Content-Type': d.contentType === 'form' ? 'application/x-www-form-urlencoded' : 'application/json',
    'User-Agent': 'GitHub-Hookshot/5e3b9f1',
    'X-GitHub-Delivery': guid,
    'X-GitHub-Event': d.event,
    'X-GitHub-Hook-ID': String(d.hookId),
    'X-GitHub-Hook-Installation-Target-ID': String(d.targetId),
    'X-GitHub-Hook-Installation-Target-Type': d.targetType,
  };
  if (d.secret) {
    const sig = signatures(d.secret, body);
    headers['X-Hub-Signature'] = sig.sha1;
    headers['X-Hub-Signature-256'] = sig.sha256;
  }
  return { guid, headers, body };
}

/**
 * Sends one delivery and reports it as the deliveries API does. Status texts and codes for a
 * delivery that got no answer are not documented beyond the API's example ("failed to connect",
 * 502); a timeout is recorded as "timed out", 504, so that both fall in the `status=failure`
 * range (400-599). A receiver should not depend on these: any status other than "OK" failed.
 */
export async function deliver(d: Delivery, now: () => number = Date.now): Promise<DeliveryResult> {
  const { guid, headers, body } = deliveryRequest(d);
  const started = now();
  const done = (statusCode: number, status: string, response: DeliveryResult['response']): DeliveryResult => ({
    guid,
    statusCode,
    status,
    durationS: Math.max(0, now() - started) / 1000,
    request: { headers, body },
    response,
  });
  try {
    const res = await fetch(d.url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(d.timeoutMs ?? DELIVERY_TIMEOUT_MS) });
    const text = await res.text();
    const response = { headers: Object.fromEntries(res.headers), body: text };
    return res.status >= 200 && res.status < 300 ? done(res.status, 'OK', response) : done(res.status, `Invalid HTTP Response: ${res.status}`, response);
  } catch (err) {
    const timedOut = (err as Error).name === 'TimeoutError';
    return done(timedOut ? 504 : 502, timedOut ? 'timed out' : 'failed to connect to host', { headers: {}, body: '' });
  }
}
