import type { Credential } from '../core/credential.js';
import { keyHint } from '../core/fingerprint.js';
import type { LeakGuardClients } from '../integrations/clients.js';
import type { Exchange, KeyInfo, KeyMaterial } from '../integrations/exchanges/exchange.js';

export interface CredentialProblem {
  credentialId: string;
  problem: string;
}

/**
 * The startup check: LeakGuard must be able to act when a leak happens, so before one does
 * it checks, per credential, that its egress IPs are on the key (an IP-bound key refuses
 * LeakGuard's cancel otherwise) and that its master key can create sub-account keys and
 * cannot withdraw. Every problem names the credential and what to change.
 */
export async function checkCredentials(credentials: Credential[], clients: Pick<LeakGuardClients, 'secrets' | 'exchanges' | 'masterKey' | 'egressIps'>, signal?: AbortSignal): Promise<CredentialProblem[]> {
  const problems: CredentialProblem[] = [];
  for (const credential of credentials) {
    const add = (problem: string) => problems.push({ credentialId: credential.id, problem });
    const exchange = clients.exchanges.exchangeFor(credential);
    if (exchange.capabilities.queryKey !== 'api') continue;
    let keyId: string | undefined;
    try {
      const current = await clients.secrets.readKey(credential.secretId, {}, signal);
      const info = await exchange.describeKey(current.material, signal ? { signal } : {});
      keyId = info.keyId;
      const missing = missingIps(info, clients.egressIps);
      if (missing.length) add(`its key ${keyHint(info.keyId)} is bound to IPs that leave out LeakGuard's egress IP(s) ${missing.join(', ')}; add them to the key at ${credential.exchange}, or LeakGuard cannot cancel orders with it`);
    } catch (err) {
      add(`its key could not be checked: ${(err as Error).message}`);
    }
    if (!credential.account.masterKey) continue;
    try {
      const master = await clients.masterKey(credential, signal);
      const info = await exchange.describeKey(master, signal ? { signal } : {});
      for (const p of exchange.masterKeyProblems(info)) add(`LeakGuard's master key ${keyHint(info.keyId)}: ${p}`);
      const missing = missingIps(info, clients.egressIps);
      if (missing.length) add(`LeakGuard's master key ${keyHint(info.keyId)} is not bound to LeakGuard's egress IP(s) ${missing.join(', ')}; bind it to them`);
      if (credential.account.uid && exchange.capabilities.revokeKey === 'api') {
        const problem = await listingProblem(exchange, master, credential.account.uid, keyId, signal);
        if (problem) add(`LeakGuard's master key ${keyHint(info.keyId)} ${problem}`);
      }
    } catch (err) {
      add(`LeakGuard's master key could not be checked: ${(err as Error).message}`);
    }
  }
  return problems;
}

/** Why the master key's listing of the sub-account could not prove a revoke; undefined when it can. */
async function listingProblem(exchange: Exchange, master: KeyMaterial, uid: string, keyId: string | undefined, signal?: AbortSignal): Promise<string | undefined> {
  let keys: KeyInfo[];
  try {
    keys = await exchange.listKeys(master, uid, signal ? { signal } : {});
  } catch (err) {
    return `cannot list the keys of sub-account ${uid}, so LeakGuard could not prove a revoke: ${(err as Error).message}`;
  }
  if (keyId && !keys.some((k) => k.keyId === keyId)) return `does not see the credential's key ${keyHint(keyId)} among sub-account ${uid}'s keys, so LeakGuard could not prove a revoke; check account.uid and exchanges.${exchange.name}.baseUrl`;
  return undefined;
}

/** Egress IPs an IP-bound key leaves out; an unbound key leaves out none. */
function missingIps(info: KeyInfo, egressIps: string[]): string[] {
  if (info.ips.length === 0) return [];
  return egressIps.filter((ip) => !info.ips.includes(ip));
}
