import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HumanTask, IdParam, problems } from './schemas.js';

/** Human tasks: what LeakGuard asks a person to do, and their completion. */
export const taskRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store, incidents } = app.leakguard;

  app.get(
    '/tasks',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'List human tasks, oldest first',
        querystring: Type.Object({ status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('done'), Type.Literal('cancelled')])), incident: Type.Optional(Type.String()) }),
        response: { 200: Type.Object({ items: Type.Array(HumanTask) }), ...problems },
      },
    },
    async (req) => ({ items: await store.listHumanTasks({ ...(req.query.status ? { status: req.query.status } : {}), ...(req.query.incident ? { incidentId: req.query.incident } : {}) }) }),
  );

  app.post(
    '/tasks/:id/complete',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Complete a human task with what it asks for',
        description:
          "The body holds exactly the fields of the task's kind (its instructions name them; anything else is refused). A new exchange key (api_key, api_secret) goes straight to Secrets Manager; it is never stored, logged or echoed: the answer holds its hint and fingerprint.",
        params: IdParam,
        body: Type.Record(Type.String(), Type.Unknown()),
        response: { 200: HumanTask, ...problems },
      },
    },
    async (req) => incidents.completeTask(req.params.id, req.caller!.actor, req.body),
  );
};
