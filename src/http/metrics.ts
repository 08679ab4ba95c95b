import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { bearerToken, tokenMatches } from './bearer.js';
import { sendProblem } from './problem.js';

/**
 * Prometheus metrics; one registry per app so several apps (tests, replicas) never clash.
 * /metrics answers from a copy at most `server.metrics.cacheMs` old (rendering every series is
 * the costly part, and a scraper must not be a way to starve the service), and asks for a bearer
 * token when `server.metrics.tokenSha256` is set.
 */
export const metricsPlugin = fp(async (app) => {
  const { config, clock, startup, intake } = app.leakguard;
  const { cacheMs, tokenSha256 } = config.server.metrics;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'leakguard_' });
  const requests = new Counter({ name: 'leakguard_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'], registers: [registry] });
  const duration = new Histogram({ name: 'leakguard_http_request_seconds', help: 'HTTP request duration', labelNames: ['method', 'route'], registers: [registry] });
  new Gauge({
    name: 'leakguard_credential_check_failing',
    help: 'Problems the startup check found per credential (0: checked and fine); absent until the check ran',
    labelNames: ['credential'],
    registers: [registry],
    collect() {
      this.reset();
      for (const c of startup.credentials()) this.set({ credential: c.id }, c.problems.length);
    },
  });
  new Gauge({
    name: 'leakguard_detector_last_heard_seconds',
    help: 'When each enabled detector last heard from its source (Unix seconds; 0: not yet since the start)',
    labelNames: ['detector'],
    registers: [registry],
    collect() {
      this.reset();
      for (const d of intake.health()) this.set({ detector: d.name }, d.lastHeardAt === null ? 0 : d.lastHeardAt / 1000);
    },
  });
  new Gauge({
    name: 'leakguard_detector_silent',
    help: '1 when a detector heard nothing for longer than its silentAfterMinutes',
    labelNames: ['detector'],
    registers: [registry],
    collect() {
      this.reset();
      for (const d of intake.health()) this.set({ detector: d.name }, d.silent ? 1 : 0);
    },
  });
  app.decorate('metrics', registry);
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    requests.inc({ method: req.method, route, status: String(reply.statusCode) });
    duration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });

  let cached: { text: Promise<string>; at: number } | undefined;
  app.get('/metrics', async (req, reply) => {
    if (tokenSha256 && !bearerMatches(req.headers.authorization, tokenSha256)) {
      return sendProblem(reply.header('www-authenticate', 'Bearer'), req, { status: 401, title: 'Unauthorized', detail: 'send the metrics token as "Authorization: Bearer TOKEN" (server.metrics.tokenSha256 holds its SHA-256)' });
    }
    if (!cached || clock.now() - cached.at >= cacheMs) cached = { text: registry.metrics(), at: clock.now() };
    return reply.type(registry.contentType).send(await cached.text);
  });
});

function bearerMatches(header: string | undefined, sha256Hex: string): boolean {
  const token = bearerToken(header);
  return token !== undefined && tokenMatches(token, sha256Hex);
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Registry;
  }
}
