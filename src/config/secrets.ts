import type { SecretRef } from '../core/credential.js';
import type { Scrubber } from '../core/scrubber.js';

/** Reads a value a SecretRef names. Secrets Manager refs are resolved by the AWS integration. */
export type SecretsManagerReader = (secretId: string) => Promise<string>;

export class SecretResolver {
  constructor(
    private readonly scrubber: Scrubber,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly readSecretsManager?: SecretsManagerReader,
  ) {}

  /** Resolves and registers the value with the scrubber before anyone else sees it. */
  async resolve(ref: SecretRef, what: string): Promise<string> {
    let value: string | undefined;
    if ('env' in ref) {
      value = this.env[ref.env];
      if (!value) throw new Error(`${what}: environment variable ${ref.env} is not set; set it or point the config at a Secrets Manager id`);
    } else {
      if (!this.readSecretsManager) throw new Error(`${what}: Secrets Manager is not configured; set aws.region (and aws.endpoint if needed)`);
      value = await this.readSecretsManager(ref.secretsManager);
    }
    this.scrubber.register(value);
    return value;
  }
}
