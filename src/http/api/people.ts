import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HttpProblem } from '../problem.js';
import { problems } from './schemas.js';

/** Offboarding: one emergency rotation per credential the person had access to. */
export const peopleRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { incidents, config, plan } = app.leakguard;
  app.post(
    '/people/:person/offboard',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Offboard a person: rotate every key they had access to',
        params: Type.Object({ person: Type.String({ minLength: 1, maxLength: 320, description: "as in the credentials' people lists" }) }),
        response: { 202: Type.Object({ incidents: Type.Array(Type.Object({ credentialId: Type.String(), incidentId: Type.String(), created: Type.Boolean() })) }), ...problems },
      },
    },
    async (req, reply) => {
      const { person } = req.params;
      if (!config.credentials.some((c) => c.people.includes(person))) throw new HttpProblem(404, 'Not Found', `no credential lists ${person} in its people; check the spelling (as in the config), or rotate the keys one by one`);
      const out = await incidents.offboard({ person, actor: req.caller!.actor, credentials: config.credentials, plan: plan('offboarding') });
      return reply.code(202).send({ incidents: out });
    },
  );
};
