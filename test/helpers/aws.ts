import { DEFAULT_CREDENTIALS } from '../sim/aws/json-protocol.js';
import type { AwsClientOptions } from '../../src/integrations/aws/config.js';
import type { CallPolicy } from '../../src/integrations/call.js';

const [[accessKeyId, secretAccessKey]] = Object.entries(DEFAULT_CREDENTIALS) as [[string, string]];

/** Our AWS clients pointed at a simulator with the simulators' static credentials. */
export const awsOptions = (url: string): AwsClientOptions => ({ region: 'us-east-1', endpoint: url, credentials: { accessKeyId, secretAccessKey } });

/** A fast policy for tests: real timeouts, tiny backoff. */
export const FAST_POLICY: CallPolicy = { timeoutMs: 2_000, retries: 3, baseDelayMs: 5, maxDelayMs: 20 };
