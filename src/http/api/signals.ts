import { randomUUID } from 'node:crypto';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { UNMATCHED } from '../../core/signal.js';
import { credentialOf } from './incidents.js';
import { Limit, problems, Signal } from './schemas.js';

const MANUAL_KINDS = ['exchange_email', 'phone_call', 'other'] as const;

/** Signals: what the detectors saw (unmatched ones included), and those a person reports. */
export const signalRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store, intake, incidents, config, clock } = app.leakguard;

  app.get(
    '/signals',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'List signals, newest first',
        querystring: Type.Object({
          credential: Type.Optional(Type.String()),
          incident: Type.Optional(Type.String()),
          since: Type.Optional(Type.Integer({ description: 'received at or after (epoch ms)' })),
          unmatched: Type.Optional(Type.Boolean({ description: 'true: only the signals that matched no credential' })),
          limit: Limit,
        }),
        response: { 200: Type.Object({ items: Type.Array(Signal) }), ...problems },
      },
    },
    async (req) => {
      const { credential, incident, since, unmatched, limit } = req.query;
      const items = await store.listSignals({ limit: unmatched === undefined ? limit : 1000, ...(credential ? { credentialId: credential } : {}), ...(incident ? { incidentId: incident } : {}), ...(since !== undefined ? { since } : {}) });
      return { items: (unmatched === undefined ? items : items.filter((s) => s.kind.endsWith(UNMATCHED) === unmatched)).slice(0, limit) };
    },
  );

  app.post(
    '/signals',
    {
      config: { role: 'operator' },
      schema: {
        summary: 'Report a signal by hand (an exchange e-mail, a phone call); the rules decide what follows',
        body: Type.Object(
          {
            credential: Type.String({ minLength: 1 }),
            kind: Type.Union(MANUAL_KINDS.map((k) => Type.Literal(k))),
            confidence: Type.Union([Type.Literal('suspected'), Type.Literal('confirmed')]),
            note: Type.String({ minLength: 1, maxLength: 4000, description: 'what was seen or said; never paste a key here' }),
            observedAt: Type.Optional(Type.Integer({ description: 'when it happened (epoch ms); now when absent' })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Signal, ...problems },
      },
    },
    async (req, reply) => {
      const { credential, kind, confidence, note, observedAt } = req.body;
      const actor = req.caller!.actor;
      const { signal } = await intake.emit({
        source: 'manual',
        kind: `manual.${kind}`,
        credentialId: credentialOf(config, credential).id,
        confidence,
        observedAt: observedAt ?? clock.now(),
        evidence: { note, reportedBy: actor },
        // Each report is its own signal; a retried request is caught by its Idempotency-Key.
        dedupKey: `manual:${randomUUID()}`,
      });
      await incidents.audit(actor, 'signal.reported', signal.id, { credentialId: credential, kind: signal.kind, confidence });
      return reply.code(201).send(signal);
    },
  );
};
