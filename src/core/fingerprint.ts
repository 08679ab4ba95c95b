import { createHash } from 'node:crypto';

/** SHA-256 hex of key material: the only form in which LeakGuard keeps it. */
export function fingerprint(material: string): string {
  return createHash('sha256').update(material, 'utf8').digest('hex');
}

/** The first 4 characters of a key id and an ellipsis; enough to find it in the exchange UI. */
export function keyHint(keyId: string): string {
  return `${keyId.slice(0, 4)}…`;
}
