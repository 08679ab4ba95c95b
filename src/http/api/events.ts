import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isActive } from '../../core/incident.js';
import { HttpProblem } from '../problem.js';
import { IdParam, problems } from './schemas.js';

/** How often a stream looks at the store without a hint (entries written by another replica), and says it is alive. */
const POLL_MS = 5_000;

/**
 * The incident's timeline as server-sent events, live: each entry is an event whose id is its
 * seq, so a client that reconnects with Last-Event-ID (or `?after=`) gets exactly what it
 * missed. Each event is scrubbed like every other answer. Once the incident has ended and every
 * entry is sent, an `end` event closes the stream.
 */
export const eventRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { store, changes, scrubber } = app.leakguard;
  app.get(
    '/incidents/:id/events',
    {
      config: { role: 'viewer' },
      schema: {
        summary: "The incident's timeline, live (server-sent events; resume with Last-Event-ID)",
        params: IdParam,
        querystring: Type.Object({ after: Type.Optional(Type.Integer({ minimum: 0, description: 'start after this seq (as Last-Event-ID)' })) }),
        headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$', description: 'the seq of the last event received' })) }),
        response: { 200: { description: 'one event per timeline entry: id = seq, data = the entry as JSON', content: { 'text/event-stream': { schema: Type.String() } } }, ...problems },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      if (!(await store.getIncident(id))) throw new HttpProblem(404, 'Not Found', `no incident ${id}; GET /v1/incidents lists them`);
      const header = req.headers['last-event-id'];
      let seq = header !== undefined ? Number(header) : (req.query.after ?? 0);
      const closed = new AbortController();
      req.raw.once('close', () => closed.abort());
      const raw = reply.hijack().raw;
      raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no', 'x-request-id': String(req.id) });
      raw.write(': following\n\n');
      try {
        while (!closed.signal.aborted && raw.writable) {
          // Subscribed before reading: an entry written meanwhile is a hint, not lost.
          const next = changes.next(id, POLL_MS, closed.signal);
          for (const e of await store.listTimeline(id, seq)) {
            const { writer: _writer, ...entry } = e;
            raw.write(`id: ${e.seq}\ndata: ${scrubber.scrub(JSON.stringify(entry))}\n\n`);
            seq = e.seq;
          }
          const incident = await store.getIncident(id);
          if (incident && !isActive(incident.state) && !(await store.listTimeline(id, seq)).length) {
            raw.write(`event: end\ndata: ${JSON.stringify({ state: incident.state })}\n\n`);
            break;
          }
          await next;
          raw.write(': alive\n\n');
        }
      } catch (err) {
        req.log.error({ err, incidentId: id }, 'event stream failed; the client reconnects with Last-Event-ID and misses nothing');
      } finally {
        closed.abort();
        raw.end();
      }
    },
  );
};
