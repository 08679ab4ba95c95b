import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sendProblem } from './problem.js';

const Status = Type.Object({ status: Type.String() });

/** Liveness (the process answers) and readiness (the store answers). */
export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/healthz', { schema: { response: { 200: Status } } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { response: { 200: Status } } }, async (req, reply) => {
    try {
      await app.leakguard.store.ping();
      return { status: 'ready' };
    } catch (err) {
      req.log.warn({ err }, 'store not ready');
      return sendProblem(reply, req, { status: 503, title: 'Service Unavailable', detail: 'the store does not answer; check store.url and the database server' });
    }
  });
};
