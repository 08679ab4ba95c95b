import { systemClock } from '../../../src/core/clock.js';
import { Scrubber } from '../../../src/core/scrubber.js';
import type { AwsCredentials } from '../../../src/integrations/aws/config.js';
import { SecretsClient } from '../../../src/integrations/aws/secrets.js';
import { defaultExchanges } from '../../../src/integrations/exchanges/registry.js';
import { parseEvent } from './event.js';
import { rotationStep, type RotationDeps } from './rotation.js';
import { settingsFrom } from './settings.js';

/** What tests supply besides the environment: static AWS credentials, headers to the exchange simulator. */
export interface HandlerOverrides {
  awsCredentials?: AwsCredentials;
  exchangeHeaders?: Record<string, string>;
}

/**
 * The rotation function for an environment. Clients are built once per container (cold start)
 * and reused across invocations; every log line and error is scrubbed of the keys it handled.
 */
export function createHandler(env: Record<string, string | undefined>, overrides: HandlerOverrides = {}): (event: unknown) => Promise<void> {
  const settings = settingsFrom(env);
  const module = defaultExchanges.find((m) => m.name === settings.exchange);
  if (!module) throw new Error(`LEAKGUARD_EXCHANGE ${settings.exchange} is not one of ${defaultExchanges.map((m) => m.name).join(', ')}`);
  const scrubber = new Scrubber();
  const clock = systemClock;
  const secrets = new SecretsClient(
    { region: settings.region, ...(settings.secretsManagerEndpoint ? { endpoint: settings.secretsManagerEndpoint } : {}), ...(overrides.awsCredentials ? { credentials: overrides.awsCredentials } : {}) },
    clock,
    scrubber,
  );
  const exchange = module.create(settings.exchangeBaseUrl ? { baseUrl: settings.exchangeBaseUrl } : {}, { clock, scrubber, ...(overrides.exchangeHeaders ? { headers: overrides.exchangeHeaders } : {}) });
  const deps: RotationDeps = {
    secrets,
    exchange,
    settings,
    now: () => clock.now(),
    log: (message, fields = {}) => console.log(scrubber.scrub(JSON.stringify({ level: 'info', message, ...fields }))),
  };
  return async (raw) => {
    const event = parseEvent(raw);
    try {
      await rotationStep(deps, event);
    } catch (err) {
      // Lambda logs and returns the thrown message: nothing in it may carry a key.
      const message = scrubber.scrub(err instanceof Error ? err.message : String(err));
      console.error(JSON.stringify({ level: 'error', step: event.Step, token: event.ClientRequestToken, message }));
      throw new Error(`${event.Step} failed: ${message}`);
    }
  };
}

let cached: ((event: unknown) => Promise<void>) | undefined;

/** The Lambda entry point (handler: index.handler). */
export async function handler(event: unknown): Promise<void> {
  cached ??= createHandler(process.env);
  await cached(event);
}
