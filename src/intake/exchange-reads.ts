import type { Credential } from '../core/credential.js';
import type { LeakGuardClients } from '../integrations/clients.js';
import type { Capabilities, KeyInfo, KeyMaterial, OpenOrder } from '../integrations/exchanges/exchange.js';

export type { Capabilities, KeyInfo, KeyMaterial, OpenOrder } from '../integrations/exchanges/exchange.js';

/**
 * The exchange reads a detector may make, through the credential's exchange adapter (its base URL,
 * pacing and error map): never a write. The exchange watch polls orders with its watch key and
 * compares the credential's own key description with the last one seen.
 */
export interface ExchangeReads {
  capabilities(credential: Credential): Capabilities;
  /** The open orders in the credential's trade scope, read with `key` (a watch key of the same account). */
  openOrders(credential: Credential, key: KeyMaterial, signal?: AbortSignal): Promise<OpenOrder[]>;
  /**
   * The credential's key in use (AWSCURRENT) as the exchange describes it: from LeakGuard's master
   * key's listing of the account when there is one (it works whatever IPs the key was bound to
   * since), else by a read signed with the key itself. Null when the listing lacks the key.
   */
  describeCurrent(credential: Credential, signal?: AbortSignal): Promise<KeyInfo | null>;
}

export function exchangeReads(clients: Pick<LeakGuardClients, 'secrets' | 'exchanges' | 'masterKey'>): ExchangeReads {
  return {
    capabilities: (c) => clients.exchanges.exchangeFor(c).capabilities,
    openOrders: (c, key, signal) => clients.exchanges.exchangeFor(c).listOpenOrders(key, c.trades, signal ? { signal } : {}),
    describeCurrent: async (c, signal) => {
      const { material } = await clients.secrets.readKey(c.secretId, {}, signal);
      const exchange = clients.exchanges.exchangeFor(c);
      const call = signal ? { signal } : {};
      if (!c.account.masterKey || !c.account.uid) return exchange.describeKey(material, call);
      const keys = await exchange.listKeys(await clients.masterKey(c, signal), c.account.uid, call);
      return keys.find((k) => k.keyId === material.apiKey) ?? null;
    },
  };
}
