/**
 * Store throughput on both backends: signal ingest with dedup, and fenced timeline writes
 * (what every step does). Prints a table; not a test. Run: npm run bench
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Scrubber } from '../src/core/scrubber.js';
import { openStore } from '../src/store/open.js';
import type { Store } from '../src/store/store.js';
import { writeResults } from './results.js';

const N = Number(process.env.BENCH_N ?? 2000);
const PG_URL = process.env.LEAKGUARD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function measure(name: string, n: number, fn: (i: number) => Promise<unknown>): Promise<{ name: string; perSecond: number; p50: number; p99: number }> {
  const times: number[] = [];
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    times.push(performance.now() - t0);
  }
  const total = performance.now() - start;
  times.sort((a, b) => a - b);
  return { name, perSecond: Math.round((n / total) * 1000), p50: times[Math.floor(n * 0.5)]!, p99: times[Math.floor(n * 0.99)]! };
}

async function run(label: string, store: Store) {
  const scrubber = new Scrubber();
  scrubber.register('bench-secret-value-1234');
  const rows = [];
  rows.push(
    await measure(`${label} recordSignal (new)`, N, (i) =>
      store.recordSignal({ source: 'bench', kind: 'bench.signal', credentialId: 'c', confidence: 'suspected', observedAt: i, evidence: { i }, dedupKey: `k${i}` }, i),
    ),
  );
  rows.push(
    await measure(`${label} recordSignal (duplicate)`, N, (i) =>
      store.recordSignal({ source: 'bench', kind: 'bench.signal', credentialId: 'c', confidence: 'suspected', observedAt: i, evidence: { i }, dedupKey: `k${i}` }, i),
    ),
  );
  const incidentId = randomUUID();
  const lease = await store.acquireLease(`incident:${incidentId}`, 'bench', 3_600_000, 0);
  const fence = { lease: `incident:${incidentId}`, holder: 'bench', token: lease!.fence };
  rows.push(await measure(`${label} appendTimeline (fenced)`, N, (i) => store.appendTimeline({ incidentId, at: i + 1, actor: 'system:bench', type: 'note', message: `entry ${i}`, data: { i } }, fence)));
  return rows;
}

const results = [];
const dir = mkdtempSync(join(tmpdir(), 'leakguard-bench-'));
const sqlite = await openStore({ url: join(dir, 'bench.db'), scrubber: new Scrubber() });
results.push(...(await run('sqlite', sqlite)));
await sqlite.close();
rmSync(dir, { recursive: true, force: true });

const schema = `bench_${randomBytes(4).toString('hex')}`;
try {
  const postgres = await openStore({ url: PG_URL, scrubber: new Scrubber(), schema });
  results.push(...(await run('postgres', postgres)));
  await postgres.close();
} catch (err) {
  console.error(`postgres skipped: ${(err as Error).message}`);
} finally {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect().then(() => c.query(`drop schema if exists ${schema} cascade`)).catch(() => undefined);
  await c.end().catch(() => undefined);
}

console.log(`store benchmark, ${N} operations each, one writer (node ${process.version})`);
console.table(results.map((r) => ({ operation: r.name, 'ops/s': r.perSecond, 'p50 ms': r.p50.toFixed(3), 'p99 ms': r.p99.toFixed(3) })));
writeResults('store', results);
