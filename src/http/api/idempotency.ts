import { createHash } from 'node:crypto';
import fp from 'fastify-plugin';
import { HttpProblem, PROBLEM_TYPE } from '../problem.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The stored Idempotency-Key this request runs under, once taken. */
    idempotencyKey: string | null;
  }
}

const KEY = /^[\x21-\x7e]{1,200}$/;
/**
 * A key still pending after this long belongs to a request that died with its process: it is
 * taken over. The incident service is idempotent itself (an open attaches, a request is kept
 * once), so the rare crash in between does not act twice either.
 */
const STALE_MS = 10 * 60_000;

/**
 * Idempotency-Key on every mutation (POST) of its scope: the first request with a key runs and
 * its answer is kept in the store; a retry with the same key gets that answer back
 * (`idempotent-replayed: true`) and changes nothing. Keys are the caller's own: two callers
 * never share one. A key reused for another request is refused, a key whose request still
 * runs gets 409; an answer of ours that failed (5xx) is forgotten, so the retry runs.
 */
export const idempotencyPlugin = fp(async (app) => {
  const { store, clock } = app.leakguard;
  app.decorateRequest('idempotencyKey', null);
  app.addHook('preHandler', async (req, reply) => {
    const header = req.headers['idempotency-key'];
    if (req.method !== 'POST' || header === undefined) return;
    if (typeof header !== 'string' || !KEY.test(header)) throw new HttpProblem(400, 'Bad Request', 'the Idempotency-Key header must be 1 to 200 visible ASCII characters (a UUID is a good one); send one key per request');
    const key = `${req.caller!.name}:${header}`;
    const request = createHash('sha256').update(`${req.method} ${req.url}\n${JSON.stringify(req.body ?? null)}`).digest('hex');
    const now = clock.now();
    const { created, record } = await store.beginIdempotent(key, request, now, now - STALE_MS);
    if (created) {
      req.idempotencyKey = key;
      return;
    }
    if (record.request !== request) throw new HttpProblem(422, 'Unprocessable Content', 'this Idempotency-Key was used for a different request; use a new key for each request and the same key only to retry the same one');
    if (record.status === null) throw new HttpProblem(409, 'Conflict', 'the first request with this Idempotency-Key is still running; retry in a moment with the same key to get its answer');
    return reply
      .code(record.status)
      .header('idempotent-replayed', 'true')
      .type(record.status >= 400 ? PROBLEM_TYPE : 'application/json; charset=utf-8')
      .send(JSON.stringify(record.body));
  });
  app.addHook('onSend', async (req, reply, payload) => {
    const key = req.idempotencyKey;
    if (!key) return payload;
    req.idempotencyKey = null;
    if (reply.statusCode >= 500) await store.dropIdempotent(key);
    else await store.finishIdempotent(key, reply.statusCode, typeof payload === 'string' ? JSON.parse(payload) : null);
    return payload;
  });
});
