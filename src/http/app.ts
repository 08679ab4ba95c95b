import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { registerApi } from './api/index.js';
import type { AppContext } from './context.js';
import { healthRoutes } from './health.js';
import { metricsPlugin } from './metrics.js';
import { connectionLimits, registerLimits } from './limits.js';
import { frameworkError, notFound, registerProblemHandlers } from './problem.js';
import { requestId } from './request-id.js';
import { RequestLog } from './request-log.js';

/**
 * Builds the HTTP app without listening: tests call `inject`, `serve` listens. Routes are
 * typed from their TypeBox schemas; every answer passes through the scrubber on its way out.
 */
export async function buildApp(ctx: AppContext): Promise<FastifyInstance> {
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger at runtime; the generic would leak into every plugin type.
    loggerInstance: ctx.logger as FastifyBaseLogger,
    bodyLimit: ctx.config.server.bodyLimit,
    requestIdHeader: false,
    genReqId: (req) => requestId(req.headers['x-request-id'], ctx.scrubber),
    return503OnClosing: true,
    logController: new RequestLog(),
    frameworkErrors: frameworkError,
    ...connectionLimits(ctx.config.server),
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.decorate('leakguard', ctx);
  registerProblemHandlers(app);
  await registerLimits(app, ctx.config.server);
  app.setNotFoundHandler({ preHandler: app.rateLimit() }, notFound);
  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('x-request-id', String(req.id));
    return typeof payload === 'string' ? ctx.scrubber.scrub(payload) : payload;
  });
  await app.register(metricsPlugin);
  await app.register(healthRoutes);
  await ctx.intake.routes(app);
  await registerApi(app);
  return app;
}
