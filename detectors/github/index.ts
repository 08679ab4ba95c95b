import type { Detector } from '../../src/intake/detector.js';
import { acceptedSecrets, rotatedSecretWarnings } from '../../src/intake/rotated-secret.js';
import { secretRefWarnings } from '../../src/intake/section.js';
import { gitHubApi } from './api.js';
import { GitHubConfig } from './config.js';
import { HookDirectory } from './hooks.js';
import { alertHandler } from './process.js';
import { reconcile } from './reconcile.js';
import { DELIVERY_WORK, deliveryRoute } from './route.js';
import { once } from '../../src/core/once.js';

/**
 * GitHub secret scanning: organisation webhook deliveries (secret_scanning_alert,
 * secret_scanning_alert_location, ping) verified and queued, each alert fetched over REST and its
 * secret matched by fingerprint, and reconciliation of what was missed.
 */
export const github: Detector<typeof GitHubConfig> = {
  name: 'github',
  title: 'GitHub secret scanning',
  configSchema: GitHubConfig,

  warnings(config, env) {
    const out = rotatedSecretWarnings(webhookSecrets(config), env, "GitHub's deliveries cannot be verified and every one is refused", 'deliveries signed with it are refused');
    if (!config.api) out.push('api: not set; deliveries are taken but no alert can be fetched or matched (alert-only github.secret.unverified signals), and nothing missed is reconciled; set a token or a GitHub App');
    else if ('token' in config.api) out.push(...secretRefWarnings('api.token', config.api.token, env, 'alerts cannot be fetched'));
    else out.push(...secretRefWarnings('api.app.privateKey', config.api.app.privateKey, env, 'alerts cannot be fetched'));
    return out;
  },

  routes(app, ctx) {
    const secrets = acceptedSecrets(ctx, webhookSecrets(ctx.config));
    const hooks = new HookDirectory(ctx);
    deliveryRoute(app, ctx, { secrets, learnHook: (org, id) => hooks.learn(org, id) });
  },

  start(ctx) {
    const api = once(() => gitHubApi(ctx.config.api, ctx));
    ctx.work.handle(DELIVERY_WORK, alertHandler(ctx, api));
    const limits = ctx.config.api ? [] : ['no REST access (detectors.github.api): alerts cannot be fetched or matched; every delivery gives an alert-only unverified signal, and nothing missed is reconciled'];
    ctx.report({ limits, details: { rest: ctx.config.api ? ('token' in ctx.config.api ? 'token' : 'app') : 'none' } });
    if (!ctx.config.api) {
      ctx.logger.warn(`GitHub: ${limits[0]}`);
      return async () => {};
    }
    const stopped = new AbortController();
    const hooks = new HookDirectory(ctx);
    const loop = (async () => {
      while (!stopped.signal.aborted) {
        try {
          const report = await reconcile(ctx, (await api())!, await hooks.organizations(), stopped.signal);
          ctx.report({ limits: report.problems, details: { lastReconcile: report } });
          if (report.problems.length) ctx.logger.warn({ problems: report.problems }, 'GitHub reconciliation could not do everything');
        } catch (err) {
          if (stopped.signal.aborted) break;
          ctx.report({ limits: [`reconciliation failed: ${(err as Error).message}`] });
          ctx.logger.error({ err }, 'GitHub reconciliation failed; it runs again at the next pass');
        }
        await ctx.clock.sleep(ctx.config.reconcileMinutes * 60_000, stopped.signal).catch(() => {});
      }
    })();
    return async () => {
      stopped.abort();
      await loop;
    };
  },
};

/** The webhook secret and the previous ones GitHub may still sign with. */
function webhookSecrets(config: GitHubConfig) {
  return { path: 'webhookSecret', current: config.webhookSecret, previousPath: 'previousWebhookSecrets', previous: config.previousWebhookSecrets };
}
