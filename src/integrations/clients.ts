import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import type { Credential, EnvRef, SecretRef } from '../core/credential.js';
import type { Scrubber } from '../core/scrubber.js';
import type { Config } from '../config/schema.js';
import type { CallPolicy } from './call.js';
import { IntegrationError } from './errors.js';
import { awsOptionsFrom, type AwsCredentials } from './aws/config.js';
import { CloudTrailLookup } from './aws/cloudtrail.js';
import { EventBridgePublisher } from './aws/eventbridge.js';
import { parseKeySecret, SecretsClient } from './aws/secrets.js';
import { createExchanges, type Exchanges } from './exchanges/registry.js';
import type { KeyMaterial } from './exchanges/exchange.js';
import type { ExchangeList } from './exchanges/module.js';
import { kubeConfigFrom } from './kubernetes/config.js';
import type { KubeConfigSource } from './kubernetes/sdk.js';
import { once } from '../core/once.js';
import { ExternalSecretsClient } from './kubernetes/external-secrets.js';
import { WorkloadClient } from './kubernetes/workload.js';
import { SlackNotifier } from './slack.js';

/** Every outside system, as responders and detectors see it through their context. */
export interface LeakGuardClients {
  secrets: SecretsClient;
  cloudtrail: CloudTrailLookup;
  events: EventBridgePublisher | undefined;
  slack: SlackNotifier | undefined;
  workload: WorkloadClient;
  externalSecrets: ExternalSecretsClient;
  exchanges: Exchanges;
  /** LeakGuard's master key for a credential's exchange account, registered with the scrubber. */
  masterKey(credential: Credential, signal?: AbortSignal): Promise<KeyMaterial>;
  /** Key material kept at `ref` as the runbook's key JSON (a watch key), registered with the scrubber; `what` names it in errors. */
  keyAt(ref: SecretRef, what: string, signal?: AbortSignal): Promise<KeyMaterial>;
  /** A plain secret value (a webhook secret, a token) from the environment or Secrets Manager, registered with the scrubber. */
  secretValue(ref: SecretRef, signal?: AbortSignal): Promise<string>;
  /** LeakGuard's own egress IPs, added to every key it creates. */
  egressIps: string[];
  close(): void;
}

declare module '../runner/responder.js' {
  interface Clients extends Partial<LeakGuardClients> {}
}

export interface ClientDeps {
  clock: Clock;
  scrubber: Scrubber;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** Tests: static AWS credentials, a KubeConfig, headers to the exchange simulators, a fast policy. */
  awsCredentials?: AwsCredentials;
  kubeConfig?: KubeConfig;
  exchangeHeaders?: Record<string, string>;
  policy?: CallPolicy;
  /** The exchanges adapters are built from (default: the registry's); the config must be parsed with the same list. */
  exchanges?: ExchangeList;
}

/** Builds every client from the config. Nothing is called until a step needs it. */
export async function createClients(config: Config, deps: ClientDeps): Promise<LeakGuardClients> {
  const aws = (service: 'secretsmanager' | 'events' | 'cloudtrail') => awsOptionsFrom(config, service, deps.awsCredentials);
  // Loaded now when anything will use it, so a bad kubeconfig stops the start and no incident waits
  // for the SDK's import; a LeakGuard without credentials loads it on first use, if ever.
  const needed = config.credentials.length > 0 || config.kubernetes.kubeconfig !== undefined;
  const kc: KubeConfigSource = deps.kubeConfig ?? (needed ? await kubeConfigFrom(config.kubernetes) : once(() => kubeConfigFrom(config.kubernetes)));
  const secrets = new SecretsClient(aws('secretsmanager'), deps.clock, deps.scrubber, deps.policy);
  const cloudtrail = new CloudTrailLookup(aws('cloudtrail'), deps.clock, deps.policy);
  const events = config.notifiers.eventbridge ? new EventBridgePublisher(aws('events'), config.notifiers.eventbridge.busName, deps.clock, deps.scrubber, deps.policy) : undefined;
  const env = deps.env ?? process.env;
  const slackUrl = config.notifiers.slack ? slackWebhook(config.notifiers.slack.webhookUrl, env, deps.logger) : undefined;
  const slack = slackUrl ? new SlackNotifier(slackUrl, deps.clock, deps.scrubber, deps.logger) : undefined;
  const exchanges = createExchanges(config, { clock: deps.clock, scrubber: deps.scrubber, ...(deps.policy ? { policy: deps.policy } : {}), ...(deps.exchangeHeaders ? { headers: deps.exchangeHeaders } : {}) }, deps.exchanges);
  const keyAt = async (ref: SecretRef, what: string, signal?: AbortSignal): Promise<KeyMaterial> => {
    if ('secretsManager' in ref) return (await secrets.readKey(ref.secretsManager, {}, signal)).material;
    const secret = parseKeySecret(resolveEnvRef(ref, env), { system: 'LeakGuard config', operation: 'key', source: `${what} (environment variable ${ref.env})` }, deps.scrubber);
    return { apiKey: secret.api_key, apiSecret: secret.api_secret };
  };

  return {
    secrets,
    cloudtrail,
    events,
    slack,
    workload: new WorkloadClient(kc, deps.clock, deps.scrubber, deps.policy),
    externalSecrets: new ExternalSecretsClient(kc, deps.clock, deps.scrubber, deps.policy),
    exchanges,
    egressIps: config.server.egressIps,
    async masterKey(credential, signal) {
      const ref = credential.account.masterKey;
      if (!ref) throw new IntegrationError({ system: 'LeakGuard config', operation: 'master key', kind: 'invalid_request', retryable: false, detail: `${credential.id} names no account.masterKey`, action: `add account.masterKey to credential ${credential.id}` });
      return keyAt(ref, `the master key of ${credential.id}`, signal);
    },
    keyAt,
    async secretValue(ref, signal) {
      if ('secretsManager' in ref) return secrets.readText(ref.secretsManager, signal);
      const value = resolveEnvRef(ref, env);
      deps.scrubber.register(value);
      return value;
    },
    close() {
      secrets.destroy();
      cloudtrail.destroy();
      events?.destroy();
    },
  };
}

/** A missing Slack URL disables Slack alerts but never the response: alerts still go to the log and EventBridge. */
function slackWebhook(ref: EnvRef, env: NodeJS.ProcessEnv, logger: Logger): string | undefined {
  try {
    return resolveEnvRef(ref, env);
  } catch (err) {
    logger.error({ err }, 'Slack alerts are off until the webhook URL is set');
    return undefined;
  }
}

/** An {env: NAME} reference's value. */
function resolveEnvRef(ref: EnvRef, env: NodeJS.ProcessEnv): string {
  const value = env[ref.env];
  if (!value) throw new IntegrationError({ system: 'LeakGuard config', operation: 'secret reference', kind: 'invalid_request', retryable: false, detail: `environment variable ${ref.env} is not set`, action: `set ${ref.env} in LeakGuard's environment` });
  return value;
}
