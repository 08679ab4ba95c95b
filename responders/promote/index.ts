import { Type } from '@sinclair/typebox';
import { fingerprint, keyHint } from '../../src/core/fingerprint.js';
import { PLAYBOOKS } from '../../src/core/incident.js';
import type { StepContext } from '../../src/runner/responder.js';
import { callCtx, client, credentialOf, exchangeOf, targetOf } from '../lib/context.js';
import { defineResponder, StringEnum, type Outcome } from '../lib/define.js';
import { keepFrozen } from '../lib/frozen.js';
import { outputsOf } from '../lib/journal.js';
import { rotated } from '../lib/keys.js';
import { revokeOutputs } from '../revoke/outputs.js';
import { promoteOutputs, type PromoteOutputs } from './outputs.js';

const Params = Type.Object(
  {
    /**
     * new: the version rotate made becomes AWSCURRENT; previous: AWSCURRENT goes back to
     * AWSPREVIOUS (rollback); target: the incident's own key is made AWSCURRENT again (a scheduled
     * rotation that failed: its old key is not suspected).
     */
    to: StringEnum(['new', 'previous', 'target'], { default: 'new' }),
    /** Roll back even to a key that was revoked or that an incident suspected. */
    insist: Type.Boolean({ default: false }),
    /** The playbooks whose incidents suspect their target key (the playbooks decide; by default every one does). */
    suspecting: Type.Array(StringEnum(PLAYBOOKS), { uniqueItems: true, default: [...PLAYBOOKS] }),
  },
  { additionalProperties: false },
);

/** Moves AWSCURRENT (AWS moves AWSPREVIOUS along) and clears AWSPENDING. */
export const promote = defineResponder({
  name: 'promote',
  params: Params,
  outputs: promoteOutputs,
  policy: { timeoutMs: 30_000, retries: 3, backoffMs: 1_000 },
  plan: (ctx, p) =>
    p.to === 'previous'
      ? `move AWSCURRENT of ${credentialOf(ctx).secretId} back to AWSPREVIOUS`
      : p.to === 'target'
        ? `make the incident's own key ${targetOf(ctx).keyHint} AWSCURRENT of ${credentialOf(ctx).secretId} again`
        : `make the new version of ${credentialOf(ctx).secretId} AWSCURRENT and clear AWSPENDING`,
  async run(ctx, params) {
    await keepFrozen(ctx);
    if (params.to === 'previous') return rollback(ctx, params.insist, params.suspecting);
    const secretId = credentialOf(ctx).secretId;
    const r = params.to === 'target' ? { versionId: targetOf(ctx).versionId, hint: targetOf(ctx).keyHint } : newVersion(ctx);
    await ctx.checkpoint();
    const { previousVersionId } = await client(ctx, 'secrets').promote(secretId, r.versionId, ctx.signal);
    await ctx.note('promote.done', `${secretId}: AWSCURRENT is version ${r.versionId} (${r.hint}); AWSPREVIOUS is ${previousVersionId ?? 'none'}`, { versionId: r.versionId, previousVersionId });
    return { status: 'succeeded', outputs: { currentVersionId: r.versionId, previousVersionId: previousVersionId ?? null }, message: `${r.hint} is AWSCURRENT` };
  },
});

function newVersion(ctx: StepContext): { versionId: string; hint: string } {
  const r = rotated(ctx);
  if (!r) throw new Error('there is no new version to promote: the rotate step has not succeeded in this incident');
  return { versionId: r.newVersionId, hint: r.newKeyHint };
}

/**
 * Rollback refuses a previous key that was revoked (by any incident of the credential, or as
 * the exchange says) or that an incident suspected (its target), unless an operator insists.
 */
async function rollback(ctx: StepContext, insist: boolean, suspecting: readonly string[]): Promise<Outcome<PromoteOutputs>> {
  const credential = credentialOf(ctx);
  const secrets = client(ctx, 'secrets');
  const previous = await secrets.versionAt(credential.secretId, 'AWSPREVIOUS', ctx.signal);
  if (!previous) throw new Error(`${credential.secretId} has no AWSPREVIOUS version to roll back to; put the old key back by hand (runbook, Rollback option 2)`);
  const refusal = await whyNot(ctx, previous.versionId, suspecting);
  if (refusal && !insist) {
    await ctx.note('promote.refused', `rollback refused: ${refusal}`, { versionId: previous.versionId });
    return { status: 'failed', message: `rollback refused: ${refusal}. An operator may insist (start the rollback with promote params.insist = true) or rotate to a new key instead` };
  }
  if (refusal) await ctx.note('promote.insisted', `an operator insisted on the rollback although ${refusal}`, { versionId: previous.versionId });
  await ctx.checkpoint();
  const { currentVersionId, replacedVersionId } = await secrets.rollback(credential.secretId, ctx.signal);
  await ctx.note('promote.rolled_back', `${credential.secretId}: AWSCURRENT back to version ${currentVersionId}`, { currentVersionId, replacedVersionId });
  return { status: 'succeeded', outputs: { currentVersionId, previousVersionId: replacedVersionId, insisted: Boolean(refusal) }, message: `rolled back to ${currentVersionId}` };
}

async function whyNot(ctx: StepContext, versionId: string, suspecting: readonly string[]): Promise<string | undefined> {
  const v = await client(ctx, 'secrets').readVersion(credentialOf(ctx).secretId, versionId, ctx.signal);
  const fp = fingerprint(v.secret.api_key);
  const hint = keyHint(v.secret.api_key_id);
  const history = [{ incident: ctx.incident, runs: ctx.journal.runs }, ...(await ctx.history())];
  const revokedBy = history.find((h) => outputsOf(h.runs, revokeOutputs).some((o) => o.revokedFingerprint === fp));
  if (revokedBy) return `the previous key ${hint} was revoked by incident ${revokedBy.incident.id} (${revokedBy.incident.playbook})`;
  const suspectedBy = history.find((h) => h.incident.target?.fingerprint === fp && suspecting.includes(h.incident.playbook));
  if (suspectedBy) return `the previous key ${hint} is suspected: incident ${suspectedBy.incident.id} (${suspectedBy.incident.playbook}, ${suspectedBy.incident.state}) responded to it`;
  const exchange = exchangeOf(ctx);
  if (exchange.capabilities.queryKey !== 'api') return undefined;
  try {
    await exchange.describeKey({ apiKey: v.secret.api_key, apiSecret: v.secret.api_secret }, callCtx(ctx));
    return undefined;
  } catch (err) {
    return (err as { kind?: string }).kind === 'invalid_key' ? `the previous key ${hint} is revoked at ${exchange.name}` : undefined;
  }
}
