import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Fault, FaultInjector } from './faults.js';

/** The common shell of a simulator: an HTTP server on 127.0.0.1 with an ephemeral port. */
export interface SimServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<void> | void;

/**
 * Control API every simulator shares, under /_sim: POST /_sim/faults {op, fault} arms a
 * fault, DELETE /_sim/faults clears them, GET /_sim/state returns `state()`, POST
 * /_sim/seed passes its body to `seed()`. Tests in another process (a child runner, the
 * demo) use it; tests in this process may call the simulator directly.
 */
export interface Control {
  faults: FaultInjector;
  state(): unknown;
  seed?(body: unknown): unknown;
}

let handledMs = 0;

/**
 * Milliseconds every simulator in this process has spent answering requests, from the end of a
 * request body to the end of its answer: what the simulated services themselves cost a path
 * (a benchmark sets it beside LeakGuard's own figure).
 */
export function simHandlingMs(): number {
  return handledMs;
}

export async function listen(handler: Handler, control: Control): Promise<SimServer> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const started = performance.now();
      res.once('finish', () => (handledMs += performance.now() - started));
      const run = req.url?.startsWith('/_sim/') ? controlRoute(control, req, res, body) : handler(req, res, body);
      Promise.resolve(run).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: `simulator error: ${(err as Error).message}` }));
      });
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function controlRoute(control: Control, req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const path = req.url?.split('?')[0];
  const json = body.length ? (JSON.parse(body.toString('utf8')) as unknown) : undefined;
  if (path === '/_sim/faults' && req.method === 'POST') {
    const { op, fault } = json as { op: string; fault: Fault };
    control.faults.inject(op, fault);
    return sendJson(res, 200, { ok: true });
  }
  if (path === '/_sim/faults' && req.method === 'DELETE') {
    control.faults.clear();
    return sendJson(res, 200, { ok: true });
  }
  if (path === '/_sim/state' && req.method === 'GET') return sendJson(res, 200, control.state());
  if (path === '/_sim/seed' && req.method === 'POST' && control.seed) return sendJson(res, 200, control.seed(json) ?? { ok: true });
  sendJson(res, 404, { message: `no control route ${req.method} ${path}` });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
