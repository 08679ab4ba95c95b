import type { Detector } from '../../src/intake/detector.js';
import { AuthErrorsConfig } from './config.js';
import { ingestRoute } from './ingest.js';
import { followWorkload } from './pods.js';
import { runtimeOf } from './runtime.js';

/**
 * Auth-error spikes in the bot's logs (the runbook's "403/401 errors spike"): one streaming core
 * fed by the pods' logs through the Kubernetes API and by a log shipper through /ingest/logs.
 */
export const authErrors: Detector<typeof AuthErrorsConfig> = {
  name: 'auth-errors',
  title: 'Auth errors in bot logs',
  configSchema: AuthErrorsConfig,

  warnings(config) {
    return !config.podLogs.enabled && config.ingest.tokens.length === 0
      ? ['podLogs.enabled is false and ingest.tokens is empty: no log reaches the detector; enable podLogs or configure a token for the log shipper']
      : [];
  },

  routes(app, ctx) {
    ingestRoute(app, ctx, runtimeOf(ctx));
  },

  async start(ctx) {
    const runtime = runtimeOf(ctx);
    await runtime.ready();
    if (!ctx.config.podLogs.enabled) {
      ctx.report({ details: { podLogs: 'off' } });
      return async () => {};
    }
    const stopped = new AbortController();
    const following: Record<string, string[]> = {};
    const loops = ctx.credentials.map((c) =>
      followWorkload(ctx, runtime, c, stopped.signal, (pods) => {
        following[c.id] = pods;
        ctx.report({ details: { following } });
      }),
    );
    return async () => {
      stopped.abort();
      await Promise.all(loops);
    };
  },
};
