import { createHash, timingSafeEqual } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import type { DetectorContext } from '../../src/intake/detector.js';
import { HttpProblem } from '../../src/intake/http.js';
import type { EventBridgeConfig } from './config.js';
import { decoyReads } from './decoys.js';
import { CLOUDTRAIL_API_CALL, eventKey, eventProblems, type Envelope, type TrailRecord } from './events.js';
import type { EventWork } from './process.js';

export const EVENT_WORK = 'event';
/** An event is retried with backoff up to 5 minutes apart: about a day of the store or Secrets Manager failing. */
const EVENT_MAX_ATTEMPTS = 300;

const Answer = Type.Object({ status: Type.Literal('accepted'), queued: Type.Integer(), duplicates: Type.Integer(), decoyReads: Type.Integer() });

const digest = (s: string) => createHash('sha256').update(s).digest();

export interface EventRouteOptions {
  /** The current API key first, then the previous ones still accepted; none when not configured. */
  keys(): Promise<string[]>;
}

/**
 * POST /events/eventbridge for an API destination: the connection's API key (compared in constant
 * time) before the body is read, then one event or a JSON array of them queued durably, each by its
 * CloudTrail eventID (else its envelope id), and 202. A decoy read is stored as a signal before the
 * answer. EventBridge retries only 429 and 5xx: a store that cannot take the events gets 503.
 */
export function eventRoute(app: FastifyInstance, ctx: DetectorContext<EventBridgeConfig>, opts: EventRouteOptions): void {
  const header = ctx.config.headerName.toLowerCase();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('*', (req, _payload, done) =>
    done(new HttpProblem(415, 'Unsupported Media Type', `content type ${String(req.headers['content-type'] ?? 'none').slice(0, 60)} is not accepted; an EventBridge API destination sends application/json`)),
  );

  app.post(
    '/events/eventbridge',
    {
      schema: { response: { 202: Answer } },
      errorHandler: bodyRefusal,
      // The key is checked before the body is read: an unauthenticated sender gets 401 whatever it sends.
      onRequest: async (req) => {
        const keys = await opts.keys().catch((err: unknown) => {
          ctx.logger.error({ err }, 'the EventBridge API key could not be read; events are refused with 503 (EventBridge retries them) until it can');
          throw new HttpProblem(503, 'Service Unavailable', 'LeakGuard cannot read its EventBridge API key (detectors.eventbridge.apiKey) just now; EventBridge retries, and its log says why');
        });
        if (!keys.length) throw new HttpProblem(401, 'Unauthorized', 'detectors.eventbridge.apiKey is not set, so no event can be authenticated: set it to the API key of the EventBridge connection');
        const sent = req.headers[header];
        if (typeof sent !== 'string' || !sent) throw new HttpProblem(401, 'Unauthorized', `the ${ctx.config.headerName} header is missing: give the EventBridge connection API-key authorization with this header name`);
        const given = digest(sent);
        // Every key is compared (no early exit), each on equal-length digests.
        let ok = false;
        for (const k of keys) ok = timingSafeEqual(given, digest(k)) || ok;
        if (!ok) throw new HttpProblem(401, 'Unauthorized', `the ${ctx.config.headerName} value does not match detectors.eventbridge.apiKey (nor its previousApiKeys): set the connection's API key to it`);
      },
    },
    async (req, reply) => {
      const body = typeof req.body === 'string' ? req.body : '';
      if (!body) throw new HttpProblem(400, 'Bad Request', 'the body is empty: send one event or an array of events');
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        throw new HttpProblem(400, 'Bad Request', 'the body is not valid JSON: an EventBridge API destination sends the event (or an input transformer\'s output) as JSON; check the target\'s input');
      }
      const events = Array.isArray(parsed) ? parsed : [parsed];
      if (!events.length) throw new HttpProblem(400, 'Bad Request', 'the body is an empty array: send one event or an array of events');
      const problems = events.flatMap((e, i) => eventProblems(e, i)).slice(0, 20);
      if (problems.length) throw new HttpProblem(400, 'Bad Request', "an event lacks what LeakGuard reads (the errors list the fields); send the whole event: no input transformer on the rule's target", problems);
      ctx.heard();
      const receivedAt = ctx.clock.now();
      let queued = 0;
      let decoys = 0;
      try {
        for (const event of events as Envelope[]) {
          // A decoy read is stored before the answer: the alarm does not wait for the queue.
          if (event['detail-type'] === CLOUDTRAIL_API_CALL) {
            for (const s of decoyReads(ctx.config, event.detail as TrailRecord, event.resources ?? [], receivedAt)) {
              await ctx.emit(s);
              decoys++;
            }
          }
          const work: EventWork = { event, receivedAt };
          if ((await ctx.work.enqueue(EVENT_WORK, eventKey(event), work, { maxAttempts: EVENT_MAX_ATTEMPTS })).created) queued++;
        }
      } catch (err) {
        ctx.logger.error({ err }, 'EventBridge events could not be stored; answered 503 so EventBridge retries them');
        throw new HttpProblem(503, 'Service Unavailable', 'LeakGuard could not store the events just now; EventBridge retries 5xx answers (events already stored are taken once)');
      }
      return reply.code(202).send({ status: 'accepted', queued, duplicates: events.length - queued, decoyReads: decoys });
    },
  );
}

/** Fastify's own refusals of the body, said for this route. */
function bodyRefusal(err: FastifyError, req: FastifyRequest): never {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    throw new HttpProblem(413, 'Content Too Large', `the body is larger than server.bodyLimit (${req.routeOptions.bodyLimit} bytes); EventBridge events are at most 256 KB: raise server.bodyLimit or check what sends this`);
  }
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') throw new HttpProblem(415, 'Unsupported Media Type', 'the Content-Type header does not parse; an API destination sends application/json');
  throw err;
}
