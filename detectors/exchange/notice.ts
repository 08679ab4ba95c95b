import { createHmac, timingSafeEqual } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { UNMATCHED } from '../../src/core/signal.js';
import type { DetectorContext } from '../../src/intake/detector.js';
import { HttpProblem } from '../../src/intake/http.js';
import type { CredentialMatch } from '../../src/intake/matcher.js';
import type { ExchangeConfig } from './config.js';

export const TIMESTAMP_HEADER = 'x-leakguard-timestamp';
export const SIGNATURE_HEADER = 'x-leakguard-signature';
/** A notice signed longer ago than this (or this far ahead) is refused: a captured request cannot be replayed later. */
export const MAX_SKEW_MS = 5 * 60_000;
export const NOTICE_KIND = 'exchange.notice';

/** A forwarded exchange security e-mail, as a mail rule or a person posts it. */
export const Notice = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 200, description: "unique per notice (the e-mail's Message-ID): a second post of it is refused as a replay" }),
    exchange: Type.String({ minLength: 1, maxLength: 40 }),
    uid: Type.Optional(Type.String({ minLength: 1, maxLength: 40, description: 'the account the e-mail names (Bybit: the UID)' })),
    keyHint: Type.Optional(Type.String({ minLength: 4, maxLength: 128, description: 'the first characters of the API key the e-mail names' })),
    subject: Type.Optional(Type.String({ maxLength: 500 })),
    text: Type.String({ minLength: 1, maxLength: 50_000 }),
  },
  { additionalProperties: true },
);
export type Notice = Static<typeof Notice>;
const checkNotice = TypeCompiler.Compile(Notice);

