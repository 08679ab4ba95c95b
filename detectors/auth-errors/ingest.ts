import { createHash, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import type { Credential } from '../../src/core/credential.js';
import type { DetectorContext } from '../../src/intake/detector.js';
import { HttpProblem } from '../../src/intake/http.js';
import type { AuthErrorsConfig } from './config.js';
import type { AuthErrors } from './runtime.js';
import { selectorMatches } from './selector.js';

const unzip = promisify(gunzip);

const Answer = Type.Object({
  records: Type.Integer({ description: 'records (or plain lines) in the batch' }),
  unmapped: Type.Integer({ description: 'records no credential could be found for (their namespace, labels or pod name fit none)' }),
  ignored: Type.Integer({ description: 'records without a log line in any of the configured message fields' }),
  signals: Type.Integer({ description: 'spikes this batch raised, stored before this answer' }),
});

type Token = AuthErrorsConfig['ingest']['tokens'][number];
type Fields = AuthErrorsConfig['ingest']['fields'];

const CONTENT_TYPES = ['application/json', 'application/x-ndjson', 'text/plain'];

/**
 * POST /ingest/logs: a log shipper's batch (Fluent Bit's http output, Vector's http sink) as a JSON
 * array, NDJSON or plain lines, gzip allowed, with a bearer token whose SHA-256 is configured. Each
 * record goes to the credential its token names, or whose workload its Kubernetes fields fit. The
 * answer comes once every spike the batch raised is stored. A refused batch stores nothing.
 */
export function ingestRoute(app: FastifyInstance, ctx: DetectorContext<AuthErrorsConfig>, runtime: AuthErrors): void {
  const cfg = ctx.config.ingest;
  const tokens = cfg.tokens.map((t) => ({ token: t, hash: Buffer.from(t.sha256, 'hex') }));
  const authenticated = new WeakMap<FastifyRequest, Token>();

  app.removeAllContentTypeParsers();
  for (const type of CONTENT_TYPES) app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: cfg.maxBytes }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('*', (req, _payload, done) =>
    done(new HttpProblem(415, 'Unsupported Media Type', `content type ${String(req.headers['content-type'] ?? 'none').slice(0, 60)} is not accepted; send application/json (an array), application/x-ndjson or text/plain`)),
  );

  app.post(
    '/ingest/logs',
    {
      bodyLimit: cfg.maxBytes,
      schema: { response: { 200: Answer } },
      errorHandler: bodyRefusal,
      config: { rateLimit: { max: cfg.batchesPerMinute, timeWindow: 60_000 } },
      // Before the body is read: an unauthenticated sender gets nothing parsed, let alone stored.
      onRequest: async (req) => {
        const header = req.headers.authorization ?? '';
        const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
        if (!m) throw new HttpProblem(401, 'Unauthorized', 'no bearer token: send Authorization: Bearer <token> (Fluent Bit: Header Authorization Bearer <token>) with a token whose SHA-256 is in detectors.auth-errors.ingest.tokens');
        const given = createHash('sha256').update(m[1]!).digest();
        let found: Token | undefined;
        // Every configured hash is compared, in constant time each: the answer's timing says nothing of which came close.
        for (const t of tokens) if (timingSafeEqual(given, t.hash) && !found) found = t.token;
        if (!found) throw new HttpProblem(401, 'Unauthorized', 'the bearer token is not one of detectors.auth-errors.ingest.tokens (compare the SHA-256 of the token the shipper sends with the configured ones)');
        authenticated.set(req, found);
      },
    },
    async (req) => {
      const token = authenticated.get(req) as Token;
      const text = (await decoded(req, cfg.maxDecompressedBytes)).toString('utf8');
      const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      const records = parse(type, text);
      if (type === 'text/plain' && !token.credentialId)
        throw new HttpProblem(400, 'Bad Request', `plain lines carry no Kubernetes fields to find their credential by: give the token ${token.name} a credentialId in detectors.auth-errors.ingest.tokens, or send JSON records with the kubernetes fields`);
      const byCredential = new Map<string, string[]>();
      let unmapped = 0;
      let ignored = 0;
      for (const record of records) {
        const line = typeof record === 'string' ? record : firstString(record, cfg.fields.message);
        if (line === undefined) {
          ignored++;
          continue;
        }
        const credentialId = token.credentialId ?? credentialOf(ctx.credentials, record, cfg.fields);
        if (!credentialId) {
          unmapped++;
          continue;
        }
        let lines = byCredential.get(credentialId);
        if (!lines) byCredential.set(credentialId, (lines = []));
        // A record's line is one line: an embedded newline must not split it into two.
        lines.push(typeof record === 'string' ? line : line.replace(/\r?\n/g, ' '));
      }
      ctx.heard();
      let signals = 0;
      for (const [credentialId, lines] of byCredential) signals += await runtime.feed(credentialId, lines.join('\n'), 'ingest');
      return { records: records.length, unmapped, ignored, signals };
    },
  );
}

