/**
 * How a key was shown to be gone (DESIGN.md: revocation is proved, never assumed): the master
 * key's listing of the account's keys no longer has it; or the key gets the exchange's
 * invalid-key answer while the master key authenticates on the same base URL in the same step
 * (Bybit answers 10003 to a key on the wrong domain too); or a person deleted it (an exchange
 * without a key API). An answer to the delete call proves nothing on its own.
 */
export const REVOCATION_PROOFS = ['listing', 'invalid_key', 'person'] as const;
export type RevocationProof = (typeof REVOCATION_PROOFS)[number];

/** What a revoke established: whether the key was gone before the call, the proof, and that proof in words (key hints only). */
export interface Revoked {
  alreadyGone: boolean;
  proof: RevocationProof;
  evidence: string;
}

/** The error code of a revoke whose key could not be proved gone: the step fails and pages. */
export const UNPROVEN = 'revocation_unproven';
