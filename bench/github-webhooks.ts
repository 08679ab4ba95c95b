/**
 * GitHub webhook intake: signed secret_scanning_alert deliveries per second through
 * POST /webhooks/github, each verified and queued durably (a github.alert work item committed to
 * SQLite) before its 202, beside the limit measured in the same run: a bare node:http server
 * that only reads the body and verifies X-Hub-Signature-256 with the same verifyWithFallback.
 * Both run in one process of their own, compiled (bench/github-servers.ts); this one holds the
 * simulators and the load generator (bench/load.ts), CONCURRENCY deliveries in flight on
 * kept-alive connections. Both get the same deliveries, built as the GitHub simulator builds
 * them (one alert each, distinct GUIDs), in ROUNDS alternating rounds after a warm-up; the share
 * of the limit is the median of the rounds' shares, and the CPU time each server spent per
 * delivery is beside it (a machine busy with other work moves it least). LeakGuard is not started: the alerts are
 * fetched and matched after the 202, which is not what this measures. Afterwards the servers
 * are killed (SIGKILL) and the store is read: every delivery answered must be in it. Not a test;
 * exit 1 if an answer was not 202 or a delivery is not stored. Run: npm run bench
 */
import { execFileSync, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Scrubber } from '../src/core/scrubber.js';
import { openStore } from '../src/store/open.js';
import { e2eClientDeps, e2eConfig } from '../test/helpers/e2e.js';
import { TOKEN_SECRET_ID, WEBHOOK_SECRET_ID } from '../test/helpers/github.js';
import { deliveryRequest } from '../test/sim/github/index.js';
import { alertPayload } from '../test/sim/github/payloads.js';
import { startWorld, WORLD } from '../test/sim/world.js';
import type { FromServers, ServersReport, ToServers } from './github-servers.js';
import { drive, type LoadRequest, type LoadResult } from './load.js';
import { percentile, writeResults } from './results.js';

