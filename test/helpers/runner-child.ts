import { spawn, type ChildProcess } from 'node:child_process';
import type { RunnerEvent } from '../../src/runner/session.js';

const root = new URL('../../', import.meta.url).pathname;
const script = new URL('../runner/fixtures/child-runner.ts', import.meta.url).pathname;

export interface ChildRunner {
  child: ChildProcess;
  holder: string;
  events: RunnerEvent[];
  /** Resolves with the first event that matches, or rejects after `timeoutMs`. */
  waitFor(match: (e: RunnerEvent) => boolean, timeoutMs?: number): Promise<RunnerEvent>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/** Starts test/runner/fixtures/child-runner.ts (or another runner `script`) as a real process on the given store. */
export function spawnRunner(opts: { url: string; schema?: string; dir: string; holder: string; killAt?: string; leaseTtlMs?: number; script?: string; env?: Record<string, string> }): ChildRunner {
  const child = spawn(process.execPath, ['--import', 'tsx', opts.script ?? script], {
    cwd: root,
    env: {
      ...process.env,
      LG_STORE_URL: opts.url,
      LG_STORE_SCHEMA: opts.schema ?? '',
      LG_DIR: opts.dir,
      LG_HOLDER: opts.holder,
      LG_KILL_AT: opts.killAt ?? '',
      LG_LEASE_TTL_MS: String(opts.leaseTtlMs ?? 1500),
      LG_POLL_MS: '100',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: RunnerEvent[] = [];
  const waiters: { match: (e: RunnerEvent) => boolean; resolve: (e: RunnerEvent) => void }[] = [];
  let out = '';
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      const e = JSON.parse(line) as RunnerEvent;
      events.push(e);
      for (const w of [...waiters]) if (w.match(e)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(e));
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    holder: opts.holder,
    events,
    output: () => out,
    exited,
    waitFor(match, timeoutMs = 120_000) {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${opts.holder}: no matching event within ${timeoutMs} ms; output:\n${out}`)), timeoutMs);
        timer.unref(); // a wait nobody needs any more must not keep the test process alive
        waiters.push({ match, resolve: (e) => (clearTimeout(timer), resolve(e)) });
      });
    },
  };
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`: a guard against a hang, not a timed assertion, so generous (a loaded CI machine starts processes slowly). */
export async function eventually<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
