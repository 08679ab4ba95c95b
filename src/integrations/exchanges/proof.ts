import { keyHint } from '../../core/fingerprint.js';
import { UNPROVEN, type Revoked } from '../../core/revocation.js';
import { IntegrationError } from '../errors.js';
import type { KeyInfo } from './exchange.js';

/** A revoke that could not show the key gone: not retried by the call (the step's own retries look again), and the step pages. */
export function unproven(system: string, detail: string, action: string, cause?: unknown): IntegrationError {
  return new IntegrationError({ system, operation: 'revoke key', kind: 'failed', retryable: false, code: UNPROVEN, detail, action, ...(cause ? { cause } : {}) });
}

export interface ListedDelete {
  system: string;
  keyId: string;
  account: string;
  /** The delete call signed by the master key; what it answers decides nothing. */
  remove(): Promise<unknown>;
  /** The master key's listing of `account`'s keys. */
  list(): Promise<KeyInfo[]>;
}

/**
 * Deletes a key with the master key, then proves it gone by the master key's listing of the
 * account: whatever the delete answered (an exchange's "no such key" code is a guess where its
 * documentation names none), only a listing without the key counts. A listing that fails, or
 * still has the key, is no proof.
 */
export async function deleteThenList(d: ListedDelete): Promise<Revoked> {
  const hint = keyHint(d.keyId);
  let refused: unknown;
  try {
    await d.remove();
  } catch (err) {
    refused = err;
  }
  let listed: boolean;
  try {
    listed = (await d.list()).some((k) => k.keyId === d.keyId);
  } catch (err) {
    if (refused) throw refused;
    throw unproven(d.system, `key ${hint} was deleted, but the master key could not list account ${d.account}'s keys to prove it: ${(err as Error).message}`, `check in ${d.system}'s API management that key ${hint} is gone, and that the master key works on the configured base URL`, err);
  }
  const evidence = `the master key's listing of account ${d.account} no longer has key ${hint}`;
  if (!listed) return { alreadyGone: refused !== undefined, proof: 'listing', evidence };
  if (refused) throw refused;
  throw unproven(d.system, `the delete of key ${hint} was acknowledged, yet the master key's listing of account ${d.account} still has it`, `delete key ${hint} in ${d.system}'s API management now; LeakGuard tries again`);
}
