/** One observation from a detector. Evidence is redacted before it is built. */
export type Confidence = 'suspected' | 'confirmed';

/** The Secrets Manager stages a credential's key versions are matched at. */
export const KEY_STAGES = ['AWSCURRENT', 'AWSPENDING', 'AWSPREVIOUS'] as const;
export type KeyStage = (typeof KEY_STAGES)[number];

/**
 * Which key of a credential a signal's evidence matched (the credential matcher): one of its
 * Secrets Manager versions, or LeakGuard's master key for its account. An incident targets the
 * matched version: a leak of the AWSPREVIOUS key revokes that key, not the good one.
 */
export interface SignalMatch {
  /** `watch`: the exchange watch's own read key for the credential (detectors/exchange). */
  key: 'credential' | 'master' | 'watch';
  /** The stage the version held when matched; credential keys only. */
  stage?: KeyStage;
  versionId?: string;
  /** What matched: the key or the secret of a key pair, or an identifier (secret id or ARN, workload, UID). */
  field: 'api_key' | 'api_secret' | 'secret_id' | 'workload' | 'uid';
  /** The key's revocation was proved by an earlier incident: kept for the audit, never acted on. */
  revoked: boolean;
}

export interface SignalInput {
  source: string;
  /** dotted, e.g. github.secret.public_leak; `.unmatched` at the end when no credential matched */
  kind: string;
  credentialId: string | null;
  confidence: Confidence;
  /** When it happened, as the source says: evidence only (a sender can forge it); windows use receivedAt. */
  observedAt: number;
  evidence: Record<string, unknown>;
  dedupKey: string;
  match?: SignalMatch | null;
}

export interface Signal extends SignalInput {
  id: string;
  receivedAt: number;
  incidentId: string | null;
  match: SignalMatch | null;
}

/** The kind a signal about no credential of ours gets: stored for the audit, never acted on. */
export const UNMATCHED = '.unmatched';
