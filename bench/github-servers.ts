/**
 * The servers of bench/github-webhooks.ts, in a process of their own run from compiled JS as the
 * image runs LeakGuard (node dist/...): tsx's loader thread alone would add about 100 MB to the RSS
 * measured. LeakGuard on a SQLite store, built from the config the parent sends, listening but
 * not started (no runner: the alerts are fetched after the 202, which the bench does not measure);
 * beside it the limit, a bare node:http server that reads the body and verifies the signature.
 * The parent drives both and says which it is measuring; this process counts the CPU time each
 * used and the RSS during LeakGuard's runs. Then the parent kills it and reads the store itself.
 */
import { createServer } from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { verifyWithFallback } from '@octokit/webhooks-methods';
import pino from 'pino';
import type { Config } from '../src/config/schema.js';
import { Scrubber } from '../src/core/scrubber.js';
import { createLogger } from '../src/http/logger.js';
import type { ClientDeps } from '../src/integrations/clients.js';
import { createLeakGuard } from '../src/leakguard.js';

export interface ServersSetup {
  config: Config;
  /** ClientDeps as data: the kubeconfig as YAML (a KubeConfig does not cross process boundaries). */
  clientDeps: Omit<ClientDeps, 'clock' | 'scrubber' | 'logger' | 'kubeConfig' | 'exchanges'> & { kubeConfig: string };
  webhookSecret: string;
}

export type Measured = 'leakguard' | 'bare';
export type ToServers = { setup: ServersSetup } | { measuring: Measured | null } | { report: true };
export interface ServersReport {
  /** The largest RSS sampled (every 50 ms) while LeakGuard was measured. */
  peakRssBytes: number;
  /** The kernel's peak RSS of this process over its whole life (getrusage). */
  maxRssBytes: number;
  /** CPU time (user + system) this process used while each server was measured. */
  cpuMs: Record<Measured, number>;
}
export type FromServers = { ready: { leakguardUrl: string; bareUrl: string; idleRssBytes: number } } | ServersReport;

const send = (m: FromServers) => process.send!(m);

async function start({ config, clientDeps, webhookSecret }: ServersSetup) {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(clientDeps.kubeConfig);
  const scrubber = new Scrubber();
  const leakguard = await createLeakGuard(config, {
    scrubber,
    // As `serve` logs (info: Fastify's lines for each request), to /dev/null instead of stdout.
    logger: createLogger(scrubber, { level: 'info', destination: pino.destination('/dev/null') }),
    clientDeps: { ...clientDeps, kubeConfig },
  });
  // The credentials' keys read and registered with the scrubber, as after LeakGuard's first match: every answer and log line is scrubbed of them.
  await leakguard.matcher.refresh();
  const leakguardUrl = `${await leakguard.app.listen({ host: '127.0.0.1', port: 0 })}/webhooks/github`;

  const bare = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      void verifyWithFallback(webhookSecret, body, String(req.headers['x-hub-signature-256']), []).then((ok) => {
        const answer = ok ? '{"status":"queued"}' : '{"status":"refused"}';
        res.writeHead(ok ? 202 : 401, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
        res.end(answer);
      });
    });
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  send({ ready: { leakguardUrl, bareUrl: `http://127.0.0.1:${(bare.address() as { port: number }).port}/webhooks/github`, idleRssBytes: process.memoryUsage.rss() } });
}

const cpuMs: Record<Measured, number> = { leakguard: 0, bare: 0 };
let measuring: { server: Measured; cpu: NodeJS.CpuUsage } | undefined;
let peakRss = 0;
let sampler: NodeJS.Timeout | undefined;
const sample = () => (peakRss = Math.max(peakRss, process.memoryUsage.rss()));

process.on('message', (m: ToServers) => {
  if ('setup' in m) {
    start(m.setup).catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
  } else if ('measuring' in m) {
    if (measuring) {
      if (measuring.server === 'leakguard') sample();
      const used = process.cpuUsage(measuring.cpu);
      cpuMs[measuring.server] += (used.user + used.system) / 1000;
      measuring = undefined;
    }
    clearInterval(sampler);
    if (m.measuring === 'leakguard') {
      sample();
      sampler = setInterval(sample, 50);
    }
    if (m.measuring) measuring = { server: m.measuring, cpu: process.cpuUsage() };
  } else {
    send({ peakRssBytes: peakRss, maxRssBytes: process.resourceUsage().maxRSS * 1024, cpuMs });
  }
});
