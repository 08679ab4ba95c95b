import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isActive, type Incident, type PlaybookName } from '../../core/incident.js';
import type { Store } from '../../store/store.js';
import { credentialOf } from './incidents.js';
import { IdParam, Incident as IncidentSchema, IncidentState, problems, Reason } from './schemas.js';

const DAY_MS = 86_400_000;
/** The playbooks that put a new key in place: their resolved incidents are the credential's rotations. */
const ROTATING: readonly PlaybookName[] = ['break-glass', 'emergency', 'scheduled', 'offboarding'];

const CredentialView = Type.Object({
  id: Type.String(),
  exchange: Type.String(),
  secretId: Type.String(),
  rotationDays: Type.Integer(),
  lastRotation: Type.Union([Type.Object({ incidentId: Type.String(), playbook: Type.String(), at: Type.Integer() }), Type.Null()], { description: 'the last incident LeakGuard resolved with a new key' }),
  keyAgeDays: Type.Union([Type.Number(), Type.Null()], { description: 'days since the last rotation; null when LeakGuard has not rotated it yet' }),
  rotationDue: Type.Union([Type.Boolean(), Type.Null()], { description: 'keyAgeDays at or past rotationDays' }),
  state: Type.Union([IncidentState, Type.Literal('idle')], { description: "the active incident's state, or idle" }),
  activeIncidentId: Type.Union([Type.String(), Type.Null()]),
  problems: Type.Array(Type.String(), { description: "what the startup check found wrong with it" }),
});

const Detector = Type.Object({ name: Type.String(), title: Type.String(), lastHeardAt: Type.Union([Type.Integer(), Type.Null()]), silent: Type.Boolean(), limits: Type.Array(Type.String()) });

async function lastRotation(store: Store, credentialId: string): Promise<Incident | undefined> {
  return (await store.listIncidents({ credentialId, state: 'resolved', limit: 100 })).find((i) => ROTATING.includes(i.playbook) && !i.dryRun);
}

/** Managed credentials: key age against rotationDays, last rotation, state, detector health; rotating one. */
export const credentialRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store, incidents, config, plan, clock, startup, intake } = app.leakguard;

  app.get(
    '/credentials',
    { config: { role: 'viewer' }, schema: { summary: 'Every managed credential and the detectors watching them', response: { 200: Type.Object({ items: Type.Array(CredentialView), detectors: Type.Array(Detector) }), ...problems } } },
    async () => {
      const failing = startup.summary().failing;
      const items = await Promise.all(
        config.credentials.map(async (c) => {
          const [last, active] = await Promise.all([lastRotation(store, c.id), store.getActiveIncident(c.id)]);
          const at = last?.closedAt ?? null;
          const age = at === null ? null : Math.floor(((clock.now() - at) / DAY_MS) * 10) / 10;
          return {
            id: c.id,
            exchange: c.exchange,
            secretId: c.secretId,
            rotationDays: c.rotationDays,
            lastRotation: last && at !== null ? { incidentId: last.id, playbook: last.playbook, at } : null,
            keyAgeDays: age,
            rotationDue: age === null ? null : age >= c.rotationDays,
            state: active && isActive(active.state) ? active.state : ('idle' as const),
            activeIncidentId: active?.id ?? null,
            problems: failing.find((f) => f.id === c.id)?.problems ?? [],
          };
        }),
      );
      return { items, detectors: intake.health().map(({ name, title, lastHeardAt, silent, limits }) => ({ name, title, lastHeardAt, silent, limits })) };
    },
  );

  app.post(
    '/credentials/:id/rotate',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Rotate one credential now',
        params: IdParam,
        body: Type.Object(
          { reason: Reason, playbook: Type.Union([Type.Literal('scheduled'), Type.Literal('emergency')], { default: 'scheduled', description: 'emergency when the key is suspected' }), dryRun: Type.Boolean({ default: false }) },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ incident: IncidentSchema, created: Type.Boolean() }), 200: Type.Object({ incident: IncidentSchema, created: Type.Boolean() }), ...problems },
      },
    },
    async (req, reply) => {
      const { reason, playbook, dryRun } = req.body;
      const out = await incidents.declare({ credential: credentialOf(config, req.params.id), plan: plan(playbook), reason, dryRun, actor: req.caller!.actor });
      return reply.code(out.created ? 201 : 200).send({ incident: out.incident, created: out.created });
    },
  );
};
