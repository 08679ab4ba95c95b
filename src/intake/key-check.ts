import type { Credential } from '../core/credential.js';
import type { LeakGuardClients } from '../integrations/clients.js';
import type { CredentialMatch } from './matcher.js';

/**
 * What an authenticated read with a matched key showed: it works (`live`: a leak of it is
 * confirmed), the exchange refused it (`refused`: not proof of a revocation, which only the
 * master key's listing gives), or nothing could be learned (`unknown`, with why).
 */
export interface KeyCheckResult {
  state: 'live' | 'refused' | 'unknown';
  detail: string;
}

export type KeyCheck = (match: CredentialMatch, signal?: AbortSignal) => Promise<KeyCheckResult>;

/** Reads the matched version's key (or the master key) from where LeakGuard keeps it and asks the exchange about it. */
export function keyCheck(credentials: (id: string) => Credential | undefined, clients: Pick<LeakGuardClients, 'secrets' | 'exchanges' | 'masterKey'>): KeyCheck {
  return async (match, signal) => {
    const credential = credentials(match.credentialId);
    if (!credential) return { state: 'unknown', detail: `credential ${match.credentialId} is not configured` };
    // The watch key is LeakGuard's own read key: whether it still works is the exchange watch's health, not a trading key's proof.
    if (match.key === 'watch') return { state: 'unknown', detail: 'the exchange watch key is read-only; its leak is reported, not checked' };
    const exchange = clients.exchanges.exchangeFor(credential);
    if (exchange.capabilities.queryKey !== 'api') return { state: 'unknown', detail: `${exchange.name} keys cannot be queried over its API` };
    try {
      const material =
        match.key === 'master'
          ? await clients.masterKey(credential, signal)
          : match.versionId
            ? (await clients.secrets.readVersion(credential.secretId, match.versionId, signal)).material
            : (await clients.secrets.readKey(credential.secretId, {}, signal)).material;
      const info = await exchange.describeKey(material, signal ? { signal } : {});
      return { state: 'live', detail: `the key works at ${exchange.name} (read-only permissions: ${info.readOnly ? 'yes' : 'no'})` };
    } catch (err) {
      if ((err as { kind?: string }).kind === 'invalid_key') return { state: 'refused', detail: `${exchange.name} refused the key: ${(err as Error).message}` };
      return { state: 'unknown', detail: (err as Error).message };
    }
  };
}
