import { verifyWithFallback } from '@octokit/webhooks-methods';
import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import type { DetectorContext } from '../../src/intake/detector.js';
import { HttpProblem } from '../../src/intake/http.js';
import type { GitHubConfig } from './config.js';
import { ALERT_EVENTS, alertWork, payloadProblems, type AlertEvent } from './delivery.js';

export const DELIVERY_WORK = 'alert';

const Answer = Type.Object({
  status: Type.Union([Type.Literal('queued'), Type.Literal('duplicate'), Type.Literal('ignored'), Type.Literal('pong')]),
  deliveryId: Type.String(),
  detail: Type.String(),
});

const Headers = Type.Object({
  'x-hub-signature-256': Type.Optional(Type.String()),
  'x-github-event': Type.Optional(Type.String()),
  'x-github-delivery': Type.Optional(Type.String()),
  'x-github-hook-id': Type.Optional(Type.String()),
});

export interface DeliveryRouteOptions {
  /** The current webhook secret first, then the previous ones still accepted; none when not configured. */
  secrets(): Promise<string[]>;
  /** A hook id seen for an organisation (reconciliation lists its deliveries). */
  learnHook(org: string, hookId: number): void;
}

/**
 * POST /webhooks/github: the raw body verified against X-Hub-Signature-256 with every accepted
 * secret, then queued durably (deduplicated by hook id and delivery GUID) and answered 202; the
 * alert is fetched afterwards (GitHub waits 10 s at most). Nothing is stored for a refused one.
 */
export function deliveryRoute(app: FastifyInstance, ctx: DetectorContext<GitHubConfig>, opts: DeliveryRouteOptions): void {
  // The signature is over the exact bytes: the body stays a string until it is verified.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('application/x-www-form-urlencoded', (_req, _payload, done) =>
    done(new HttpProblem(415, 'Unsupported Media Type', "the webhook sends form-encoded payloads; LeakGuard reads JSON only: set the organisation webhook's Content type to application/json in its settings")),
  );
  app.addContentTypeParser('*', (req, _payload, done) =>
    done(new HttpProblem(415, 'Unsupported Media Type', `content type ${String(req.headers['content-type'] ?? 'none').slice(0, 60)} is not accepted; GitHub's webhook must send application/json`)),
  );

  app.post('/webhooks/github', { schema: { headers: Headers, response: { 200: Answer, 202: Answer } }, errorHandler: bodyRefusal, config: { rateLimit: { max: ctx.config.deliveriesPerMinute, timeWindow: 60_000 } } }, async (req, reply) => {
    const h = req.headers as Record<string, string | undefined>;
    const signature = h['x-hub-signature-256'];
    if (!signature) throw new HttpProblem(401, 'Unauthorized', 'X-Hub-Signature-256 is missing: set a secret on the webhook (the same as detectors.github.webhookSecret)');
    const body = typeof req.body === 'string' ? req.body : '';
    // GitHub always sends the event's JSON; an empty body cannot be verified (and would be refused as a bad signature, sending the operator after the secret).
    if (!body) throw new HttpProblem(400, 'Bad Request', "the body is empty; GitHub sends the event's JSON payload: check what sends this");
    const [secret, ...previous] = await opts.secrets().catch((err: unknown) => {
      ctx.logger.error({ err }, 'the webhook secret could not be read; GitHub deliveries are refused with 503 until it can');
      throw new HttpProblem(503, 'Service Unavailable', 'LeakGuard cannot read its webhook secret (detectors.github.webhookSecret) just now, so it cannot verify deliveries: its log says why; it tries again on the next delivery');
    });
    if (!secret) throw new HttpProblem(401, 'Unauthorized', 'detectors.github.webhookSecret is not set, so no delivery can be verified: set it to the secret of the webhook');
    if (!(await verifyWithFallback(secret, body, signature, previous).catch(() => false))) {
      throw new HttpProblem(401, 'Unauthorized', "the signature does not match: the webhook's secret differs from detectors.github.webhookSecret (and its previousWebhookSecrets)");
    }
    const event = h['x-github-event'];
    const deliveryId = h['x-github-delivery'];
    // Decimal digits only, as GitHub sends it: Number() would also take "0x10" or "1e3".
    const hookId = /^[1-9]\d{0,15}$/.test(h['x-github-hook-id'] ?? '') ? Number(h['x-github-hook-id']) : NaN;
    if (!event || !deliveryId || !Number.isSafeInteger(hookId)) {
      const wrong = [!event && 'X-GitHub-Event', !deliveryId && 'X-GitHub-Delivery', !Number.isSafeInteger(hookId) && 'X-GitHub-Hook-ID'].filter(Boolean);
      throw new HttpProblem(400, 'Bad Request', `${wrong.join(', ')} missing or malformed: GitHub sets X-GitHub-Event, X-GitHub-Delivery and X-GitHub-Hook-ID (a decimal id) on every delivery; check what sends this`);
    }
    let payload: unknown;
    try {
      payload = JSON.parse(body);
    } catch {
      throw new HttpProblem(400, 'Bad Request', "the body is not valid JSON, yet signed with the webhook's secret: GitHub sends JSON, so check what else holds the secret and sends here");
    }
    ctx.heard();
    if (event !== 'ping' && !ALERT_EVENTS.includes(event as (typeof ALERT_EVENTS)[number])) {
      return reply.code(202).send({ status: 'ignored', deliveryId, detail: `LeakGuard does not act on ${event.slice(0, 60)} events; untick them in the webhook's events` });
    }
    const problems = payloadProblems(event, payload);
    if (problems.length) throw new HttpProblem(400, 'Bad Request', `the ${event} payload lacks what LeakGuard reads; fix the fields listed in errors`, problems);
    const org = (payload as { organization?: { login: string } }).organization?.login;
    if (org) opts.learnHook(org, hookId);
    if (event === 'ping') return reply.code(200).send({ status: 'pong', deliveryId, detail: 'the webhook reaches LeakGuard and its signature verifies' });
    const { created } = await ctx.work.enqueue(DELIVERY_WORK, `${hookId}:${deliveryId}`, alertWork(event, payload as AlertEvent, { hookId, deliveryId }), { maxAttempts: ALERT_MAX_ATTEMPTS });
    return reply.code(202).send(created ? { status: 'queued', deliveryId, detail: 'stored; the alert is fetched and matched next' } : { status: 'duplicate', deliveryId, detail: 'this delivery was received before; nothing new was stored' });
  });
}

/**
 * Fastify's own refusals of the body, said for this route: its generic texts ("Request body is too
 * large") do not tell the operator what to do. Anything else goes on to the app's problem handler.
 */
function bodyRefusal(err: FastifyError, req: FastifyRequest): never {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    throw new HttpProblem(413, 'Content Too Large', `the body is larger than server.bodyLimit (${req.routeOptions.bodyLimit} bytes); GitHub's secret scanning deliveries are a few KB: check what sends this`);
  }
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    throw new HttpProblem(415, 'Unsupported Media Type', "the Content-Type header does not parse; GitHub's webhook must send application/json");
  }
  throw err;
}

/** An alert's fetch is retried with backoff up to 5 minutes apart: this many tries span about a day of GitHub being down. */
export const ALERT_MAX_ATTEMPTS = 300;
