import { credentialOf } from '../lib/context.js';
import { defineResponder, schema } from '../lib/define.js';
import { keyParam, type KeyChoice } from '../lib/keys.js';
import { checkKey } from './key.js';
import { checkPods } from './pods.js';
import { checkPositions } from './positions.js';

const CHECKS = ['key', 'pods', 'positions'] as const;
type Check = (typeof CHECKS)[number];

interface Params {
  key: KeyChoice;
  checks: Check[];
  /** How long a new key may answer "invalid key" before it is taken as broken (exchange activation delay). */
  activationWaitMs: number;
  pollMs: number;
}

/**
 * Proves the recovery: an authenticated call with the new key (retried through the exchange's
 * activation delay), the running pods are the new rollout's, and the positions match the
 * freeze's snapshot (a difference pages a human; it does not undo the recovery).
 */
export const verify = defineResponder<Params>({
  name: 'verify',
  params: schema.object({
    key: keyParam('new'),
    checks: { type: 'array', items: { type: 'string', enum: [...CHECKS] }, uniqueItems: true, minItems: 1, default: [...CHECKS] },
    activationWaitMs: schema.ms(90_000),
    pollMs: schema.ms(1_000, 10),
  }),
  plan: (ctx, p) => `check ${(p.checks ?? CHECKS).join(', ')} of ${credentialOf(ctx).id} with the ${p.key ?? 'new'} key`,
  async run(ctx, params) {
    const checks = params.checks ?? [...CHECKS];
    const choice = params.key ?? 'new';
    const outputs: Record<string, unknown> = { key: choice, checks };
    if (checks.includes('key')) Object.assign(outputs, await checkKey(ctx, choice, params.activationWaitMs ?? 90_000, params.pollMs ?? 1_000));
    if (checks.includes('pods')) Object.assign(outputs, await checkPods(ctx));
    if (checks.includes('positions')) Object.assign(outputs, await checkPositions(ctx, choice));
    return { status: 'succeeded', outputs, message: `verified: ${checks.join(', ')}${outputs.positionsMatch === false ? ' (positions differ: a human was paged)' : ''}` };
  },
});
