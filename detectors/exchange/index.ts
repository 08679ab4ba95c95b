import type { Detector } from '../../src/intake/detector.js';
import { once } from '../../src/core/once.js';
import { secretRefWarnings } from '../../src/intake/section.js';
import { ExchangeConfig } from './config.js';
import { noticeRoute } from './notice.js';
import { pollCredential, type PollReport } from './poll.js';
import { watchKeyReader } from './watch-key.js';

/**
 * The exchange watch, per credential: its orders read with a watch key of its own (foreign ones
 * are exchange.unauthorized_order), its key's description against the last seen (drift), and
 * exchange security notices forwarded to POST /webhooks/exchange.
 */
export const exchange: Detector<typeof ExchangeConfig> = {
  name: 'exchange',
  title: 'Exchange watch',
  configSchema: ExchangeConfig,

  warnings(config, env) {
    const out = secretRefWarnings('webhookSecret', config.webhookSecret, env, 'forwarded exchange notices are refused');
    for (const [id, w] of Object.entries(config.watch)) out.push(...secretRefWarnings(`watch.${id}.key`, w.key, env, `the orders of ${id} are not watched`));
    return out;
  },

  routes(app, ctx) {
    const ref = ctx.config.webhookSecret;
    noticeRoute(app, ctx, once(async () => (ref ? ctx.secret(ref) : undefined)));
  },

  start(ctx) {
    const watched = ctx.credentials.map((c) => {
      const ref = ctx.config.watch[c.id]?.key;
      return { credential: c, key: ref ? watchKeyReader(ctx, c.id, ref) : null };
    });
    const unknown = Object.keys(ctx.config.watch).filter((id) => !ctx.credentials.some((c) => c.id === id));
    const limits = [
      ...unknown.map((id) => `watch.${id}: no credential has this id; its key watches nothing`),
      ...watched.filter((w) => !w.key).map((w) => `${w.credential.id}: no watch key (detectors.exchange.watch.${w.credential.id}.key): its orders are not watched`),
      ...watched.filter((w) => ctx.exchange.capabilities(w.credential).queryKey !== 'api').map((w) => `${w.credential.id}: ${w.credential.exchange} keys cannot be described over its API: no key drift`),
    ];
    ctx.report({ limits });
    for (const l of limits) ctx.logger.warn(`exchange watch: ${l}`);
    const stopped = new AbortController();
    let polls = 0;
    const loop = (async () => {
      while (!stopped.signal.aborted) {
        const reports: PollReport[] = await Promise.all(watched.map((w) => pollCredential(ctx, w.credential, w.key, stopped.signal)));
        const problems = reports.flatMap((r) => r.problems);
        if (problems.length && !stopped.signal.aborted) ctx.logger.warn({ problems }, 'exchange watch: a poll could not read everything; it tries again at the next poll');
        ctx.report({ limits: [...limits, ...problems], details: { polls: ++polls, lastPoll: reports } });
        await ctx.clock.sleep(ctx.config.pollSeconds * 1000, stopped.signal).catch(() => {});
      }
    })();
    return async () => {
      stopped.abort();
      await loop;
    };
  },
};
