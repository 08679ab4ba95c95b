import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * One line per request, written once it is answered (method, url, caller, status, ms; the request
 * id is bound to every line), instead of Fastify's two: half the logging and redaction work on
 * every webhook delivery. Errors and stream failures are logged as Fastify does.
 */
export class RequestLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, req: FastifyRequest, reply: FastifyReply): void {
    const line = { method: req.method, url: req.url, from: req.ip, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request answered');
  }
}