const N = Number(process.env.BENCH_N ?? 12_000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const TARGET_RATIO = 0.5;
const TARGET_RSS_MB = 200;
const ALERT_WORK = 'github.alert';
const MB = 2 ** 20;

const root = new URL('..', import.meta.url).pathname;
// The servers run from dist/, built now from this tree (tsconfig.bench.json: the build plus the servers' file).
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.bench.json')], { stdio: 'inherit' });

// replicas 0: no bot pods trading against the simulators while the servers are measured.
const world = await startWorld({ replicas: 0 });
const dir = mkdtempSync(join(tmpdir(), 'leakguard-bench-'));
const storeUrl = join(dir, 'lg.db');
const webhookSecret = `whsec_${randomBytes(16).toString('hex')}`;
world.secretsManager.seedSecret({ name: WEBHOOK_SECRET_ID, secretString: webhookSecret });
world.secretsManager.seedSecret({ name: TOKEN_SECRET_ID, secretString: world.githubToken });
const config = e2eConfig(world, 'direct', {
  store: { url: storeUrl },
  detectors: {
    github: {
      enabled: true,
      // Every delivery here comes from 127.0.0.1: the default 6,000 a minute per address would answer
      // 429 from the 6,001st on (GitHub sends from its hook addresses). The limiter still runs on each.
      deliveriesPerMinute: 100_000_000,
      webhookSecret: { secretsManager: WEBHOOK_SECRET_ID },
      api: { baseUrl: world.urls.github, token: { secretsManager: TOKEN_SECRET_ID } },
      organizations: [{ login: WORLD.githubOrg }],
    },
  },
});

const servers = fork(join(root, 'dist/bench/github-servers.js'), { execArgv: [], serialization: 'advanced', env: { ...process.env, NODE_ENV: 'production' } });
const exited = new Promise((resolve) => servers.once('exit', resolve));
const fromServers = () => new Promise<FromServers>((resolve) => servers.once('message', (m) => resolve(m as FromServers)));
const tell = (m: ToServers) => servers.send(m);
const ready = fromServers();
const { kubeConfig, ...clientDeps } = e2eClientDeps({ ...world, k8sToken: world.kubernetes.token });
tell({ setup: { config, clientDeps: { ...clientDeps, kubeConfig: kubeConfig!.exportConfig() }, webhookSecret } });
const answer = await Promise.race([ready, exited.then((code) => Promise.reject(new Error(`the servers process exited (${String(code)}) before it was ready; see its error above`)))]);
if (!('ready' in answer)) throw new Error('the servers process answered something else than ready');
const leakguardUrl = new URL(answer.ready.leakguardUrl);
const bareUrl = new URL(answer.ready.bareUrl);

// One alert per delivery, each a `created` event as GitHub sends it when the alert opens.
const { github } = world;
const repo = github.repo(`${WORLD.githubOrg}/${WORLD.githubRepo}`)!;
const total = WARMUP + N;
const payloads = [];
for (let i = 0; i < total; i++) {
  const { alert } = await github.createAlert(repo, { secret: `bench-${i}-${randomBytes(12).toString('hex')}`, commit: { path: 'deploy/.env' } });
  payloads.push(alertPayload('created', alert, { urls: github.urls, repo, sender: github.actor }));
}
// Added after the alerts, so their creation delivered nothing: the load generator sends them instead.
const hook = github.addHook({ org: WORLD.githubOrg, url: leakguardUrl.href, secret: webhookSecret });
const deliveries = payloads.map((payload) =>
  deliveryRequest({ url: leakguardUrl.href, secret: webhookSecret, contentType: 'json', event: 'secret_scanning_alert', payload, hookId: hook.id, targetId: hook.org.id, targetType: 'organization' }),
);
const requests: LoadRequest[] = deliveries.map(({ headers, body }) => ({ headers, body }));

const problems: string[] = [];
const run = async (label: string, url: URL, from: number, to: number): Promise<LoadResult> => {
  const r = await drive(url, requests.slice(from, to), CONCURRENCY);
  if (r.statuses[202] !== to - from) problems.push(`${label}: ${to - from} deliveries, answers by status ${JSON.stringify(r.statuses)}; every one must be 202`);
  return r;
};
const together = (rs: LoadResult[]) => ({ perSecond: Math.round((rs.reduce((n, r) => n + r.latencies.length, 0) / rs.reduce((ms, r) => ms + r.elapsedMs, 0)) * 1000), latencies: rs.flatMap((r) => r.latencies) });

// Warm-up: JIT, connections, the webhook secret read from Secrets Manager once.
await run('bare, warm-up', bareUrl, 0, WARMUP);
await run('LeakGuard, warm-up', leakguardUrl, 0, WARMUP);
// Rounds of the same slice to each server, back to back: other work on the machine slows both alike.
const rounds: { bare: LoadResult; leakguard: LoadResult }[] = [];
const perRound = Math.ceil(N / ROUNDS);
for (let from = WARMUP; from < total; from += perRound) {
  const to = Math.min(total, from + perRound);
  tell({ measuring: 'bare' });
  const bare = await run('bare', bareUrl, from, to);
  tell({ measuring: 'leakguard' });
  const leakguard = await run('LeakGuard', leakguardUrl, from, to);
  tell({ measuring: null });
  rounds.push({ bare, leakguard });
}
const reported = fromServers();
tell({ report: true });
const report = (await reported) as ServersReport;

// A crash now must lose nothing answered: every 202 is a work item committed to the store, once.
servers.kill('SIGKILL');
await exited;
const store = await openStore({ url: storeUrl, scrubber: new Scrubber() });
const stored = new Set((await store.listWork({ kind: ALERT_WORK, limit: total + 1 })).map((w) => w.id));
await store.close();
const missing = deliveries.filter((d) => !stored.has(`${ALERT_WORK}:${hook.id}:${d.guid}`)).length;
if (stored.size !== total || missing) problems.push(`the store holds ${stored.size} ${ALERT_WORK} work items for ${total} deliveries answered (${missing} of them missing)`);
await world.close();
rmSync(dir, { recursive: true, force: true });

const lg = together(rounds.map((r) => r.leakguard));
const bare = together(rounds.map((r) => r.bare));
const hundredths = (x: number) => Math.round(x * 100) / 100;
const roundRatios = rounds.map((r) => hundredths(r.bare.elapsedMs / r.leakguard.elapsedMs));
const figures = {
  deliveries: N,
  warmup: WARMUP,
  rounds: rounds.length,
  concurrency: CONCURRENCY,
  bodyBytesP50: percentile(requests.map((r) => Buffer.byteLength(r.body)), 0.5),
  leakguardPerSecond: lg.perSecond,
  leakguardP50Ms: percentile(lg.latencies, 0.5),
  leakguardP99Ms: percentile(lg.latencies, 0.99),
  leakguardCpuUs: Math.round((report.cpuMs.leakguard / N) * 1000),
  barePerSecond: bare.perSecond,
  bareP50Ms: percentile(bare.latencies, 0.5),
  bareP99Ms: percentile(bare.latencies, 0.99),
  bareCpuUs: Math.round((report.cpuMs.bare / N) * 1000),
  // The median of the rounds' own ratios: a burst of other work spoils one round, not the figure.
  ratio: [...roundRatios].sort((a, b) => a - b)[Math.ceil(roundRatios.length / 2) - 1]!,
  roundRatios,
  targetRatio: TARGET_RATIO,
  // The same share in CPU time per delivery, whatever else the machine runs.
  cpuRatio: hundredths(report.cpuMs.bare / report.cpuMs.leakguard),
  idleRssMb: Math.round(answer.ready.idleRssBytes / MB),
  peakRssMb: Math.round(report.peakRssBytes / MB),
  maxRssMb: Math.round(report.maxRssBytes / MB),
  targetRssMb: TARGET_RSS_MB,
};
console.log(
  `GitHub webhooks: ${N} signed deliveries (${figures.bodyBytesP50} B bodies) in ${ROUNDS} rounds after ${WARMUP} to warm up, ${CONCURRENCY} in flight on kept-alive connections, SQLite store (node ${process.version})`,
);
console.table([
  { server: 'LeakGuard /webhooks/github, verified and queued durably', 'deliveries/s': figures.leakguardPerSecond, 'p50 ms': figures.leakguardP50Ms, 'p99 ms': figures.leakguardP99Ms, 'CPU µs each': figures.leakguardCpuUs, 'share of limit': figures.ratio, target: `>= ${TARGET_RATIO}` },
  { server: 'bare node:http, verified only (the limit)', 'deliveries/s': figures.barePerSecond, 'p50 ms': figures.bareP50Ms, 'p99 ms': figures.bareP99Ms, 'CPU µs each': figures.bareCpuUs, 'share of limit': 1, target: '' },
]);
console.table([
  { figure: "servers' process RSS, peak during the LeakGuard rounds, MB", value: figures.peakRssMb, target: `< ${TARGET_RSS_MB}` },
  { figure: "servers' process RSS, listening before any delivery, MB", value: figures.idleRssMb, target: '' },
  { figure: 'share of the limit in CPU time per delivery', value: figures.cpuRatio, target: '' },
]);
console.log(`share of the limit in each round: ${figures.roundRatios.join(', ')}`);
console.log(
  `share of the limit ${figures.ratio}: ${figures.ratio >= TARGET_RATIO ? 'within' : 'BELOW'} the target ${TARGET_RATIO}; peak RSS ${figures.peakRssMb} MB: ${figures.peakRssMb < TARGET_RSS_MB ? 'within' : 'OVER'} the target ${TARGET_RSS_MB} MB`,
);
if (problems.length) {
  for (const p of problems) console.error(`FAILED: ${p}`);
  process.exit(1);
}
writeResults('github-webhooks', figures);
