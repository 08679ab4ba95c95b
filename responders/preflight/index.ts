import { alert } from '../lib/alert.js';
import { credentialOf } from '../lib/context.js';
import { defineResponder, schema } from '../lib/define.js';
import { failedChecks, type PreflightParams } from './checks.js';

/**
 * The runbook's pre-rotation checklist for scheduled rotations: no new order for `quietSeconds`,
 * inside the maintenance window if one is set. While it fails the rotation is deferred (looked
 * at again every `deferMs`), up to `maxDeferMs`; then a human is paged and the step fails.
 */
export const preflight = defineResponder<PreflightParams>({
  name: 'preflight',
  params: schema.object({
    quietSeconds: { type: 'integer', minimum: 0, default: 30 },
    maintenanceWindow: schema.object({ start: { type: 'string', pattern: '^\\d{2}:\\d{2}$' }, end: { type: 'string', pattern: '^\\d{2}:\\d{2}$' } }, ['start', 'end']),
    deferMs: schema.ms(60_000, 1),
    maxDeferMs: schema.ms(3_600_000),
  }),
  plan: (ctx) => `check that ${credentialOf(ctx).id} is quiet (and in its maintenance window) before rotating`,
  async run(ctx, params) {
    const started = ctx.clock.now();
    for (let looks = 1; ; looks++) {
      const failed = await failedChecks(ctx, params);
      if (!failed.length) return { status: 'succeeded', outputs: { looks, deferredMs: ctx.clock.now() - started }, message: 'pre-rotation checklist passed' };
      const waited = ctx.clock.now() - started;
      if (waited + (params.deferMs ?? 60_000) > (params.maxDeferMs ?? 3_600_000)) {
        await alert(ctx, 'page', `scheduled rotation of ${credentialOf(ctx).id} deferred for ${waited} ms and still blocked: ${failed.join('; ')}; rotate by hand or start it again`, { failed });
        return { status: 'failed', outputs: { looks, deferredMs: waited, failed }, message: `pre-rotation checklist still failing after ${waited} ms: ${failed.join('; ')}` };
      }
      await ctx.note('preflight.deferred', `rotation deferred: ${failed.join('; ')}; looking again in ${params.deferMs ?? 60_000} ms`, { failed });
      await ctx.clock.sleep(params.deferMs ?? 60_000, ctx.signal);
    }
  },
});
