import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import type { Scrubber } from '../core/scrubber.js';
import { call, DEFAULT_POLICY, type CallPolicy } from './call.js';
import { connectionFailure, IntegrationError } from './errors.js';

/** A Block Kit message; `text` is the notification fallback. */
export interface SlackMessage {
  text: string;
  blocks?: unknown[];
}

const SYSTEM = 'Slack';
/** Slack's answers that mean the webhook itself is wrong: no retry will help. */
const ACTIONS: Record<string, string> = {
  invalid_payload: 'this is a LeakGuard bug in the message shape; report it with the log line',
  action_prohibited: "the workspace restricts this webhook; ask a Slack admin to allow it",
  no_service: 'the webhook URL was disabled or removed; create a new incoming webhook and update notifiers.slack.webhookUrl',
  channel_not_found: "the webhook's channel no longer exists; create a new incoming webhook",
  channel_is_archived: "the webhook's channel is archived; unarchive it or create a new incoming webhook",
  invalid_token: 'the webhook URL is no longer valid; create a new incoming webhook',
};

/**
 * Posts to a Slack incoming webhook from a bounded queue, so a responder never waits on
 * Slack: `enqueue` returns at once; a background loop sends with retries, honouring 429
 * Retry-After. When the queue is full the oldest message is dropped and counted.
 */
export class SlackNotifier {
  readonly #queue: SlackMessage[] = [];
  #draining: Promise<void> | undefined;
  readonly stats = { sent: 0, failed: 0, dropped: 0 };

  constructor(
    private readonly webhookUrl: string,
    private readonly clock: Clock,
    private readonly scrubber: Scrubber,
    private readonly logger: Logger,
    private readonly opts: { maxQueue: number; policy: CallPolicy } = { maxQueue: 100, policy: { ...DEFAULT_POLICY, retries: 5 } },
  ) {
    // The URL is the credential.
    scrubber.register(webhookUrl);
  }

  enqueue(message: SlackMessage): void {
    if (this.#queue.length >= this.opts.maxQueue) {
      this.#queue.shift();
      this.stats.dropped++;
      this.logger.warn({ maxQueue: this.opts.maxQueue }, 'Slack queue full: dropped the oldest alert (alerts also go to the log and EventBridge)');
    }
    this.#queue.push(message);
    this.#draining ??= this.#drain().finally(() => (this.#draining = undefined));
  }

  /** Waits until the queue is empty (shutdown, tests). */
  async flush(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  async #drain(): Promise<void> {
    for (let next = this.#queue.shift(); next; next = this.#queue.shift()) {
      try {
        await this.send(next);
        this.stats.sent++;
      } catch (err) {
        this.stats.failed++;
        this.logger.error({ err }, 'Slack alert not delivered');
      }
    }
  }

  /** One message under the call policy, scrubbed on its way out; for a caller that must know it arrived (the queue does not say). */
  async send(message: SlackMessage, signal?: AbortSignal): Promise<void> {
    const payload = JSON.stringify({ ...message, text: this.scrubber.scrub(message.text), ...(message.blocks ? { blocks: this.scrubber.scrubDeep(message.blocks) } : {}) });
    await call(
      {
        system: SYSTEM,
        operation: 'post message',
        clock: this.clock,
        policy: this.opts.policy,
        classify: (err, operation) => {
          const net = connectionFailure(err);
          return new IntegrationError({ system: SYSTEM, operation, ...(net ?? { kind: 'failed', detail: String((err as Error).message) }), retryable: true, action: 'check network access from LeakGuard to hooks.slack.com', cause: err });
        },
        ...(signal ? { signal } : {}),
      },
      async (s) => {
        const res = await fetch(this.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload, signal: s });
        const body = (await res.text()).trim();
        if (res.ok) return;
        if (res.status === 429) {
          const seconds = Number(res.headers.get('retry-after') ?? '1');
          throw new IntegrationError({ system: SYSTEM, operation: 'post message', kind: 'throttled', retryable: true, detail: `429 rate_limited, retry after ${seconds}s`, action: 'Slack is rate limiting; the message is retried', status: 429, retryAfterMs: seconds * 1000 });
        }
        const retryable = res.status >= 500;
        throw new IntegrationError({
          system: SYSTEM,
          operation: 'post message',
          kind: retryable ? 'unavailable' : 'invalid_request',
          retryable,
          detail: `${res.status} ${this.scrubber.excerpt(body) || 'no body'}`,
          action: ACTIONS[body] ?? (retryable ? 'Slack is failing; the message is retried' : 'check notifiers.slack.webhookUrl'),
          status: res.status,
          code: body,
        });
      },
    );
  }
}