/** The body as sent, gunzipped when Content-Encoding says gzip (bounded: a small bomb must not fill memory). */
async function decoded(req: FastifyRequest, max: number): Promise<Buffer> {
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const encoding = String(req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') return body;
  if (encoding !== 'gzip') throw new HttpProblem(415, 'Unsupported Media Type', `Content-Encoding ${encoding.slice(0, 30)} is not accepted; send gzip (Fluent Bit: compress gzip; Vector: compression = "gzip") or nothing`);
  try {
    return await unzip(body, { maxOutputLength: max });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw new HttpProblem(413, 'Content Too Large', `the batch is larger than detectors.auth-errors.ingest.maxDecompressedBytes (${max} bytes) once decompressed; send smaller batches (Fluent Bit: a smaller Buffer_Chunk_Size; Vector: batch.max_bytes)`);
    throw new HttpProblem(400, 'Bad Request', 'the body is not valid gzip although Content-Encoding says gzip; check what sends this');
  }
}

/** The records of a batch: a JSON array, one object, NDJSON, or plain lines. Malformed JSON refuses the whole batch. */
function parse(type: string, text: string): unknown[] {
  if (type === 'text/plain') return text.split(/\r?\n/).filter((l) => l.length > 0);
  const trimmed = text.trim();
  if (trimmed === '') return [];
  if (type === 'application/json') {
    try {
      const value: unknown = JSON.parse(trimmed);
      return Array.isArray(value) ? value : [value];
    } catch {
      // Not one JSON value: NDJSON sent as application/json (Vector with newline framing and the json content type).
      if (!trimmed.includes('\n')) throw new HttpProblem(400, 'Bad Request', 'the body is not valid JSON: send a JSON array of records, or NDJSON as application/x-ndjson');
    }
  }
  return trimmed.split(/\r?\n/).flatMap((line, i) => {
    if (line.trim() === '') return [];
    try {
      return [JSON.parse(line) as unknown];
    } catch {
      throw new HttpProblem(400, 'Bad Request', `line ${i + 1} of the NDJSON body is not valid JSON; nothing of this batch was taken`);
    }
  });
}

function at(record: unknown, path: string): unknown {
  let v = record;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

function firstString(record: unknown, paths: string[]): string | undefined {
  for (const p of paths) {
    const v = at(record, p);
    if (typeof v === 'string') return v;
  }
  return undefined;
}

/**
 * The one credential whose workload the record's Kubernetes fields fit: its namespace, and its
 * selector by the pod's labels, else its deployment by the pod's name. None or several: unmapped.
 */
function credentialOf(credentials: readonly Credential[], record: unknown, fields: Fields): string | undefined {
  const namespace = firstString(record, fields.namespace);
  if (!namespace) return undefined;
  const labels = fields.labels.map((p) => at(record, p)).find((v): v is Record<string, unknown> => v !== null && typeof v === 'object');
  const pod = firstString(record, fields.pod);
  const fit = credentials.filter(
    (c) => c.workload.namespace === namespace && (labels ? selectorMatches(c.workload.selector, labels) : pod !== undefined && pod.startsWith(`${c.workload.deployment}-`)),
  );
  return fit.length === 1 ? fit[0]!.id : undefined;
}

/** Fastify's own refusals of the body, said for this route. */
function bodyRefusal(err: FastifyError, req: FastifyRequest): never {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    throw new HttpProblem(413, 'Content Too Large', `the batch is larger than detectors.auth-errors.ingest.maxBytes (${req.routeOptions.bodyLimit} bytes); send smaller batches`);
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') throw new HttpProblem(415, 'Unsupported Media Type', 'the Content-Type header does not parse; send application/json, application/x-ndjson or text/plain');
  throw err;
}
