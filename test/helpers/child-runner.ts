import type { LeakGuard } from '../../src/leakguard.js';
import type { RunnerEvent } from '../../src/runner/session.js';

/**
 * What every LeakGuard in a child process (crash and replica tests) shares: with LG_KILL_AT it
 * SIGKILLs itself at that exact point, which no outside timing could hit reliably; it prints
 * every runner event as a JSON line; SIGTERM hands running steps back and exits.
 */
export function killPoint(name: string): void {
  if (name === process.env.LG_KILL_AT) process.kill(process.pid, 'SIGKILL');
}

/** The runner settings of a child: its holder from LG_HOLDER, and every event printed (and a kill point). */
export function childRunnerSettings() {
  return {
    holder: process.env.LG_HOLDER,
    onEvent: (e: RunnerEvent) => {
      // stdout on a pipe is synchronous on Linux: the line is out before a kill below.
      console.log(JSON.stringify(e));
      killPoint(`${e.type}:${e.step ?? e.state ?? ''}`);
    },
  };
}

/** Starts the child's LeakGuard; SIGTERM closes it (running steps handed back) and exits. */
export function startChild(leakguard: LeakGuard): void {
  process.once('SIGTERM', () => void leakguard.close(1_000).then(() => process.exit(0)));
  void leakguard.start();
}
