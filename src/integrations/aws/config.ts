import type { Config } from '../../config/schema.js';

/** Static credentials for tests; production uses the SDK's default chain (IRSA, env, profile). */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AwsClientOptions {
  region: string;
  endpoint?: string;
  credentials?: AwsCredentials;
}

/**
 * SDK client settings from the config; our own call policy does the retrying (maxAttempts 1),
 * including the attempt after the SDK corrected a skewed clock (classifyAws: kind `expired`).
 */
export function awsClientConfig(opts: AwsClientOptions) {
  return {
    region: opts.region,
    maxAttempts: 1,
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
  };
}

export function awsOptionsFrom(config: Config, service: keyof Config['aws']['endpoints'], credentials?: AwsCredentials): AwsClientOptions {
  const endpoint = config.aws.endpoints[service];
  return { region: config.aws.region, ...(endpoint ? { endpoint } : {}), ...(credentials ? { credentials } : {}) };
}
