import { Type, type Static } from '@sinclair/typebox';
import type { Revoked } from '../../src/core/revocation.js';
import type { StepContext } from '../../src/runner/responder.js';
import { callCtx, client, credentialOf, exchangeOf } from '../lib/context.js';
import { defineResponder, StringEnum, type Outcome } from '../lib/define.js';
import { keepFrozen } from '../lib/frozen.js';
import { askHuman, DONE } from '../lib/human.js';
import { lastOutputs } from '../lib/journal.js';
import { keyParam, loadKey, versionFor, type KeyChoice, type LoadedKey } from '../lib/keys.js';
import { snapshotPositions } from '../lib/positions.js';
import { freezeOutputs } from '../freeze/outputs.js';
import { revokeAccount, revokeMasterKeys } from './account.js';
import { revokeOutputs, type RevokeOutputs } from './outputs.js';
import { proved } from './proved.js';

const Params = Type.Object(
  {
    key: keyParam('target'),
    /** key: one key; account: every sub-account key LeakGuard can see; masters: the master account's other keys (a person). */
    scope: StringEnum(['key', 'account', 'masters'], { default: 'key' }),
    /** Leave the key alone when it is AWSCURRENT (in use): deletes only an unused new key. */
    unlessCurrent: Type.Boolean({ default: false }),
    /** Revoke after this grace period, by a durable timer, instead of now. */
    afterMs: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);
type Params = Static<typeof Params>;

/**
 * Deletes a key at the exchange: the incident's target (or the new key, to clean up an
 * abandoned rotation), or with scope `account` every sub-account key LeakGuard can see.
 * "Already gone" is success, as the exchange proves it. The exchange decides how a key is
 * deleted: with LeakGuard's master key, or (a key outside a sub-account) signed by itself.
 */
export const revoke = defineResponder({
  name: 'revoke',
  outputs: revokeOutputs,
  params: Params,
  tasks: [DONE],
  policy: { timeoutMs: 60_000, retries: 3, backoffMs: 1_000 },
  plan: (ctx, p) =>
    p.scope === 'account'
      ? `delete every key of ${credentialOf(ctx).id}'s sub-account`
      : p.scope === 'masters'
        ? `ask a person to delete the master account's keys other than LeakGuard's`
        : `delete the ${p.key} key at the exchange${p.afterMs ? ` after ${p.afterMs} ms` : ''}`,
  async run(ctx, params) {
    if (params.afterMs) return schedule(ctx, params);
    await keepFrozen(ctx);
    if (params.scope === 'account') return revokeAccount(ctx);
    if (params.scope === 'masters') return revokeMasterKeys(ctx);
    return revokeKey(ctx, params.key, params.unlessCurrent);
  },
});

/** The grace-period form (scheduled rotation): a durable timer runs this step again without the delay. */
async function schedule(ctx: StepContext, params: Params): Promise<Outcome<RevokeOutputs>> {
  const { afterMs, ...now } = params;
  await ctx.schedule({ name: 'grace', delayMs: afterMs!, responder: 'revoke', params: { ...now }, timeoutMs: 60_000, retries: 5 });
  const at = new Date(ctx.clock.now() + afterMs!).toISOString();
  return { status: 'succeeded', outputs: { scheduledFor: at }, message: `the ${params.key} key is revoked at ${at}` };
}

async function revokeKey(ctx: StepContext, choice: KeyChoice, unlessCurrent: boolean): Promise<Outcome<RevokeOutputs>> {
  const credential = credentialOf(ctx);
  const secrets = client(ctx, 'secrets');
  const versionId = versionFor(ctx, choice);
  if (!versionId) return { status: 'skipped', outputs: { key: choice }, message: `there is no ${choice} key to delete (rotate made none)` };
  if (unlessCurrent && (await secrets.versionAt(credential.secretId, 'AWSCURRENT', ctx.signal))?.versionId === versionId) {
    return { status: 'skipped', outputs: { key: choice, versionId }, message: `the ${choice} key is AWSCURRENT (in use); left in place` };
  }
  const exchange = exchangeOf(ctx);
  const key = await loadKey(ctx, choice);
  let revoked: Revoked;
  let snapshot: RevokeOutputs['positions'];
  if (exchange.capabilities.revokeKey !== 'api') {
    await askHuman(ctx, DONE, `In the ${exchange.name} API management page, delete the API key starting with ${key.hint} (credential ${credential.id}), then complete task ${ctx.token}; LeakGuard then checks that the key no longer works.`);
    revoked = { alreadyGone: false, proof: 'person', evidence: await stillWorks(ctx, key) };
  } else {
    // No freeze snapshot (break-glass revokes while the pods drain): nothing trades once the key is gone, so the positions are read now, with it.
    const snapshotNow = choice === 'target' && !lastOutputs(ctx, freezeOutputs)?.positions;
    const [master, positions] = await Promise.all([
      credential.account.masterKey ? client(ctx, 'masterKey')(credential, ctx.signal) : undefined,
      snapshotNow ? snapshotPositions(ctx, 'target', 'revoke') : undefined,
    ]);
    snapshot = positions?.positions ?? undefined;
    await ctx.checkpoint();
    revoked = await proved(ctx, key.hint, exchange.revokeKey({ keyId: key.keyId, material: key.material, master, account: credential.account.uid }, callCtx(ctx)));
  }
  const { alreadyGone, proof } = revoked;
  await ctx.note('revoke.done', `${alreadyGone ? `key ${key.hint} was already gone` : `key ${key.hint} deleted at ${exchange.name}`}; proved gone: ${revoked.evidence}`, { keyHint: key.hint, alreadyGone, proof });
  // An abandoned new key must not stay staged for the next reader.
  await secrets.clearPending(credential.secretId, versionId, ctx.signal);
  return { status: 'succeeded', outputs: { key: choice, keyHint: key.hint, versionId, alreadyGone, proof, revokedFingerprint: key.fingerprint, ...(snapshot ? { positions: snapshot } : {}) }, message: alreadyGone ? 'already gone' : `deleted ${key.hint}` };
}

/** A person said the key is deleted: an authenticated call that still works proves otherwise. Returns what backs the person's word. */
async function stillWorks(ctx: StepContext, key: LoadedKey): Promise<string> {
  const exchange = exchangeOf(ctx);
  const word = `a person completed task ${ctx.token}`;
  if (exchange.capabilities.balance !== 'api') return word;
  try {
    await exchange.balance(key.material, callCtx(ctx));
  } catch (err) {
    const kind = (err as { kind?: string }).kind;
    if (kind === 'invalid_key') return `${word}, and ${exchange.name} refuses the key`;
    await ctx.note('revoke.unchecked', `could not check that ${key.hint} is gone (${(err as Error).message}); taking the person's word`);
    return word;
  }
  throw new Error(`task ${ctx.token} was completed, but the key ${key.hint} still works at ${exchange.name}; delete it there (the next attempt opens a new task)`);
}
