import { randomUUID } from 'node:crypto';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HttpProblem } from '../problem.js';
import { problems, Reason } from './schemas.js';

/** Bulk rotation: every credential a filter selects (the runbook's "force rotation for all prod secrets"), a few at a time. */
export const rotationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { incidents, config } = app.leakguard;
  const bound = config.api.rotations.maxConcurrent;

  app.post(
    '/rotations',
    {
      config: { role: 'admin' },
      schema: {
        summary: 'Rotate many credentials, at most maxConcurrent at once',
        body: Type.Object(
          {
            filter: Type.Object(
              {
                credentials: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, uniqueItems: true, description: 'these credential ids' })),
                exchange: Type.Optional(Type.String({ minLength: 1 })),
                secretIdContains: Type.Optional(Type.String({ minLength: 1, description: 'e.g. "prod": every credential whose Secrets Manager secret id contains it' })),
              },
              { additionalProperties: false, description: 'every condition given must hold; an empty filter selects every credential' },
            ),
            playbook: Type.Union([Type.Literal('scheduled'), Type.Literal('emergency')], { default: 'scheduled' }),
            reason: Reason,
            maxConcurrent: Type.Optional(Type.Integer({ minimum: 1, description: 'rotations running at once; api.rotations.maxConcurrent by default and at most' })),
          },
          { additionalProperties: false },
        ),
        response: { 202: Type.Object({ batchId: Type.String(), credentials: Type.Array(Type.String()), maxConcurrent: Type.Integer() }), ...problems },
      },
    },
    async (req, reply) => {
      const { filter, playbook, reason } = req.body;
      const unknown = (filter.credentials ?? []).filter((id) => !config.credentials.some((c) => c.id === id));
      if (unknown.length) throw new HttpProblem(400, 'Bad Request', `no credential ${unknown.join(', ')}; GET /v1/credentials lists them`);
      const chosen = config.credentials
        .filter((c) => !filter.credentials || filter.credentials.includes(c.id))
        .filter((c) => !filter.exchange || c.exchange === filter.exchange)
        .filter((c) => !filter.secretIdContains || c.secretId.includes(filter.secretIdContains))
        .map((c) => c.id);
      if (!chosen.length) throw new HttpProblem(400, 'Bad Request', 'the filter selects no credential; GET /v1/credentials lists them');
      const maxConcurrent = Math.min(req.body.maxConcurrent ?? bound, bound);
      const batchId = randomUUID();
      await incidents.rotateMany({ batchId, credentialIds: chosen, playbook, maxConcurrent, actor: req.caller!.actor, reason });
      return reply.code(202).send({ batchId, credentials: chosen, maxConcurrent });
    },
  );
};
