import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Credential } from '../../core/credential.js';
import type { Config } from '../../config/schema.js';
import { HttpProblem } from '../problem.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { eventRoutes } from './events.js';
import { IdParam, Incident, IncidentState, Limit, Page, PlaybookName, problems, Reason, StepRun, TimelineEntry } from './schemas.js';

const IncidentDetail = Type.Composite([Incident, Type.Object({ steps: Type.Array(StepRun, { description: 'every attempt of every step, in start order' }) })]);
const Opened = Type.Object({ incident: Incident, created: Type.Boolean({ description: 'false: the credential had an active incident, the request attached to it' }) });
const Cursor = Type.Tuple([Type.Integer(), Type.String()]);
const isCursor = (v: unknown): v is [number, string] => Array.isArray(v) && v.length === 2 && Number.isInteger(v[0]) && typeof v[1] === 'string';

/** The credential a request names, or a 404 listing the known ones. */
export function credentialOf(config: Config, id: string): Credential {
  const credential = config.credentials.find((c) => c.id === id);
  if (!credential) throw new HttpProblem(404, 'Not Found', `no credential ${id}; known: ${config.credentials.map((c) => c.id).join(', ') || '(none configured)'}`);
  return credential;
}

/** Incidents: list, detail with step runs, timeline, live events; declare, approve, abort, retry, roll back. */
export const incidentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store, incidents, config, plan } = app.leakguard;

  app.get(
    '/incidents',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'List incidents, newest first',
        querystring: Type.Object({
          state: Type.Optional(IncidentState),
          credential: Type.Optional(Type.String()),
          playbook: Type.Optional(PlaybookName),
          since: Type.Optional(Type.Integer({ description: 'opened at or after (epoch ms)' })),
          until: Type.Optional(Type.Integer({ description: 'opened before (epoch ms)' })),
          cursor: Type.Optional(Type.String({ description: 'the `next` of the previous page' })),
          limit: Limit,
        }),
        response: { 200: Page(Incident), ...problems },
      },
    },
    async (req) => {
      const { state, credential, playbook, since, until, cursor, limit } = req.query;
      const after = cursor ? decodeCursor(cursor, isCursor) : undefined;
      const items = await store.listIncidents({
        limit,
        ...(state ? { state } : {}),
        ...(credential ? { credentialId: credential } : {}),
        ...(playbook ? { playbook } : {}),
        ...(since !== undefined ? { since } : {}),
        ...(until !== undefined ? { until } : {}),
        ...(after ? { after: { openedAt: after[0], id: after[1] } } : {}),
      });
      const last = items.at(-1);
      return { items, next: last && items.length === limit ? encodeCursor([last.openedAt, last.id] satisfies typeof Cursor.static) : null };
    },
  );

  app.get('/incidents/:id', { config: { role: 'viewer' }, schema: { summary: 'One incident with its step runs', params: IdParam, response: { 200: IncidentDetail, ...problems } } }, async (req) => {
    const incident = await store.getIncident(req.params.id);
    if (!incident) throw new HttpProblem(404, 'Not Found', `no incident ${req.params.id}; GET /v1/incidents lists them`);
    return { ...incident, steps: await store.listStepRuns(incident.id) };
  });

  app.get(
    '/incidents/:id/timeline',
    {
      config: { role: 'viewer' },
      schema: { summary: "The incident's timeline, oldest first", params: IdParam, querystring: Type.Object({ after: Type.Optional(Type.Integer({ minimum: 0, description: 'only entries after this seq' })) }), response: { 200: Type.Object({ items: Type.Array(TimelineEntry) }), ...problems } },
    },
    async (req) => {
      if (!(await store.getIncident(req.params.id))) throw new HttpProblem(404, 'Not Found', `no incident ${req.params.id}; GET /v1/incidents lists them`);
      return { items: await store.listTimeline(req.params.id, req.query.after) };
    },
  );

  await app.register(eventRoutes);

  app.post(
    '/incidents',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Declare an incident (or attach to the active one of the credential)',
        body: Type.Object({ credential: Type.String({ minLength: 1 }), playbook: PlaybookName, reason: Reason, dryRun: Type.Boolean({ default: false }) }, { additionalProperties: false }),
        response: { 201: Opened, 200: Opened, ...problems },
      },
    },
    async (req, reply) => {
      const { credential, playbook, reason, dryRun } = req.body;
      const out = await incidents.declare({ credential: credentialOf(config, credential), plan: plan(playbook), reason, dryRun, actor: req.caller!.actor });
      return reply.code(out.created ? 201 : 200).send({ incident: out.incident, created: out.created });
    },
  );

  app.post(
    '/incidents/:id/approve',
    { config: { role: 'operator' }, schema: { summary: 'Grant every approval the incident waits for', params: IdParam, response: { 200: Type.Object({ approved: Type.Array(Type.String()) }), ...problems } } },
    async (req) => ({ approved: await incidents.approve(req.params.id, req.caller!.actor) }),
  );

  app.post(
    '/incidents/:id/abort',
    { config: { role: 'operator' }, schema: { summary: 'Stop the incident at the next step boundary', params: IdParam, body: Type.Object({ reason: Reason }, { additionalProperties: false }), response: { 202: Type.Object({ requested: Type.Literal('abort') }), ...problems } } },
    async (req, reply) => {
      await incidents.abort(req.params.id, req.caller!.actor, req.body.reason);
      return reply.code(202).send({ requested: 'abort' as const });
    },
  );

  app.post(
    '/incidents/:id/retry',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Try again a step that failed on every attempt',
        params: IdParam,
        body: Type.Object({ step: Type.Optional(Type.String({ minLength: 1, description: 'the failed step; the first failed one when absent' })) }, { additionalProperties: false }),
        response: { 202: Type.Object({ retrying: Type.String() }), ...problems },
      },
    },
    async (req, reply) => reply.code(202).send({ retrying: await incidents.retry(req.params.id, req.caller!.actor, req.body.step) }),
  );

  app.post(
    '/incidents/:id/rollback',
    {
      config: { role: 'operator' },
      schema: {
        summary: "Roll the incident's credential back to its previous key (the rollback playbook)",
        params: IdParam,
        body: Type.Object(
          { reason: Reason, insist: Type.Boolean({ default: false, description: 'roll back even to a key that was revoked or that an incident suspected' }) },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ incident: Incident }), ...problems },
      },
    },
    async (req, reply) => {
      const rollback = plan('rollback');
      for (const s of rollback.steps) if (s.step === 'promote') s.params = { ...s.params, insist: req.body.insist };
      return reply.code(201).send({ incident: await incidents.rollback(req.params.id, rollback, req.caller!.actor, req.body.reason) });
    },
  );
};
