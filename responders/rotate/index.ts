import { Type, type Static } from '@sinclair/typebox';
import { keyHint } from '../../src/core/fingerprint.js';
import { client, credentialOf, exchangeOf, targetOf } from '../lib/context.js';
import { defineResponder, StringEnum } from '../lib/define.js';
import { keepFrozen } from '../lib/frozen.js';
import { NEW_KEY, rotateByHand } from './by-hand.js';
import { rotatedOutcome } from './outcome.js';
import { adopt, discardUnstored, sweepOrphans, tokensSoFar } from './recover.js';
import { newKeySpec } from './spec.js';
import { rotateOutputs } from './outputs.js';

const RotateParams = Type.Object(
  {
    stage: StringEnum(['AWSCURRENT', 'AWSPENDING'], { default: 'AWSPENDING' }),
    reason: Type.Optional(Type.String()),
    /** Used only when no baseline is known (credentials[].baseline, or an earlier incident's record); the key is then unbound. */
    permissions: Type.Optional(Type.Record(Type.String(), Type.Array(Type.String()))),
    readOnly: Type.Boolean({ default: false }),
  },
  { additionalProperties: false },
);
export type RotateParams = Static<typeof RotateParams>;

/**
 * A new key with the credential's baseline permissions, its IPs plus LeakGuard's egress IPs, and the
 * step's token as its note, stored in Secrets Manager with the token as ClientRequestToken.
 * After a crash it adopts the version whose VersionId is one of its tokens; otherwise it
 * deletes every exchange key whose note is one of its tokens before it creates one, so no key
 * is ever left behind. Lambda-owned secrets are rotated with RotateSecret instead.
 */
export const rotate = defineResponder({
  name: 'rotate',
  outputs: rotateOutputs,
  params: RotateParams,
  tasks: [NEW_KEY],
  policy: { timeoutMs: 120_000, retries: 2, backoffMs: 2_000 },
  plan: (ctx, p) => `create a new key from ${credentialOf(ctx).id}'s baseline to replace ${targetOf(ctx).keyHint} and store it in ${credentialOf(ctx).secretId} as ${credentialOf(ctx).rotationOwner === 'lambda' ? 'AWSCURRENT via RotateSecret' : p.stage}`,
  async run(ctx, params) {
    const credential = credentialOf(ctx);
    const secrets = client(ctx, 'secrets');
    await keepFrozen(ctx);
    if (credential.rotationOwner === 'lambda') {
      // Secrets Manager makes the token's version (empty, AWSPENDING) at once: an earlier attempt's
      // version is a rotation to wait for, not a key to adopt.
      await ctx.checkpoint();
      await ctx.note('rotate.lambda', `RotateSecret on ${credential.secretId}; waiting for the rotation function`);
      const versionId = await secrets.rotate(credential.secretId, ctx.token, { ours: tokensSoFar(ctx), signal: ctx.signal });
      return rotatedOutcome(ctx, versionId, 'AWSCURRENT', 'rotated by the rotation function');
    }
    const adopted = await adopt(ctx, tokensSoFar(ctx), params.stage);
    if (adopted) return adopted;

    const { stage } = params;
    const exchange = exchangeOf(ctx);
    if (exchange.capabilities.createKey !== 'api') return rotateByHand(ctx, params);
    const { spec, baseline } = await newKeySpec(ctx, params);
    const secret = { created_at: new Date(ctx.clock.now()).toISOString(), created_by: 'leakguard', rotation_reason: params.reason ?? `${ctx.incident.playbook} (incident ${ctx.incident.id})` };

    const master = await client(ctx, 'masterKey')(credential, ctx.signal);
    await sweepOrphans(ctx, master);
    await ctx.checkpoint();
    const created = await exchange.createKey(master, spec, { signal: ctx.signal });
    await ctx.note('rotate.created', `new key ${keyHint(created.info.keyId)} at ${exchange.name} (note = step token), with the permissions and IPs of ${baseline.source}`, { keyHint: keyHint(created.info.keyId), ips: spec.ips, permissions: spec.permissions, source: baseline.source });
    await ctx.checkpoint();
    try {
      const versionId = await secrets.writeKey(credential.secretId, ctx.token, { api_key: created.material.apiKey, api_secret: created.material.apiSecret, api_key_id: created.info.keyId, ...secret }, stage, ctx.signal);
      return await rotatedOutcome(ctx, versionId, stage, `new key ${keyHint(created.info.keyId)} stored as ${stage}`, baseline);
    } catch (err) {
      await discardUnstored(ctx, master, created.info.keyId);
      throw err;
    }
  },
});
