import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { auditRoutes } from './audit.js';
import { authPlugin } from './auth.js';
import { credentialRoutes } from './credentials.js';
import { idempotencyPlugin } from './idempotency.js';
import { incidentRoutes } from './incidents.js';
import { pauseRoutes } from './pause.js';
import { peopleRoutes } from './people.js';
import { rotationRoutes } from './rotations.js';
import { Problem } from './schemas.js';
import { signalRoutes } from './signals.js';
import { taskRoutes } from './tasks.js';

/**
 * The operator API under /v1 (one plugin per resource), its OpenAPI document at /docs/json and
 * its UI at /docs, and security headers on every answer. Every route names the role it needs;
 * every mutation takes an Idempotency-Key.
 */
export async function registerApi(app: FastifyInstance): Promise<void> {
  await app.register(helmet, { global: true });
  app.addSchema(Problem);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'LeakGuard operator API', version: 'v1', description: 'See everything LeakGuard does and take over at any moment. Errors are RFC 9457 problems.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an api.tokens token (`leakguard token`) or, with api.oidc, a JWT of the identity provider' } } },
      security: [{ bearer: [] }],
    },
    // Only the API: health, metrics and the detectors' webhooks are not operator routes.
    transform: ({ schema, url, route }) => ({ schema: url.startsWith('/v1/') ? addIdempotencyHeader(schema, route.method) : { ...schema, hide: true }, url }),
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  await app.register(
    async (v1) => {
      await v1.register(authPlugin);
      await v1.register(idempotencyPlugin);
      for (const routes of [incidentRoutes, taskRoutes, pauseRoutes, credentialRoutes, rotationRoutes, peopleRoutes, signalRoutes, auditRoutes]) await v1.register(routes);
    },
    { prefix: '/v1' },
  );
}

/** The Idempotency-Key header in the document of every mutation (it is read by the idempotency plugin, not the route's schema). */
function addIdempotencyHeader(schema: FastifySchema, method: string | string[]): FastifySchema {
  if (!schema || !(Array.isArray(method) ? method : [method]).includes('POST')) return schema;
  const headers = (schema.headers ?? { type: 'object', properties: {} }) as { type: string; properties: Record<string, unknown> };
  return { ...schema, headers: { ...headers, properties: { ...headers.properties, 'idempotency-key': { type: 'string', description: 'a retried request with the same key does the thing once and gets the first answer' } } } };
}
