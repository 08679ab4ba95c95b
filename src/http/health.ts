import type { FastifyInstance } from 'fastify';
import { sendProblem } from './problem.js';

/** Liveness (the process answers) and readiness (the store answers). */
export async function healthRoutes(app: FastifyInstance): Promise<void> {
  const ok = { type: 'object', properties: { status: { type: 'string' } }, required: ['status'] } as const;
  app.get('/healthz', { schema: { response: { 200: ok } } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { response: { 200: ok } } }, async (req, reply) => {
    try {
      await app.leakguard.store.ping();
      return { status: 'ready' };
    } catch (err) {
      req.log.warn({ err }, 'store not ready');
      return sendProblem(reply, req, { status: 503, title: 'Service Unavailable', detail: 'the store does not answer; check store.url and the database server' });
    }
  });
}
