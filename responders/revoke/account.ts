import { keyHint } from '../../src/core/fingerprint.js';
import type { StepContext } from '../../src/runner/responder.js';
import { callCtx, client, credentialOf, exchangeOf } from '../lib/context.js';
import { askHuman, DONE } from '../lib/human.js';
import type { Outcome } from '../lib/define.js';
import type { RevokeOutputs } from './outputs.js';
import { proved } from './proved.js';

/** Whether LeakGuard can delete the account's keys itself: an API for keys and a sub-account to list them in. */
const byApi = (ctx: StepContext) => exchangeOf(ctx).capabilities.revokeKey === 'api' && Boolean(credentialOf(ctx).account.uid && credentialOf(ctx).account.masterKey);

/**
 * Lockdown: every key of the credential's sub-account that LeakGuard's master key can see is
 * deleted, the bot's and any an intruder made. Without an API for it, a person deletes every key.
 */
export async function revokeAccount(ctx: StepContext): Promise<Outcome<RevokeOutputs>> {
  const credential = credentialOf(ctx);
  const exchange = exchangeOf(ctx);
  if (!byApi(ctx)) {
    await askHuman(ctx, DONE, `In the ${exchange.name} API management page, delete every API key of the account of credential ${credential.id}, then complete task ${ctx.token}.`);
    return { status: 'succeeded', outputs: { by: 'person' }, message: 'a person deleted every key' };
  }
  const uid = credential.account.uid!;
  const master = await client(ctx, 'masterKey')(credential, ctx.signal);
  const keys = await exchange.listKeys(master, uid, callCtx(ctx));
  for (const k of keys) {
    await ctx.checkpoint();
    const { alreadyGone, proof, evidence } = await proved(ctx, keyHint(k.keyId), exchange.revokeKey({ keyId: k.keyId, master, account: uid }, callCtx(ctx)));
    await ctx.note('revoke.done', `sub-account key ${keyHint(k.keyId)} ${alreadyGone ? 'was already gone' : 'deleted'}; proved gone: ${evidence}`, { keyHint: keyHint(k.keyId), alreadyGone, proof });
  }
  return { status: 'succeeded', outputs: { revokedSubKeys: keys.length, keyHints: keys.map((k) => keyHint(k.keyId)) }, message: `${keys.length} sub-account key(s) deleted` };
}

/**
 * Lockdown's last step: master-account keys other than LeakGuard's own can only be deleted by a
 * person (a master key deletes only itself), so this is a human task with exact instructions.
 */
export async function revokeMasterKeys(ctx: StepContext): Promise<Outcome<RevokeOutputs>> {
  if (!byApi(ctx)) return { status: 'skipped', message: 'a person already deleted every key of the account' };
  const credential = credentialOf(ctx);
  const exchange = exchangeOf(ctx);
  const master = await client(ctx, 'masterKey')(credential, ctx.signal);
  const own = await exchange.describeKey(master, callCtx(ctx));
  await askHuman(
    ctx,
    DONE,
    [
      `Log in to ${exchange.name} as master account ${own.account} (the parent of sub-account ${credential.account.uid}).`,
      `In API management, delete every API key of the master account except LeakGuard's own, the one starting ${keyHint(own.keyId)}; LeakGuard already deleted every key of sub-account ${credential.account.uid}.`,
      'Change the account password and check 2FA and the IP restrictions (runbook: Unauthorized Trades After Rotation).',
      `Then complete task ${ctx.token}.`,
    ].join(' '),
  );
  return { status: 'succeeded', outputs: { by: 'person', masterUid: own.account }, message: "a person deleted the master account's other keys" };
}
