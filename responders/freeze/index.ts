import { Type } from '@sinclair/typebox';
import type { StepContext } from '../../src/runner/responder.js';
import { alert } from '../lib/alert.js';
import { callCtx, client, credentialOf, exchangeOf, scopeOf } from '../lib/context.js';
import { defineResponder, ms } from '../lib/define.js';
import { loadKey } from '../lib/keys.js';
import { freezeOutputs, type FreezeOutputs } from './outputs.js';

const Params = Type.Object({ pollMs: ms(250, 10), snapshotPositions: Type.Boolean({ default: true }) }, { additionalProperties: false });

/**
 * The Kubernetes freeze: scale the bot to 0 (the count kept on the Deployment), done when no
 * pod is left, terminating ones included; then the positions are snapshot for verify. A
 * scale-up by someone else while waiting is frozen again and reported.
 */
export const freeze = defineResponder({
  name: 'freeze',
  outputs: freezeOutputs,
  params: Params,
  policy: { timeoutMs: 30_000, retries: 2, backoffMs: 500 },
  plan: (ctx) => `scale ${credentialOf(ctx).workload.namespace}/${credentialOf(ctx).workload.deployment} to 0, wait until no pod is left, and snapshot positions`,
  async run(ctx, params) {
    const w = credentialOf(ctx).workload;
    const workload = client(ctx, 'workload');
    await ctx.checkpoint();
    const { previousReplicas, refrozen } = await workload.freeze(w, ctx.incident.id, ctx.signal);
    await ctx.note('freeze.scaled', `${w.namespace}/${w.deployment} scaled to 0 (had ${previousReplicas} replicas)`, { previousReplicas });
    if (refrozen) await alert(ctx, 'warning', `${w.namespace}/${w.deployment} had been scaled up by someone else while frozen; LeakGuard froze it again`);
    let refreezes = refrozen ? 1 : 0;
    for (;;) {
      const pods = await workload.listPods(w, ctx.signal);
      if (pods.length === 0) break;
      const up = await workload.scaledUpWhileFrozen(w, ctx.incident.id, ctx.signal);
      if (up.scaledUp) {
        await ctx.checkpoint();
        await workload.freeze(w, ctx.incident.id, ctx.signal);
        refreezes++;
        await alert(ctx, 'warning', `${w.namespace}/${w.deployment} was scaled up to ${up.replicas} by someone else while LeakGuard froze it; frozen again`, { replicas: up.replicas });
      }
      await ctx.clock.sleep(params.pollMs, ctx.signal);
    }
    await ctx.note('freeze.no_pods', `no pod of ${w.namespace}/${w.deployment} is left`);
    const snapshot = params.snapshotPositions ? await snapshotPositions(ctx) : { positions: null };
    return { status: 'succeeded', outputs: { frozenReplicas: previousReplicas, refreezes, ...snapshot }, message: `no pod left (had ${previousReplicas})` };
  },
});

/** Positions while nothing trades, read with the newest key this incident has; verify compares against them. */
async function snapshotPositions(ctx: StepContext): Promise<Pick<FreezeOutputs, 'positions' | 'positionsError'>> {
  const exchange = exchangeOf(ctx);
  if (exchange.capabilities.positions !== 'api') return { positions: null, positionsError: `${exchange.name} positions are not read over the API` };
  try {
    const key = await loadKey(ctx, 'latest');
    const positions = await exchange.positions(key.material, scopeOf(credentialOf(ctx)), callCtx(ctx));
    await ctx.note('freeze.positions', `positions snapshot: ${positions.length} open position(s)`, { positions });
    return { positions };
  } catch (err) {
    // A snapshot is evidence, not containment: the freeze stands without it.
    await ctx.note('freeze.positions_failed', `positions could not be read: ${(err as Error).message}`);
    return { positions: null, positionsError: (err as Error).message };
  }
}
