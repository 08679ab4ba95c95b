import { Type } from '@sinclair/typebox';
import { alert } from '../lib/alert.js';
import { client, credentialOf } from '../lib/context.js';
import { defineResponder, ms } from '../lib/define.js';
import { snapshotPositions } from '../lib/positions.js';
import { freezeOutputs } from './outputs.js';

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
  // The bot stops even while Secrets Manager cannot say which key leaked.
  beforeTarget: true,
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
    const snapshot = params.snapshotPositions ? await snapshotPositions(ctx, 'latest', 'freeze') : { positions: null };
    return { status: 'succeeded', outputs: { frozenReplicas: previousReplicas, refreezes, ...snapshot }, message: `no pod left (had ${previousReplicas})` };
  },
});
