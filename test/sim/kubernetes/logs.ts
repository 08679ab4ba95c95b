import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../../src/core/clock.js';
import type { LogLine, Pods } from './pods.js';
import { PODS } from './resources.js';
import { errors } from './status.js';
import { rfc3339Nano } from './time.js';

/**
 * GET /api/v1/namespaces/{ns}/pods/{name}/log: the container's lines as text/plain, filtered by
 * sinceSeconds/sinceTime and tailLines; with follow=true the response stays open (chunked) and carries
 * each appended line until the container stops.
 */
export function serveLog(pods: Pods, clock: Clock, namespace: string, name: string, query: URLSearchParams, req: IncomingMessage, res: ServerResponse): void {
  const log = pods.logs(namespace, name);
  if (!log) throw errors.notFound(PODS, name);
  const container = query.get('container') || log.container;
  if (container !== log.container) throw errors.badRequest(`container ${container} is not valid for pod ${name}`);
  if (!log.running && log.lines.length === 0)
    throw errors.badRequest(`container "${container}" in pod "${name}" is waiting to start: ContainerCreating`);

  const timestamps = query.get('timestamps') === 'true';
  const render = (l: LogLine) => `${timestamps ? `${rfc3339Nano(l.at)} ` : ''}${l.line}\n`;
  let lines = log.lines;
  const since = Number(query.get('sinceSeconds') ?? 0);
  if (since > 0) lines = lines.filter((l) => l.at >= clock.now() - since * 1000);
  const sinceTime = query.get('sinceTime');
  if (sinceTime) {
    // metav1.Time travels to the kubelet as RFC 3339 with whole seconds: a fraction is dropped, so lines from the start of that second come again.
    const at = Date.parse(sinceTime);
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(sinceTime) || Number.isNaN(at)) throw errors.badRequest(`parsing time "${sinceTime}" as "2006-01-02T15:04:05Z07:00": cannot parse`);
    lines = lines.filter((l) => l.at >= Math.floor(at / 1000) * 1000);
  }
  const tail = query.get('tailLines');
  if (tail !== null && tail !== '') lines = Number(tail) > 0 ? lines.slice(-Number(tail)) : [];

  res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
  res.flushHeaders();
  for (const l of lines) res.write(render(l));
  if (query.get('follow') !== 'true') {
    res.end();
    return;
  }
  const stop = pods.follow(namespace, name, { line: (l) => res.write(render(l)), end: () => res.end() });
  req.socket.on('close', stop);
  res.on('close', stop);
}
