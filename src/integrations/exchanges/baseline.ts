import type { Credential } from '../../core/credential.js';

/** A baseline that would grant Withdraw is refused when the config loads, on every exchange: a new key never gets it. */
export function baselineProblems(credential: Credential, path: string): string[] {
  return Object.entries(credential.baseline?.permissions ?? {})
    .filter(([, perms]) => perms.some((p) => /^withdraw/i.test(p)))
    .map(([group]) => `${path}.baseline.permissions.${group}: Withdraw is never granted to a new key; remove it`);
}
