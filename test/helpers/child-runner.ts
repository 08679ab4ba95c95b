import { Runner, type RunnerOptions } from '../../src/runner/runner.js';

/**
 * What every runner in a child process (crash and replica tests) shares: with LG_KILL_AT it
 * SIGKILLs itself at that exact point, which no outside timing could hit reliably; it prints
 * every runner event as a JSON line; SIGTERM hands running steps back and exits.
 */
export function killPoint(name: string): void {
  if (name === process.env.LG_KILL_AT) process.kill(process.pid, 'SIGKILL');
}

export function startChildRunner(opts: Omit<RunnerOptions, 'holder' | 'onEvent'>, close: () => Promise<unknown>): Runner {
  const runner = new Runner({
    ...opts,
    holder: process.env.LG_HOLDER,
    onEvent: (e) => {
      // stdout on a pipe is synchronous on Linux: the line is out before a kill below.
      console.log(JSON.stringify(e));
      killPoint(`${e.type}:${e.step ?? e.state ?? ''}`);
    },
  });
  process.once('SIGTERM', () => {
    void runner
      .stop(1_000)
      .then(close)
      .then(() => process.exit(0));
  });
  runner.start();
  return runner;
}