/** The signature a sender puts in X-LeakGuard-Signature: HMAC-SHA256 over "<timestamp>.<body>", hex, prefixed "sha256=". */
export function signNotice(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * POST /webhooks/exchange: a forwarded exchange notice, signed with detectors.exchange.webhookSecret
 * over its timestamp and raw body. Refused (and nothing stored) when the signature, the timestamp
 * or the body is wrong, or when its id was taken before; otherwise one `exchange.notice` signal per
 * credential its UID or key hint names (`suspected`: a person's forward is a report, not proof).
 */
export function noticeRoute(app: FastifyInstance, ctx: DetectorContext<ExchangeConfig>, secret: () => Promise<string | undefined>): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('*', (req, _payload, done) =>
    done(new HttpProblem(415, 'Unsupported Media Type', `content type ${String(req.headers['content-type'] ?? 'none').slice(0, 60)} is not accepted; post the notice as application/json`)),
  );

  app.post('/webhooks/exchange', { errorHandler: bodyRefusal }, async (req, reply) => {
    const h = req.headers as Record<string, string | undefined>;
    const signature = h[SIGNATURE_HEADER];
    const timestamp = h[TIMESTAMP_HEADER];
    if (!signature) throw new HttpProblem(401, 'Unauthorized', `${SIGNATURE_HEADER} is missing: sign "<timestamp>.<body>" with HMAC-SHA256 and detectors.exchange.webhookSecret, and send sha256=<hex>`);
    if (!timestamp || !/^\d{1,13}$/.test(timestamp)) throw new HttpProblem(400, 'Bad Request', `${TIMESTAMP_HEADER} is missing or not Unix seconds: send the time of signing, in seconds`);
    const key = await secret().catch((err: unknown) => {
      ctx.logger.error({ err }, 'the exchange notice webhook secret could not be read; notices are refused with 503 until it can');
      throw new HttpProblem(503, 'Service Unavailable', 'LeakGuard cannot read detectors.exchange.webhookSecret just now: its log says why; send the notice again later');
    });
    if (!key) throw new HttpProblem(401, 'Unauthorized', 'detectors.exchange.webhookSecret is not set, so no notice can be verified: set it, and sign notices with it');
    const body = typeof req.body === 'string' ? req.body : '';
    if (!same(signNotice(key, timestamp, body), signature)) {
      throw new HttpProblem(401, 'Unauthorized', `the signature does not match: sign "<timestamp>.<body>" (the ${TIMESTAMP_HEADER} value, a dot, the exact body) with detectors.exchange.webhookSecret`);
    }
    const skew = Math.abs(ctx.clock.now() - Number(timestamp) * 1000);
    if (skew > MAX_SKEW_MS) throw new HttpProblem(400, 'Bad Request', `${TIMESTAMP_HEADER} is ${Math.round(skew / 1000)} s away from LeakGuard's clock (5 min at most): sign when sending, and check the sender's clock`);
    let notice: unknown;
    try {
      notice = JSON.parse(body);
    } catch {
      throw new HttpProblem(400, 'Bad Request', 'the body is not valid JSON: post {"id","exchange","text", and "uid" or "keyHint"}');
    }
    if (!checkNotice.Check(notice)) {
      const problems = [...checkNotice.Errors(notice)].slice(0, 10).map((e) => `${e.path || '(body)'} ${e.message}`);
      throw new HttpProblem(400, 'Bad Request', 'the notice lacks what LeakGuard reads; fix the fields listed in errors', problems);
    }
    ctx.heard();
    const matches = await matchNotice(ctx, notice);
    const results = await Promise.all(
      (matches.length ? matches : [null]).map((m) =>
        ctx.emit({
          source: 'exchange',
          kind: m ? NOTICE_KIND : `${NOTICE_KIND}${UNMATCHED}`,
          credentialId: m?.credentialId ?? null,
          confidence: 'suspected',
          observedAt: Number(timestamp) * 1000,
          evidence: evidence(notice, m),
          dedupKey: `${NOTICE_KIND}:${notice.id}:${m?.credentialId ?? '-'}`,
          match: m,
        }),
      ),
    );
    if (results.every((r) => !r.created)) {
      throw new HttpProblem(400, 'Bad Request', `notice ${notice.id.slice(0, 80)} was received before: a replay (or a resend) is refused and stores nothing; a new notice needs a new id`);
    }
    return reply.code(202).send({ status: 'stored', signals: results.map((r) => r.signal.id), matched: matches.map((m) => m.credentialId) });
  });
}

/** The credentials the notice names: by its account UID, and by the key hint. */
async function matchNotice(ctx: DetectorContext<ExchangeConfig>, notice: Notice): Promise<CredentialMatch[]> {
  const found = new Map<string, CredentialMatch>();
  if (notice.uid) for (const m of ctx.match.matchUid(notice.exchange, notice.uid)) found.set(m.credentialId, m);
  if (notice.keyHint) for (const m of await ctx.match.matchKeyHint(notice.exchange, notice.keyHint)) if (!found.has(m.credentialId)) found.set(m.credentialId, m);
  return [...found.values()];
}

function evidence(n: Notice, m: CredentialMatch | null): Record<string, unknown> {
  return {
    noticeId: n.id,
    exchange: n.exchange,
    ...(n.uid ? { uid: n.uid } : {}),
    // Four characters at most of a key id (DESIGN.md): a hint is never shown whole.
    ...(n.keyHint ? { keyHint: `${n.keyHint.slice(0, 4)}…` } : {}),
    ...(n.subject ? { subject: n.subject } : {}),
    text: n.text.slice(0, 2000),
    matchedBy: m ? (m.field === 'uid' ? 'uid' : 'key hint') : 'nothing',
  };
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function bodyRefusal(err: FastifyError, req: FastifyRequest): never {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') throw new HttpProblem(413, 'Content Too Large', `the body is larger than server.bodyLimit (${req.routeOptions.bodyLimit} bytes); send the notice's text, not its attachments`);
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') throw new HttpProblem(415, 'Unsupported Media Type', 'the Content-Type header does not parse; send application/json');
  throw err;
}
