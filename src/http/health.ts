import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sendProblem } from './problem.js';

const Status = Type.Object({ status: Type.String() });
const Ready = Type.Object({
  status: Type.Literal('ready'),
  /** What the startup check found; a failing credential does not make LeakGuard unready (a leak must still be answered). */
  startupCheck: Type.Object({
    state: Type.Union([Type.Literal('pending'), Type.Literal('done'), Type.Literal('failed')]),
    failing: Type.Array(Type.Object({ id: Type.String(), problems: Type.Array(Type.String()) })),
    error: Type.Optional(Type.String()),
  }),
  /** Each enabled detector: when it last heard from its source, whether it is silent, what it cannot do. */
  detectors: Type.Array(
    Type.Object({
      name: Type.String(),
      title: Type.String(),
      lastHeardAt: Type.Union([Type.Integer(), Type.Null()]),
      silent: Type.Boolean(),
      limits: Type.Array(Type.String()),
      details: Type.Record(Type.String(), Type.Unknown()),
    }),
  ),
});

/** Liveness (the process answers) and readiness (the store answers), with the startup check's findings and the detectors' health. */
export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/healthz', { schema: { response: { 200: Status } } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { response: { 200: Ready } } }, async (req, reply) => {
    try {
      await app.leakguard.store.ping();
      return { status: 'ready' as const, startupCheck: app.leakguard.startup.summary(), detectors: app.leakguard.intake.health() };
    } catch (err) {
      req.log.warn({ err }, 'store not ready');
      return sendProblem(reply, req, { status: 503, title: 'Service Unavailable', detail: 'the store does not answer; check store.url and the database server' });
    }
  });
};
