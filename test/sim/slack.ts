import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Clock, systemClock } from '../../src/core/clock.js';
import { FaultInjector } from './faults.js';
import { listen, type SimServer } from './http.js';

/**
 * What a webhook answers, as Slack's error list has it (shared/fixtures/slack/incoming-webhook-errors.txt):
 * an active webhook records the message; the others refuse it with their status and bare error string.
 */
export const WEBHOOK_STATES = {
  active: { status: 200, body: 'ok' },
  action_prohibited: { status: 403, body: 'action_prohibited' },
  channel_not_found: { status: 404, body: 'channel_not_found' },
  channel_is_archived: { status: 410, body: 'channel_is_archived' },
  rollup_error: { status: 500, body: 'rollup_error' },
  /** Disabled or removed: Slack no longer knows the URL. */
  revoked: { status: 404, body: 'no_service' },
} as const;
export type WebhookState = keyof typeof WEBHOOK_STATES;

export interface SlackMessage {
  /** The webhook's path, /services/T…/B…/…. */
  webhook: string;
  at: number;
  text?: string;
  blocks?: unknown[];
  body: Record<string, unknown>;
}

export interface SlackSeed {
  webhooks?: { path?: string; state?: WebhookState }[];
}

/** The fault op for every post to a webhook; arm `{kind: 'throttle'}` on it for Slack's 429. */
export const POST_OP = 'POST /services';

/**
 * Slack incoming-webhook simulator: POST /services/T…/B…/… with a JSON (or legacy form `payload=`)
 * body holding `text` and/or `blocks`; answers 200 "ok" in text/plain, or Slack's error strings.
 */
export class SlackSim {
  readonly clock: Clock;
  readonly faults: FaultInjector;
  readonly webhooks = new Map<string, WebhookState>();
  readonly messages: SlackMessage[] = [];
  url = '';
  #server: SimServer | undefined;

  constructor(opts: { clock?: Clock } = {}) {
    this.clock = opts.clock ?? systemClock;
    this.faults = new FaultInjector(this.clock, () => ({
      status: 429,
      body: 'rate_limited',
      headers: { 'content-type': 'text/plain', 'Retry-After': '1' },
    }));
  }

  async start(): Promise<{ url: string; close(): Promise<void> }> {
    this.#server = await listen((req, res, body) => this.#handle(req, res, body), {
      faults: this.faults,
      state: () => ({ webhooks: Object.fromEntries(this.webhooks), messages: this.messages }),
      seed: (body) => ({ urls: ((body as SlackSeed).webhooks ?? []).map((w) => this.addWebhook(w.state, w.path)) }),
    });
    this.url = this.#server.url;
    return { url: this.url, close: () => this.close() };
  }

  async close(): Promise<void> {
    await this.#server?.close();
  }

  /** Registers a webhook and returns its full URL (the URL is the credential); call after start(). */
  addWebhook(state: WebhookState = 'active', path = randomPath()): string {
    this.webhooks.set(path, state);
    return this.url + path;
  }

  setState(webhookUrl: string, state: WebhookState): void {
    this.webhooks.set(new URL(webhookUrl).pathname, state);
  }

  messagesTo(webhookUrl: string): SlackMessage[] {
    const path = new URL(webhookUrl).pathname;
    return this.messages.filter((m) => m.webhook === path);
  }

  async #handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method !== 'POST' || !path.startsWith('/services/')) return text(res, 404, 'no_service');
    if (await this.faults.apply(POST_OP, res, req)) return;
    const state = this.webhooks.get(path);
    if (!state) return text(res, 404, 'no_service');
    if (state !== 'active') return text(res, WEBHOOK_STATES[state].status, WEBHOOK_STATES[state].body);

    const payload = parsePayload(req, body.toString('utf8'));
    if (!payload) return text(res, 400, 'invalid_payload');
    const { text: msg, blocks, attachments } = payload;
    if (blocks !== undefined && !Array.isArray(blocks)) return text(res, 400, 'invalid_blocks_format');
    // Real answers to a message without content (strapi/strapi#12679, kube-eventer#248).
    if (!(typeof msg === 'string' && msg) && !(Array.isArray(blocks) && blocks.length) && !Array.isArray(attachments)) {
      return text(res, 400, 'missing_text_or_fallback_or_attachments');
    }
    this.messages.push({
      webhook: path,
      at: this.clock.now(),
      ...(typeof msg === 'string' ? { text: msg } : {}),
      ...(Array.isArray(blocks) ? { blocks } : {}),
      body: payload,
    });
    text(res, 200, 'ok');
  }
}

function randomPath(): string {
  const id = (n: number) => randomBytes(n).toString('hex').toUpperCase().slice(0, n);
  return `/services/T${id(8)}/B${id(8)}/${randomBytes(12).toString('base64url')}`;
}

/** JSON, or the legacy form encoding `payload=<url-encoded JSON>`; undefined when it cannot be read. */
function parsePayload(req: IncomingMessage, raw: string): Record<string, unknown> | undefined {
  const form = req.headers['content-type']?.startsWith('application/x-www-form-urlencoded');
  const json = form ? new URLSearchParams(raw).get('payload') : raw;
  try {
    const parsed: unknown = JSON.parse(json ?? '');
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end(body);
}
