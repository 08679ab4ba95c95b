import { Type, type Static } from '@sinclair/typebox';
import { credentialOf } from '../lib/context.js';
import { defineResponder, ms, StringEnum } from '../lib/define.js';
import { keyParam } from '../lib/keys.js';
import { CHECKS, verifyOutputs } from './outputs.js';
import { checkKey } from './key.js';
import { checkPods } from './pods.js';
import { checkPositions } from './positions.js';
import { checkTrade } from './trade.js';

const Params = Type.Object(
  {
    key: keyParam('new'),
    checks: Type.Array(StringEnum(CHECKS), { uniqueItems: true, minItems: 1, default: [...CHECKS] }),
    /** How long a new key may answer "invalid key" before it is taken as broken (exchange activation delay). */
    activationWaitMs: ms(90_000),
    pollMs: ms(1_000, 10),
  },
  { additionalProperties: false },
);

/**
 * Proves the recovery: an authenticated call with the new key (retried through the exchange's
 * activation delay), where the credential opts in an order placed and cancelled with it, the running pods are the new rollout's, and the positions match the
 * freeze's snapshot (a difference pages a human; it does not undo the recovery).
 */
export const verify = defineResponder({
  name: 'verify',
  params: Params,
  outputs: verifyOutputs,
  // The key check is an authenticated balance read, the positions check a positions read: neither has a human fallback.
  needs: ({ checks }) => ({ capabilities: [...(checks.includes('key') ? (['balance'] as const) : []), ...(checks.includes('positions') ? (['positions'] as const) : [])] }),
  // Bybit activates a new key within a minute: the key check waits up to 90 s.
  policy: { timeoutMs: 120_000, retries: 1, backoffMs: 2_000 },
  plan: (ctx, p) => `check ${p.checks.join(', ')} of ${credentialOf(ctx).id} with the ${p.key} key`,
  async run(ctx, params) {
    const { checks, key: choice } = params;
    const outputs: Static<typeof verifyOutputs.schema> = { key: choice, checks };
    if (checks.includes('key')) Object.assign(outputs, await checkKey(ctx, choice, params.activationWaitMs, params.pollMs), await checkTrade(ctx, choice, params.pollMs));
    if (checks.includes('pods')) Object.assign(outputs, await checkPods(ctx));
    if (checks.includes('positions')) Object.assign(outputs, await checkPositions(ctx, choice));
    return { status: 'succeeded', outputs, message: `verified: ${checks.join(', ')}${outputs.tradeTest ? ' (order test passed)' : ''}${outputs.positionsMatch === false ? ' (positions differ: a human was paged)' : ''}` };
  },
});
