import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { decodeCursor, encodeCursor } from './cursor.js';
import { AuditEntry, Limit, Page, problems } from './schemas.js';

/** The audit log: every state-changing call, with who made it; newest first. */
export const auditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app.leakguard;
  app.get(
    '/audit',
    { config: { role: 'viewer' }, schema: { summary: 'The audit log, newest first', querystring: Type.Object({ cursor: Type.Optional(Type.String()), limit: Limit }), response: { 200: Page(AuditEntry), ...problems } } },
    async (req) => {
      const before = req.query.cursor ? decodeCursor(req.query.cursor, (v): v is number => Number.isInteger(v)) : undefined;
      const items = await store.listAudit(req.query.limit, before);
      const last = items.at(-1);
      return { items, next: last && items.length === req.query.limit ? encodeCursor(last.seq) : null };
    },
  );
};
