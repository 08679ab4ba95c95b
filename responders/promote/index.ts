import type { StepContext, StepOutcome } from '../../src/runner/responder.js';
import { callCtx, client, credentialOf, exchangeOf } from '../lib/context.js';
import { defineResponder, schema } from '../lib/define.js';
import { keepFrozen } from '../lib/frozen.js';
import { rotated } from '../lib/keys.js';

interface Params {
  /** new: the version rotate made becomes AWSCURRENT; previous: AWSCURRENT goes back to AWSPREVIOUS (rollback). */
  to: 'new' | 'previous';
  /** Roll back even to a key that no longer works or that an incident targeted. */
  insist: boolean;
}

/** Moves AWSCURRENT (AWS moves AWSPREVIOUS along) and clears AWSPENDING. */
export const promote = defineResponder<Params>({
  name: 'promote',
  params: schema.object({ to: { type: 'string', enum: ['new', 'previous'], default: 'new' }, insist: { type: 'boolean', default: false } }),
  plan: (ctx, p) => (p.to === 'previous' ? `move AWSCURRENT of ${credentialOf(ctx).secretId} back to AWSPREVIOUS` : `make the new version of ${credentialOf(ctx).secretId} AWSCURRENT and clear AWSPENDING`),
  async run(ctx, params) {
    await keepFrozen(ctx);
    if (params.to === 'previous') return rollback(ctx, params.insist ?? false);
    const r = rotated(ctx);
    if (!r) throw new Error('there is no new version to promote: the rotate step has not succeeded in this incident');
    const secretId = credentialOf(ctx).secretId;
    await ctx.checkpoint();
    const { previousVersionId } = await client(ctx, 'secrets').promote(secretId, r.newVersionId, ctx.signal);
    await ctx.note('promote.done', `${secretId}: AWSCURRENT is version ${r.newVersionId} (${r.newKeyHint}); AWSPREVIOUS is ${previousVersionId ?? 'none'}`, { versionId: r.newVersionId, previousVersionId });
    return { status: 'succeeded', outputs: { currentVersionId: r.newVersionId, previousVersionId: previousVersionId ?? null }, message: `${r.newKeyHint} is AWSCURRENT` };
  },
});

/**
 * Rollback refuses a previous key that is revoked (the exchange no longer knows it) or that this
 * incident targeted (suspected), unless an operator insists.
 */
async function rollback(ctx: StepContext, insist: boolean): Promise<StepOutcome> {
  const credential = credentialOf(ctx);
  const secrets = client(ctx, 'secrets');
  const previous = await secrets.versionAt(credential.secretId, 'AWSPREVIOUS', ctx.signal);
  if (!previous) throw new Error(`${credential.secretId} has no AWSPREVIOUS version to roll back to; put the old key back by hand (runbook, Rollback option 2)`);
  const refusal = insist ? undefined : await whyNot(ctx, previous.versionId);
  if (refusal) return { status: 'failed', message: `rollback refused: ${refusal}. An operator may insist (promote params.insist = true) or rotate to a new key instead` };
  await ctx.checkpoint();
  const { currentVersionId, replacedVersionId } = await secrets.rollback(credential.secretId, ctx.signal);
  await ctx.note('promote.rolled_back', `${credential.secretId}: AWSCURRENT back to version ${currentVersionId}`, { currentVersionId, replacedVersionId });
  return { status: 'succeeded', outputs: { currentVersionId, previousVersionId: replacedVersionId }, message: `rolled back to ${currentVersionId}` };
}

async function whyNot(ctx: StepContext, versionId: string): Promise<string | undefined> {
  if (ctx.journal.runs.some((r) => r.outputs.versionId === versionId && r.outputs.revokedFingerprint)) return 'this incident revoked that key';
  const exchange = exchangeOf(ctx);
  if (exchange.capabilities.queryKey !== 'api') return undefined;
  const v = await client(ctx, 'secrets').readKey(credentialOf(ctx).secretId, { versionId }, ctx.signal);
  try {
    await exchange.describeKey({ apiKey: v.secret.api_key, apiSecret: v.secret.api_secret }, callCtx(ctx));
    return undefined;
  } catch (err) {
    return (err as { kind?: string }).kind === 'invalid_key' ? 'the previous key is revoked at the exchange' : undefined;
  }
}
