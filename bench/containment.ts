/**
 * Containment: how long a leaked key still works after its incident opens. The break-glass
 * playbook's own steps up to the revoke (as playbooks.ts defines them) run against the
 * simulators at zero latency with a pod termination grace of 0, BENCH_RUNS times (default
 * 200), each on a fresh key; the figure is incident opened -> key deleted at the exchange.
 * Beside it: the simulators' own handling time on that path, measured in the same run. Runs
 * start a second apart, so Bybit's per-second limits (the simulator's too) start fresh each time.
 * Not a test. Run: npm run bench
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Scrubber } from '../src/core/scrubber.js';
import { createLogger } from '../src/http/logger.js';
import { createLeakGuard } from '../src/leakguard.js';
import { buildPlan } from '../src/runner/playbook.js';
import { playbookPlan } from '../responders/playbooks.js';
import { e2eClientDeps, e2eConfig } from '../test/helpers/e2e.js';
import { captureLog } from '../test/helpers/logs.js';
import { simHandlingMs } from '../test/sim/http.js';
import { secretJson, startWorld, WORLD } from '../test/sim/world.js';
import { percentile, writeResults } from './results.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 200);
const TARGET_P99_MS = 100;

const world = await startWorld({ replicas: 2, podStartMs: 0, tradeEveryMs: 1_000, terminationGraceSeconds: 0 });
const dir = mkdtempSync(join(tmpdir(), 'leakguard-bench-'));
const scrubber = new Scrubber();
const config = e2eConfig(world, 'direct', { store: { url: join(dir, 'lg.db') } });
const credential = config.credentials[0]!;
/** How each incident ended, from the runner's own events; a waiter per incident not yet ended. */
const ended = new Map<string, string>();
const waiters = new Map<string, (state: string) => void>();
const onClosed = (id: string, state: string) => (waiters.get(id)?.(state), ended.set(id, state));
const endOf = (id: string) => new Promise<string>((resolve) => (ended.has(id) ? resolve(ended.get(id)!) : waiters.set(id, resolve)));
const leakguard = await createLeakGuard(config, {
  scrubber,
  logger: createLogger(scrubber, { level: 'warn', destination: captureLog().stream }),
  clientDeps: e2eClientDeps({ ...world, k8sToken: world.kubernetes.token }),
  runner: { onEvent: (e) => void (e.type === 'incident.closed' && onClosed(e.incidentId, String(e.state))) },
});
leakguard.runner.start();

// The path under test: break-glass as configured, up to and including the revoke of the leaked key.
const breakGlass = playbookPlan('break-glass');
const untilRevoke = breakGlass.steps.slice(0, breakGlass.steps.findIndex((s) => s.step === 'revoke') + 1);
const plan = buildPlan('break-glass', untilRevoke);
const workload = credential.workload;

const latencies: number[] = [];
const simulators: number[] = [];
for (let run = 0; run < RUNS; run++) {
  // A fresh leaked key, live in Secrets Manager, and the bot running again.
  const key = world.bybit.addKey({ uid: world.accounts.subUid, note: `bench-${run}`, permissions: { ContractTrade: ['Order', 'Position'], Spot: ['SpotTrade'] }, ips: [WORLD.botIp, WORLD.leakguardIp] });
  await leakguard.clients.secrets.writeKey(credential.secretId, randomUUID(), JSON.parse(secretJson(key)), 'AWSCURRENT');
  await leakguard.clients.workload.restore(workload, new Date().toISOString(), { replicas: 2 });
  await leakguard.clients.workload.waitForRollout(workload, { pollMs: 5 });
  // Bybit limits cancel-all to 10 a second per UID: the last run's sweeps must not throttle this
  // run's pass, as nothing throttles a real incident's first pass but the bot's own trading.
  await new Promise((r) => setTimeout(r, 1_100));

  const simBefore = simHandlingMs();
  const openedAt = Date.now();
  const { incident } = await leakguard.incidents.open({ credential, plan, reason: `bench run ${run}`, actor: 'system:bench' });
  const state = await endOf(incident.id);
  if (state !== 'resolved') throw new Error(`run ${run}: incident ${incident.id} ended ${state}; see its timeline`);
  const deletedAt = world.bybit.keys().find((k) => k.apiKey === key.apiKey)?.deletedAt;
  if (!deletedAt) throw new Error(`run ${run}: the incident resolved but the key is not deleted at the exchange`);
  latencies.push(deletedAt - openedAt);
  simulators.push(simHandlingMs() - simBefore);
}

await leakguard.close(0);
await world.close();
rmSync(dir, { recursive: true, force: true });

const figures = {
  runs: RUNS,
  p50Ms: percentile(latencies, 0.5),
  p95Ms: percentile(latencies, 0.95),
  p99Ms: percentile(latencies, 0.99),
  simulatorsP50Ms: percentile(simulators, 0.5),
  simulatorsP99Ms: percentile(simulators, 0.99),
  targetP99Ms: TARGET_P99_MS,
};
console.log(`containment: incident opened -> leaked key deleted at the exchange, ${RUNS} runs (node ${process.version})`);
console.table([
  { figure: 'LeakGuard, opened -> revoked', 'p50 ms': figures.p50Ms, 'p95 ms': figures.p95Ms, 'p99 ms': figures.p99Ms, 'limit p99 ms': TARGET_P99_MS },
  { figure: "simulators' own handling on that path", 'p50 ms': figures.simulatorsP50Ms, 'p95 ms': percentile(simulators, 0.95), 'p99 ms': figures.simulatorsP99Ms, 'limit p99 ms': '' },
]);
console.log(figures.p99Ms < TARGET_P99_MS ? `p99 ${figures.p99Ms} ms is within the target of ${TARGET_P99_MS} ms` : `p99 ${figures.p99Ms} ms is OVER the target of ${TARGET_P99_MS} ms`);
writeResults('containment', figures);
