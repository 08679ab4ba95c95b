import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const FILE = new URL('./results.json', import.meta.url);

/** The value below which a share `q` of the samples fall (nearest rank), rounded to 0.1 ms. */
export function percentile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const v = sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
  return Math.round(v * 10) / 10;
}

/** Records one benchmark's figures in bench/results.json beside the others', with when and where they were taken. */
export function writeResults(name: string, figures: unknown): void {
  const all = existsSync(FILE) ? (JSON.parse(readFileSync(FILE, 'utf8')) as Record<string, unknown>) : {};
  all[name] = { at: new Date().toISOString(), node: process.version, figures };
  writeFileSync(FILE, `${JSON.stringify(all, null, 2)}\n`);
}
