import type { Detector } from '../../src/intake/detector.js';
import { once } from '../../src/core/once.js';
import { secretRefWarnings } from '../../src/intake/section.js';
import { EventBridgeConfig } from './config.js';
import { eventHandler } from './process.js';
import { EVENT_WORK, eventRoute } from './route.js';
import { serial } from './serial.js';

/**
 * CloudTrail, GuardDuty and Secrets Manager events through an EventBridge API destination, and
 * decoy secrets. The folder is named for what it mostly reads (CloudTrail); the detector is named
 * for how events arrive, so its config section is `detectors.eventbridge` as the issue has it.
 */
export const eventbridge: Detector<typeof EventBridgeConfig> = {
  name: 'eventbridge',
  title: 'CloudTrail, GuardDuty and Secrets Manager events (EventBridge)',
  configSchema: EventBridgeConfig,

  warnings(config, env) {
    const out = secretRefWarnings('apiKey', config.apiKey, env, 'every event is refused with 401');
    config.previousApiKeys.forEach((ref, i) => out.push(...secretRefWarnings(`previousApiKeys[${i}]`, ref, env, 'events sent with it are refused')));
    if (!config.leakguardPrincipals.length) out.push("leakguardPrincipals: empty; a call made with LeakGuard's own role but missing from its call log cannot be told from its own; list LeakGuard's role ARN");
    return out;
  },

  routes(app, ctx) {
    const current = once(async () => (ctx.config.apiKey ? ctx.secret(ctx.config.apiKey) : undefined));
    const previous = ctx.config.previousApiKeys.map((ref) => once(() => ctx.secret(ref)));
    eventRoute(app, ctx, {
      keys: async () => {
        const now = await current();
        if (!now) return [];
        // An old key that cannot be read must not refuse what the current one authenticates.
        const old = await Promise.all(previous.map((p) => p().then((k) => [k], () => [])));
        return [now, ...old.flat()];
      },
    });
  },

  start(ctx) {
    ctx.work.handle(EVENT_WORK, eventHandler(ctx, serial(), ctx.credentials.map((c) => c.id)));
    return async () => {};
  },
};
