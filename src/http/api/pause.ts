import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HttpProblem } from '../problem.js';
import { Pause, problems, Reason } from './schemas.js';

const Scope = Type.String({ minLength: 1, description: '"global", or a credential id' });

/** The kill switch: automation paused for everything or for one credential; incidents finish their current step and wait. */
export const pauseRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store, incidents, config } = app.leakguard;
  const scopeOf = (scope: string) => {
    if (scope !== 'global' && !config.credentials.some((c) => c.id === scope)) throw new HttpProblem(400, 'Bad Request', `scope ${scope} is neither "global" nor a credential id (known: ${config.credentials.map((c) => c.id).join(', ') || 'none'})`);
    return scope;
  };

  app.get('/pause', { config: { role: 'viewer' }, schema: { summary: 'The pauses in force', response: { 200: Type.Object({ items: Type.Array(Pause) }), ...problems } } }, async () => ({ items: await store.listPauses() }));

  app.post(
    '/pause',
    { config: { role: 'admin' }, schema: { summary: 'Pause automation', body: Type.Object({ scope: Scope, reason: Reason }, { additionalProperties: false }), response: { 202: Type.Object({ paused: Type.String() }), ...problems } } },
    async (req, reply) => {
      await incidents.pause(scopeOf(req.body.scope), req.caller!.actor, req.body.reason);
      return reply.code(202).send({ paused: req.body.scope });
    },
  );

  app.post(
    '/resume',
    { config: { role: 'admin' }, schema: { summary: 'Resume automation', body: Type.Object({ scope: Scope, reason: Reason }, { additionalProperties: false }), response: { 202: Type.Object({ resumed: Type.String() }), ...problems } } },
    async (req, reply) => {
      await incidents.resume(scopeOf(req.body.scope), req.caller!.actor, req.body.reason);
      return reply.code(202).send({ resumed: req.body.scope });
    },
  );
};
