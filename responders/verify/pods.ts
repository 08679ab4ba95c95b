import type { StepContext } from '../../src/runner/responder.js';
import { client, credentialOf } from '../lib/context.js';
import { lastOutputs } from '../lib/journal.js';
import { restoreOutputs } from '../restore/outputs.js';

/** Every running pod belongs to the rollout restore started, and as many are ready as restore asked for. */
export async function checkPods(ctx: StepContext): Promise<{ pods: number }> {
  const restored = lastOutputs(ctx, restoreOutputs);
  if (!restored) throw new Error('there is no rollout to check: the restore step has not succeeded in this incident');
  const w = credentialOf(ctx).workload;
  const pods = (await client(ctx, 'workload').listPods(w, ctx.signal)).filter((p) => !p.terminating);
  const stale = pods.filter((p) => p.restartedAt !== restored.restartedAt);
  const ready = pods.filter((p) => p.ready && p.restartedAt === restored.restartedAt);
  if (stale.length || ready.length < restored.replicas) {
    throw new Error(`${w.namespace}/${w.deployment}: ${ready.length} of ${restored.replicas} pod(s) of the new rollout are ready and ${stale.length} older pod(s) still run; check kubectl -n ${w.namespace} get pods -l ${w.selector}`);
  }
  await ctx.note('verify.pods', `${ready.length} pod(s) of the new rollout are ready; no older pod runs`, { pods: ready.length });
  return { pods: ready.length };
}
