import type { Credential } from '../core/credential.js';
import { keyHint } from '../core/fingerprint.js';
import type { LeakGuardClients } from '../integrations/clients.js';
import type { KeyInfo } from '../integrations/exchanges/exchange.js';

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
    try {
      const current = await clients.secrets.readKey(credential.secretId, {}, signal);
      const info = await exchange.describeKey(current.material, signal ? { signal } : {});
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
    } catch (err) {
      add(`LeakGuard's master key could not be checked: ${(err as Error).message}`);
    }
  }
  return problems;
}

/** Egress IPs an IP-bound key leaves out; an unbound key leaves out none. */
function missingIps(info: KeyInfo, egressIps: string[]): string[] {
  if (info.ips.length === 0) return [];
  return egressIps.filter((ip) => !info.ips.includes(ip));
}
