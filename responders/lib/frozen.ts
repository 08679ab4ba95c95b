import type { StepContext } from '../../src/runner/responder.js';
import { alert } from './alert.js';
import { client, credentialOf } from './context.js';
import { lastOutputs } from './journal.js';
import { freezeOutputs } from '../freeze/outputs.js';
import { restoreOutputs } from '../restore/outputs.js';

/**
 * While the incident holds the bot frozen, someone else (a GitOps controller, an autoscaler,
 * a person) may scale it back up. Steps call this before they act: it freezes the bot again
 * and says so on the timeline and in an alert. A no-op before freeze or after restore.
 */
export async function keepFrozen(ctx: StepContext): Promise<void> {
  if (!lastOutputs(ctx, freezeOutputs) || lastOutputs(ctx, restoreOutputs)) return;
  const workload = client(ctx, 'workload');
  const w = credentialOf(ctx).workload;
  const { scaledUp, replicas } = await workload.scaledUpWhileFrozen(w, ctx.incident.id, ctx.signal);
  if (!scaledUp) return;
  await ctx.checkpoint();
  await workload.freeze(w, ctx.incident.id, ctx.signal);
  await alert(ctx, 'warning', `${w.namespace}/${w.deployment} was scaled up to ${replicas} by someone else while frozen; LeakGuard froze it again`, { replicas });
}
