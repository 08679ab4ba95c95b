import { alert } from '../lib/alert.js';
import { credentialOf } from '../lib/context.js';
import { defineResponder } from '../lib/define.js';
import { failedChecks, PreflightParams } from './checks.js';
import { preflightOutputs } from './outputs.js';

/**
 * The runbook's pre-rotation checklist for scheduled rotations: no new order for `quietSeconds`,
 * inside the maintenance window if one is set. While it fails the rotation is deferred (looked
 * at again every `deferMs`), up to `maxDeferMs`; then a human is paged and the step fails.
 */
export const preflight = defineResponder({
  name: 'preflight',
  outputs: preflightOutputs,
  params: PreflightParams,
  // One hour of deferral at most (maxDeferMs), plus the checks themselves.
  policy: { timeoutMs: 3_900_000, retries: 0, backoffMs: 1_000 },
  plan: (ctx) => `check that ${credentialOf(ctx).id} is quiet (and in its maintenance window) before rotating`,
  async run(ctx, params) {
    const started = ctx.clock.now();
    for (let looks = 1; ; looks++) {
      const failed = await failedChecks(ctx, params);
      if (!failed.length) return { status: 'succeeded', outputs: { looks, deferredMs: ctx.clock.now() - started }, message: 'pre-rotation checklist passed' };
      const waited = ctx.clock.now() - started;
      if (waited + params.deferMs > params.maxDeferMs) {
        await alert(ctx, 'page', `scheduled rotation of ${credentialOf(ctx).id} deferred for ${waited} ms and still blocked: ${failed.join('; ')}; rotate by hand or start it again`, { failed });
        return { status: 'failed', outputs: { looks, deferredMs: waited, failed }, message: `pre-rotation checklist still failing after ${waited} ms: ${failed.join('; ')}` };
      }
      await ctx.note('preflight.deferred', `rotation deferred: ${failed.join('; ')}; looking again in ${params.deferMs} ms`, { failed });
      await ctx.clock.sleep(params.deferMs, ctx.signal);
    }
  },
});
