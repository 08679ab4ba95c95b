import { Type, type Static } from '@sinclair/typebox';
import type { StepContext } from '../../src/runner/responder.js';
import { callCtx, credentialOf, exchangeOf, scopeOf, targetOf } from '../lib/context.js';
import { defineResponder, ms, type Outcome } from '../lib/define.js';
import { keepFrozen } from '../lib/frozen.js';
import { askHuman, DONE } from '../lib/human.js';
import { outputsOf } from '../lib/journal.js';
import { keyParam, loadKey, type KeyChoice, type LoadedKey } from '../lib/keys.js';
import { revokeOutputs } from '../revoke/outputs.js';
import { cancelOutputs } from './outputs.js';

const Params = Type.Object(
  {
    key: keyParam('target'),
    pollMs: ms(300, 10),
    /**
     * False for the pass before a revoke: one cancel round and no look, so the leaked key dies
     * now and a later cancel with the new key sweeps what is left. True: the step looks until
     * the exchange reports nothing open.
     */
    untilNoneOpen: Type.Boolean({ default: true }),
  },
  { additionalProperties: false },
);

/**
 * Cancels everything open in every category the credential trades, signed by the key the
 * playbook names (the leaked key before revoke, the new key after rotate); done only when the
 * exchange reports nothing open. Orders without the bot's prefix are counted: seen after the
 * revoke, they mean someone else trades on the account, and restore then waits for approval.
 */
export const cancel = defineResponder({
  name: 'cancel',
  params: Params,
  outputs: cancelOutputs,
  tasks: [DONE],
  policy: { timeoutMs: 60_000, retries: 2, backoffMs: 1_000 },
  plan: (ctx, p) => `cancel every open order in ${credentialOf(ctx).trades.categories.join(', ')} with the ${p.key} key`,
  async run(ctx, params) {
    const choice = params.key;
    const credential = credentialOf(ctx);
    const exchange = exchangeOf(ctx);
    await keepFrozen(ctx);
    const afterRevoke = outputsOf(ctx.journal.runs, revokeOutputs).some((o) => o.revokedFingerprint === targetOf(ctx).fingerprint);
    if (exchange.capabilities.cancelAll !== 'api') {
      await askHuman(ctx, DONE, `In the ${exchange.name} web UI, cancel every open order (${credential.trades.categories.join(', ')}) of the account of credential ${credential.id}, then confirm.`);
      return { status: 'succeeded', outputs: { by: 'person' as const, afterRevoke }, message: 'a person cancelled the orders' };
    }
    const key = await loadKey(ctx, choice);
    const scope = scopeOf(credential);
    if (!params.untilNoneOpen) return onePass(ctx, choice, key, afterRevoke);
    const open = await exchange.listOpenOrders(key.material, scope, callCtx(ctx));
    const foreign = open.filter((o) => !o.orderLinkId.startsWith(credential.orderLinkPrefix));
    await ctx.checkpoint();
    await ctx.note('cancel.request', `cancel-all with the ${choice} key ${key.hint}: ${open.length} open (${foreign.length} without the bot's prefix)`, { keyHint: key.hint, open: open.length, foreign: foreign.length });
    const { cancelled, polls } = await exchange.cancelAll(key.material, scope, { ...callCtx(ctx), pollMs: params.pollMs });
    await ctx.note('cancel.done', `nothing open any more (${cancelled} cancelled, ${polls} look(s))`, { cancelled, polls });
    return {
      status: 'succeeded',
      outputs: { key: choice, keyHint: key.hint, cancelled, polls, foreignOrders: foreign.length, afterRevoke },
      message: `${cancelled} order(s) cancelled; the exchange reports none open`,
    };
  },
});

/**
 * The pass before a revoke: one cancel round, no count beforehand and no look afterwards, so
 * the key dies as soon as it can; the exchange's acknowledgements are said, and a later cancel
 * with the new key proves nothing is left open.
 */
async function onePass(ctx: StepContext, choice: KeyChoice, key: LoadedKey, afterRevoke: boolean): Promise<Outcome<Static<typeof cancelOutputs.schema>>> {
  await ctx.checkpoint();
  const swept = await exchangeOf(ctx)
    .cancelAll(key.material, scopeOf(credentialOf(ctx)), { ...callCtx(ctx), once: true })
    .catch((err: unknown) => {
      // Best effort by design: the revoke must not wait for a retry, and the sweep with the new key proves what is left.
      if (ctx.signal.aborted) throw err;
      return err as Error;
    });
  if (swept instanceof Error) {
    await ctx.note('cancel.pass_failed', `the cancel pass with the ${choice} key ${key.hint} failed (${swept.message}); going on so the key dies now: a later cancel with the new key sweeps what is open`, { keyHint: key.hint });
    return { status: 'succeeded', outputs: { key: choice, keyHint: key.hint, cancelled: 0, polls: 0, afterRevoke }, message: 'the cancel pass failed; the next cancel, with the new key, sweeps what is open' };
  }
  const { cancelled, polls } = swept;
  await ctx.note('cancel.pass', `one cancel pass with the ${choice} key ${key.hint}: ${cancelled} cancel(s) acknowledged; going on so the key dies now, without waiting for them to land: a later cancel proves none is left`, { keyHint: key.hint, cancelled });
  return { status: 'succeeded', outputs: { key: choice, keyHint: key.hint, cancelled, polls, afterRevoke }, message: `${cancelled} cancel(s) acknowledged in one pass; the next cancel proves none is left` };
}
