import { Type } from '@sinclair/typebox';
import { credentialOf } from '../lib/context.js';
import { defineResponder, ms } from '../lib/define.js';
import { AUTH_ERROR, countLogLines } from '../lib/logs.js';
import { monitorOutputs } from './outputs.js';

const Params = Type.Object(
  {
    windowMs: ms(120_000, 1),
    /** More auth errors than this in the window fail the step (and the old key is not revoked). */
    maxAuthErrors: Type.Integer({ minimum: 0, default: 0 }),
  },
  { additionalProperties: false },
);

/** Watches the bot's logs for auth errors for a short window before the old key is revoked. */
export const monitor = defineResponder({
  name: 'monitor',
  outputs: monitorOutputs,
  params: Params,
  // The window plus the time to start following every pod's log.
  policy: { timeoutMs: 180_000, retries: 0, backoffMs: 1_000 },
  plan: (ctx, p) => `watch ${credentialOf(ctx).workload.deployment}'s logs for auth errors for ${p.windowMs} ms`,
  async run(ctx, params) {
    const { windowMs, maxAuthErrors: max } = params;
    await ctx.note('monitor.start', `watching the bot's logs for auth errors for ${windowMs} ms`);
    const { matches, pods } = await countLogLines(ctx, AUTH_ERROR, windowMs);
    const outputs = { authErrors: matches, pods, windowMs };
    if (matches > max) return { status: 'failed', outputs, message: `${matches} auth error(s) in the bot's logs within ${windowMs} ms (at most ${max} allowed); the new key is not working for the bot: check its IPs and permissions (runbook: New Key Rejected)` };
    return { status: 'succeeded', outputs, message: `${matches} auth error(s) from ${pods} pod(s) in ${windowMs} ms` };
  },
});
