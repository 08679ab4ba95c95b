import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { Config } from '../config/schema.js';
import { clientError } from './problem.js';

type Server = Config['server'];

/**
 * Fastify options that bound how long a client may hold a connection: the whole request within
 * requestTimeoutMs (a body dripped one byte at a time is cut off with 408), idle and kept-alive
 * connections closed after their timeouts.
 */
export function connectionLimits(server: Server): Pick<FastifyServerOptions, 'requestTimeout' | 'connectionTimeout' | 'keepAliveTimeout' | 'clientErrorHandler'> & { http: object } {
  return {
    requestTimeout: server.requestTimeoutMs,
    connectionTimeout: server.idleTimeoutMs,
    keepAliveTimeout: server.keepAliveTimeoutMs,
    // Node looks for overdue requests every connectionsCheckingInterval (30 s by default): a slow drip would outlive a short timeout by that much.
    http: { requestTimeout: server.requestTimeoutMs, headersTimeout: server.requestTimeoutMs, connectionsCheckingInterval: Math.min(1_000, server.requestTimeoutMs) },
    clientErrorHandler: clientError,
  };
}

/**
 * Caps open connections (more are refused at once: thousands of idle sockets would otherwise
 * use up the file descriptors) and limits requests per client IP on every route, the
 * not-found answer included.
 */
export async function registerLimits(app: FastifyInstance, server: Server): Promise<void> {
  app.server.maxConnections = server.maxConnections;
  await app.register(rateLimit, { global: true, max: server.rateLimit.max, timeWindow: server.rateLimit.windowMs });
}
