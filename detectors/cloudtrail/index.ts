import type { Detector } from '../../src/intake/detector.js';
import { acceptedSecrets, rotatedSecretWarnings } from '../../src/intake/rotated-secret.js';
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
    const out = rotatedSecretWarnings(apiKeys(config), env, 'every event is refused with 401', 'events sent with it are refused');
    if (!config.leakguardPrincipals.length) out.push("leakguardPrincipals: empty; a call made with LeakGuard's own role but missing from its call log cannot be told from its own; list LeakGuard's role ARN");
    return out;
  },

  routes(app, ctx) {
    eventRoute(app, ctx, { keys: acceptedSecrets(ctx, apiKeys(ctx.config)) });
  },

  start(ctx) {
    ctx.work.handle(EVENT_WORK, eventHandler(ctx, serial(), ctx.credentials.map((c) => c.id)));
    return async () => {};
  },
};

/** The connection's API key and the previous ones still accepted while it is changed. */
function apiKeys(config: EventBridgeConfig) {
  return { path: 'apiKey', current: config.apiKey, previousPath: 'previousApiKeys', previous: config.previousApiKeys };
}
