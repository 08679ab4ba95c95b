import { Type } from '@sinclair/typebox';
import type { StepContext } from '../../src/runner/responder.js';
import { client, credentialOf } from '../lib/context.js';
import { defineResponder, ms } from '../lib/define.js';
import { AUTH_ERROR, countLogLines } from '../lib/logs.js';
import { assessOutputs } from './outputs.js';

const Params = Type.Object(
  {
    lookbackHours: Type.Number({ exclusiveMinimum: 0, default: 24 }),
    /** The whole look-up ends by then, whatever it found: assessment never holds the rotation up. */
    timeBoxMs: ms(20_000, 1),
    logSampleMs: ms(1_000, 1),
  },
  { additionalProperties: false },
);

const MAX_READERS = 20;

/** Evidence for the post-mortem: who read the secret (CloudTrail) and the bot's auth-error count. */
export const assess = defineResponder({
  name: 'assess',
  outputs: assessOutputs,
  params: Params,
  policy: { timeoutMs: 30_000, retries: 0, backoffMs: 1_000 },
  plan: (ctx, p) => `look up who read ${credentialOf(ctx).secretId} in the last ${p.lookbackHours} h and count the bot's auth errors`,
  async run(ctx, params) {
    const box = AbortSignal.any([ctx.signal, timeBox(ctx, params.timeBoxMs)]);
    const boxed: StepContext = { ...ctx, signal: box };
    const [readers, auth] = await Promise.allSettled([secretReaders(boxed, params.lookbackHours), countLogLines(boxed, AUTH_ERROR, Math.min(params.logSampleMs, params.timeBoxMs))]);
    const errors = [readers, auth].filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => (r.reason as Error).message);
    const outputs = {
      secretReaders: readers.status === 'fulfilled' ? readers.value.slice(0, MAX_READERS) : null,
      secretReadersTotal: readers.status === 'fulfilled' ? readers.value.length : null,
      authErrors: auth.status === 'fulfilled' ? auth.value.matches : null,
      errors,
    };
    await ctx.note('assess.evidence', `evidence: ${outputs.secretReadersTotal ?? '?'} CloudTrail event(s) on the secret, ${outputs.authErrors ?? '?'} auth error(s) in the bot's logs${errors.length ? `; incomplete: ${errors.join('; ')}` : ''}`, outputs);
    return { status: 'succeeded', outputs, message: errors.length ? 'partial evidence (time-boxed)' : 'evidence attached' };
  },
});

function timeBox(ctx: StepContext, ms: number): AbortSignal {
  const c = new AbortController();
  ctx.clock.sleep(ms, ctx.signal).then(
    () => c.abort(new Error(`assessment time box of ${ms} ms reached`)),
    () => {},
  );
  return c.signal;
}

async function secretReaders(ctx: StepContext, hours: number) {
  const end = ctx.clock.now();
  return client(ctx, 'cloudtrail').secretAccess(credentialOf(ctx).secretId, { start: end - hours * 3_600_000, end }, ctx.signal);
}
