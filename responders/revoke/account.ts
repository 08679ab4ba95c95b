import { keyHint } from '../../src/core/fingerprint.js';
import type { StepContext, StepOutcome } from '../../src/runner/responder.js';
import { callCtx, client, credentialOf, exchangeOf } from '../lib/context.js';
import { askHuman } from '../lib/human.js';

/**
 * Lockdown: every key of the credential's sub-account that LeakGuard's master key can see is
 * deleted; master keys other than LeakGuard's can only be deleted by a person.
 */
export async function revokeAccount(ctx: StepContext): Promise<StepOutcome> {
  const credential = credentialOf(ctx);
  const exchange = exchangeOf(ctx);
  const uid = credential.account.uid;
  if (exchange.capabilities.revokeKey !== 'api' || !uid) {
    await askHuman(ctx, `In the ${exchange.name} API management page, delete every API key of the account of credential ${credential.id}, then confirm.`);
    return { status: 'succeeded', outputs: { by: 'person' } };
  }
  const master = await client(ctx, 'masterKey')(credential, ctx.signal);
  const keys = await exchange.listSubKeys(master, uid, callCtx(ctx));
  for (const k of keys) {
    await ctx.checkpoint();
    const { alreadyGone } = await exchange.deleteSubKey(master, k.keyId, uid, callCtx(ctx));
    await ctx.note('revoke.done', `sub-account key ${keyHint(k.keyId)} ${alreadyGone ? 'was already gone' : 'deleted'}`, { keyHint: keyHint(k.keyId), alreadyGone });
  }
  await askHuman(ctx, `In the ${exchange.name} web UI, delete every master-account API key except LeakGuard's own, change the account password and check 2FA (runbook: Unauthorized Trades After Rotation), then confirm.`);
  return { status: 'succeeded', outputs: { revokedSubKeys: keys.length }, message: `${keys.length} sub-account key(s) deleted; master keys handled by a person` };
}
