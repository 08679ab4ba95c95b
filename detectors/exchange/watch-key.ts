import type { SecretRef } from '../../src/core/credential.js';
import type { DetectorContext } from '../../src/intake/detector.js';
import type { KeyMaterial } from '../../src/intake/exchange-reads.js';
import { once } from '../../src/core/once.js';
import type { ExchangeConfig } from './config.js';

/**
 * A credential's watch key, read on first use and kept once read: its secret holds the runbook's
 * key JSON, whose two values are registered with the scrubber before anything can echo them.
 */
export function watchKeyReader(ctx: DetectorContext<ExchangeConfig>, credentialId: string, ref: SecretRef): () => Promise<KeyMaterial> {
  return once(async () => {
    const text = await ctx.secret(ref);
    let parsed: { api_key?: unknown; api_secret?: unknown };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      throw new Error(`detectors.exchange.watch.${credentialId}.key does not hold JSON: store the watch key as {"api_key","api_secret"}`);
    }
    if (typeof parsed.api_key !== 'string' || typeof parsed.api_secret !== 'string') {
      throw new Error(`detectors.exchange.watch.${credentialId}.key lacks api_key or api_secret: store the watch key as {"api_key","api_secret"}`);
    }
    ctx.scrubber.register(parsed.api_key);
    ctx.scrubber.register(parsed.api_secret);
    return { apiKey: parsed.api_key, apiSecret: parsed.api_secret };
  });
}
