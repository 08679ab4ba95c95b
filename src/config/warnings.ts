import type { SecretRef } from '../core/credential.js';
import type { Config } from './schema.js';

/**
 * What a valid config can still get wrong: it protects nothing, or a part it turns on cannot
 * work. Said by `config check` and at start; never a reason to refuse to run (a leak must
 * still be answered for what is configured).
 */
export function configWarnings(config: Config, env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  if (config.credentials.length === 0) out.push('credentials: none configured, so LeakGuard protects no key; add the exchange keys it should answer for under credentials');
  const secret = (path: string, ref: SecretRef | undefined, enabled: boolean, without: string) => {
    if (!enabled) return;
    if (!ref) out.push(`${path}: not set while the detector is enabled; ${without}; set it to {env: NAME} or {secretsManager: ID}`);
    else if ('env' in ref && !env[ref.env]) out.push(`${path}: the environment variable ${ref.env} is not set here; ${without}`);
  };
  const { github, eventbridge } = config.detectors;
  secret('detectors.github.webhookSecret', github.webhookSecret, github.enabled, "GitHub's deliveries cannot be verified and every one is refused");
  secret('detectors.eventbridge.apiKey', eventbridge.apiKey, eventbridge.enabled, "EventBridge's deliveries cannot be authenticated and every one is refused");
  const slack = config.notifiers.slack?.webhookUrl;
  if (slack && !env[slack.env]) out.push(`notifiers.slack.webhookUrl: the environment variable ${slack.env} is not set here; Slack alerts stay off (the log and EventBridge still get them)`);
  return out;
}
