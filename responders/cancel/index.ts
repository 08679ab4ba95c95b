import { callCtx, credentialOf, exchangeOf, scopeOf, targetOf } from '../lib/context.js';
import { defineResponder, schema } from '../lib/define.js';
import { keepFrozen } from '../lib/frozen.js';
import { askHuman } from '../lib/human.js';
import { keyParam, loadKey, type KeyChoice } from '../lib/keys.js';

interface Params {
  key: KeyChoice;
  pollMs: number;
  /** How long to look again for orders still open; the exchange adapter's default (60 s) when absent. */
  budgetMs?: number;
  /**
   * False for the pass before a revoke: when the budget is over with orders still open, the step
   * succeeds and says how many, so the leaked key dies now; a later cancel with the new key
   * sweeps what is left. True: orders still open fail the step.
   */
  untilNoneOpen: boolean;
}

/**
 * Cancels everything open in every category the credential trades, signed by the key the
 * playbook names (the leaked key before revoke, the new key after rotate); done only when the
 * exchange reports nothing open. Orders without the bot's prefix are counted: seen after the
 * revoke, they mean someone else trades on the account, and restore then waits for approval.
 */
export const cancel = defineResponder<Params>({
  name: 'cancel',
  params: schema.object({ key: keyParam('target'), pollMs: schema.ms(300, 10), budgetMs: { type: 'integer', minimum: 1 }, untilNoneOpen: { type: 'boolean', default: true } }),
  plan: (ctx, p) => `cancel every open order in ${credentialOf(ctx).trades.categories.join(', ')} with the ${p.key ?? 'target'} key`,
  async run(ctx, params) {
    const choice = params.key ?? 'target';
    const credential = credentialOf(ctx);
    const exchange = exchangeOf(ctx);
    await keepFrozen(ctx);
    const afterRevoke = ctx.journal.runs.some((r) => r.status === 'succeeded' && r.outputs.revokedFingerprint === targetOf(ctx).fingerprint);
    if (exchange.capabilities.cancelAll !== 'api') {
      await askHuman(ctx, `In the ${exchange.name} web UI, cancel every open order (${credential.trades.categories.join(', ')}) of the account of credential ${credential.id}, then confirm.`);
      return { status: 'succeeded', outputs: { by: 'person', afterRevoke }, message: 'a person cancelled the orders' };
    }
    const key = await loadKey(ctx, choice);
    const scope = scopeOf(credential);
    const open = await exchange.listOpenOrders(key.material, scope, callCtx(ctx));
    const foreign = open.filter((o) => !o.orderLinkId.startsWith(credential.orderLinkPrefix));
    await ctx.checkpoint();
    await ctx.note('cancel.request', `cancel-all with the ${choice} key ${key.hint}: ${open.length} open (${foreign.length} without the bot's prefix)`, { keyHint: key.hint, open: open.length, foreign: foreign.length });
    let cancelled: number;
    let polls: number;
    try {
      ({ cancelled, polls } = await exchange.cancelAll(key.material, scope, { ...callCtx(ctx), pollMs: params.pollMs ?? 300, ...(params.budgetMs ? { budgetMs: params.budgetMs } : {}) }));
    } catch (err) {
      if (params.untilNoneOpen !== false || !gaveUp(err)) throw err;
      const stillOpen = (await exchange.listOpenOrders(key.material, scope, callCtx(ctx))).length;
      await ctx.note('cancel.partial', `${stillOpen} order(s) still open after ${params.budgetMs ?? 'the'} ms of cancelling with the ${choice} key ${key.hint}; going on so the key dies now: a later cancel sweeps them`, { keyHint: key.hint, stillOpen });
      return { status: 'succeeded', outputs: { key: choice, keyHint: key.hint, cancelled: Math.max(0, open.length - stillOpen), stillOpen, foreignOrders: foreign.length, afterRevoke }, message: `${stillOpen} order(s) still open; the next cancel sweeps them` };
    }
    await ctx.note('cancel.done', `nothing open any more (${cancelled} cancelled, ${polls} look(s))`, { cancelled, polls });
    return {
      status: 'succeeded',
      outputs: { key: choice, keyHint: key.hint, cancelled, polls, foreignOrders: foreign.length, afterRevoke },
      message: `${cancelled} order(s) cancelled; the exchange reports none open`,
    };
  },
});

/** The exchange adapter's sweep ran out of its budget with orders still open (not any other failure). */
function gaveUp(err: unknown): boolean {
  const e = err as { operation?: string; kind?: string };
  return e.operation === 'cancelAll' && e.kind === 'timeout';
}
