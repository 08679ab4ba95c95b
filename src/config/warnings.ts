import type { DetectorList } from '../intake/detector.js';
import { defaultDetectors } from '../../detectors/registry.js';
import type { Config } from './schema.js';

/**
 * What a valid config can still get wrong: it protects nothing, or a part it turns on cannot
 * work. Said by `config check` and at start; never a reason to refuse to run (a leak must
 * still be answered for what is configured).
 */
export function configWarnings(config: Config, env: NodeJS.ProcessEnv, detectors: DetectorList = defaultDetectors): string[] {
  const out: string[] = [];
  if (config.credentials.length === 0) out.push('credentials: none configured, so LeakGuard protects no key; add the exchange keys it should answer for under credentials');
  for (const detector of detectors) {
    const section = config.detectors[detector.name] as { enabled: boolean } | undefined;
    if (section?.enabled && detector.warnings) out.push(...detector.warnings(section, env).map((w) => `detectors.${detector.name}.${w}`));
  }
  const slack = config.notifiers.slack?.webhookUrl;
  if (slack && !env[slack.env]) out.push(`notifiers.slack.webhookUrl: the environment variable ${slack.env} is not set here; Slack alerts stay off (the log and EventBridge still get them)`);
  return out;
}
