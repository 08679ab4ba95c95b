import { Type } from '@sinclair/typebox';
import type { StepContext } from '../../src/runner/responder.js';
import { client, credentialOf, targetOf } from '../lib/context.js';
import { defineResponder, ms } from '../lib/define.js';
import { outputsOf } from '../lib/journal.js';
import { keyParam, loadKey } from '../lib/keys.js';
import { cancelOutputs } from '../cancel/outputs.js';
import { promoteOutputs } from '../promote/outputs.js';
import { rotateOutputs } from '../rotate/outputs.js';
import { restoreOutputs } from './outputs.js';

const Params = Type.Object(
  {
    /** The key the pods must end up with. */
    key: keyParam('new'),
    pollMs: ms(250, 10),
    /** Replicas to set; the count the freeze recorded (or the current count) when absent. */
    replicas: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Skip when AWSCURRENT never held another key than the target in this incident: no pod can have one (failure paths). */
    ifSecretMoved: Type.Boolean({ default: false }),
    /** Wait for approval when a cancel after the revoke found orders nobody's bot placed; the playbook decides, and when it says nothing, the bot waits. */
    approveForeignOrders: Type.Boolean({ default: true }),
  },
  { additionalProperties: false },
);

/**
 * Brings the bot back on the new key: for external-secrets delivery, forces the sync and waits
 * until the Kubernetes Secret holds the new key's fingerprint; then sets replicas and the
 * restart annotation in one patch and waits for the rollout with kubectl's rules. Without a
 * freeze the patch is a rolling restart: the bot is never at 0. Asks for approval first when
 * orders nobody's bot placed were found after the revoke (approveForeignOrders).
 */
export const restore = defineResponder({
  name: 'restore',
  params: Params,
  outputs: restoreOutputs,
  policy: { timeoutMs: 300_000, retries: 1, backoffMs: 2_000 },
  plan: (ctx) => `restart ${credentialOf(ctx).workload.namespace}/${credentialOf(ctx).workload.deployment} on the new key and wait for the rollout`,
  async run(ctx, params) {
    const credential = credentialOf(ctx);
    const w = credential.workload;
    if (params.ifSecretMoved && !secretMoved(ctx)) return { status: 'skipped', message: `AWSCURRENT never left the key ${targetOf(ctx).keyHint} in this incident; the bot needs no restart` };
    const unauthorized = params.approveForeignOrders ? unauthorizedAfterRevoke(ctx) : 0;
    if (unauthorized) await ctx.approval({ reason: `${unauthorized} order(s) nobody's bot placed were open after the revoke: someone else trades on the account; check before the bot comes back` });

    if (credential.delivery.mode === 'external-secrets') {
      const { externalSecret, secretName } = credential.delivery;
      const key = await loadKey(ctx, params.key);
      const es = client(ctx, 'externalSecrets');
      await ctx.checkpoint();
      await es.forceSync(w.namespace, externalSecret, ctx.token, ctx.signal);
      await ctx.note('restore.sync', `forced ExternalSecret ${w.namespace}/${externalSecret} to sync; waiting for ${key.hint} in Secret ${secretName}`);
      await es.waitForFingerprint(w.namespace, secretName, 'api_key', key.fingerprint, { pollMs: params.pollMs, signal: ctx.signal });
      await ctx.note('restore.synced', `Secret ${w.namespace}/${secretName} holds the new key ${key.hint}`);
    }
    const workload = client(ctx, 'workload');
    await ctx.checkpoint();
    // The token as restartedAt makes the patch idempotent for this attempt and names the rollout verify looks for.
    const restartedAt = ctx.token;
    const { replicas, changed } = await workload.restore(w, restartedAt, { ...(params.replicas ? { replicas: params.replicas } : {}), signal: ctx.signal });
    await ctx.note('restore.patched', `${w.namespace}/${w.deployment}: ${replicas} replica(s) and a rollout restart${changed ? '' : ' (already set)'}`, { replicas, restartedAt });
    const status = await workload.waitForRollout(w, { pollMs: params.pollMs, signal: ctx.signal });
    await ctx.note('restore.rolled_out', status);
    return { status: 'succeeded', outputs: { restartedAt, replicas }, message: status };
  },
});

/** Orders without the bot's prefix found by a cancel that ran after the target was revoked. */
function unauthorizedAfterRevoke(ctx: StepContext): number {
  return outputsOf(ctx.journal.runs, cancelOutputs)
    .filter((o) => o.afterRevoke)
    .reduce((n, o) => n + (o.foreignOrders ?? 0), 0);
}

/** Whether AWSCURRENT held a key other than the target at some point of this incident (rotate or promote moved it). */
function secretMoved(ctx: StepContext): boolean {
  const target = targetOf(ctx).versionId;
  const { runs } = ctx.journal;
  return outputsOf(runs, promoteOutputs).some((o) => o.currentVersionId !== target) || outputsOf(runs, rotateOutputs).some((o) => o.stage === 'AWSCURRENT');
}
