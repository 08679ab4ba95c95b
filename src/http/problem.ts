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
  const body: Problem = { type: 'about:blank', ...p, instance: req.url, requestId: String(req.id) };
  return reply.code(p.status).type(PROBLEM_TYPE).send(body);
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
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
  app.setNotFoundHandler((req, reply) => sendProblem(reply, req, { status: 404, title: 'Not Found', detail: `no route ${req.method} ${req.url.split('?')[0]}; see GET /docs for the API` }));
}
