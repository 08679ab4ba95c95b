import type { StepContext } from '../../src/runner/responder.js';
import { client, credentialOf } from './context.js';

/** Auth failures as bots log them (the runbook greps for these). */
export const AUTH_ERROR = /\b(401|403)\b|auth(entication|orization)? (error|fail)|invalid api key/i;

/**
 * Follows the logs of every running pod of the credential's workload for `ms` and counts the
 * lines matching `pattern`; lines already in the log count too.
 */
export async function countLogLines(ctx: StepContext, pattern: RegExp, ms: number): Promise<{ matches: number; pods: number }> {
  const w = credentialOf(ctx).workload;
  const workload = client(ctx, 'workload');
  const pods = (await workload.listPods(w, ctx.signal)).filter((p) => !p.terminating);
  const window = new AbortController();
  const stop = AbortSignal.any([window.signal, ctx.signal]);
  let matches = 0;
  const follows = pods.map((p) => workload.followLogs(w, p.name, (line) => void (pattern.test(line) && matches++), stop).catch(() => {}));
  await ctx.clock.sleep(ms, ctx.signal).finally(() => window.abort());
  await Promise.all(follows);
  return { matches, pods: pods.length };
}
