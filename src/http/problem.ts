import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { IncidentError } from '../incidents/errors.js';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** RFC 9457 problem details: what went wrong and what to do next; never a stack trace. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  requestId?: string;
  errors?: string[];
}

export const PROBLEM_TYPE = 'application/problem+json';

/** An error a route throws on purpose: its detail goes to the caller as is. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
    readonly errors?: string[],
  ) {
    super(detail);
  }
}

export function sendProblem(reply: FastifyReply, req: FastifyRequest, p: Omit<Problem, 'type' | 'instance' | 'requestId'>): FastifyReply {
  // Fastify's own refusals (frameworkError) skip the app's onSend hook: the id and the scrubbed URL are set here too.
  const instance = req.server.leakguard?.scrubber.scrub(req.url) ?? req.url;
  const body: Problem = { type: 'about:blank', ...p, instance, requestId: String(req.id) };
  return reply.code(p.status).header('x-request-id', String(req.id)).type(PROBLEM_TYPE).send(body);
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

/** The incident service's refusals: it says what is wrong and what to do; the status follows its kind. */
const INCIDENT_STATUS: Record<IncidentError['code'], number> = { not_found: 404, conflict: 409, invalid: 400 };

export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof IncidentError) {
      const status = INCIDENT_STATUS[err.code];
      return sendProblem(reply, req, { status, title: TITLES[status]!, detail: err.message });
    }
    if (err instanceof HttpProblem) return sendProblem(reply, req, { status: err.status, title: err.title, detail: err.message, ...(err.errors ? { errors: err.errors } : {}) });
    if (err.validation) {
      const errors = err.validation.map((v) => `${v.instancePath || '(body)'} ${v.message ?? 'is invalid'}`.trim());
      return sendProblem(reply, req, { status: 400, title: 'Bad Request', detail: 'the request does not match the schema; fix the fields listed in errors', errors });
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) {
      req.log.error({ err }, 'request failed');
      return sendProblem(reply, req, { status, title: 'Internal Server Error', detail: `LeakGuard failed to handle this request; find request id ${String(req.id)} in its log` });
    }
    return sendProblem(reply, req, { status, title: TITLES[status] ?? 'Error', detail: err.message });
  });
}

/** The not-found answer (registered with the rate limit in front of it, see app.ts). */
export function notFound(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendProblem(reply, req, { status: 404, title: 'Not Found', detail: `no route ${req.method} ${req.url.split('?')[0]}; check the method and the path` });
}

/** Fastify's own refusals before routing (a URL that does not decode, a path parameter too long). */
export function frameworkError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const detail = err.code === 'FST_ERR_BAD_URL' ? 'the URL does not decode (a "%" must start a %XX escape); encode the path and send it again' : `${err.message}; correct the URL and send it again`;
  return sendProblem(reply, req, { status: 400, title: 'Bad Request', detail });
}

const CLIENT_ERRORS: Record<string, { status: number; detail: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, detail: 'the request did not arrive in time (server.requestTimeoutMs); send it again, whole and at once' },
  HPE_HEADER_OVERFLOW: { status: 431, detail: 'the request headers are larger than LeakGuard accepts; send fewer or shorter headers' },
};

/**
 * What Node's HTTP parser refuses before Fastify sees a request (malformed HTTP, headers too
 * large, a request that never finished arriving): a problem on the raw socket, then the socket is closed.
 */
export function clientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const known = CLIENT_ERRORS[err.code ?? ''] ?? { status: 400, detail: 'the request is not valid HTTP/1.1; check the client or proxy that sent it' };
  const requestId = randomUUID();
  const title = TITLES[known.status] ?? STATUS_CODES[known.status] ?? 'Error';
  const body = JSON.stringify({ type: 'about:blank', title, status: known.status, detail: known.detail, requestId } satisfies Problem);
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${known.status} ${title}\r\nContent-Type: ${PROBLEM_TYPE}; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}
