/** One observation from a detector. Evidence is redacted before it is built. */
export type Confidence = 'suspected' | 'confirmed';

export interface SignalInput {
  source: string;
  /** dotted, e.g. github.secret.public_leak */
  kind: string;
  credentialId: string | null;
  confidence: Confidence;
  observedAt: number;
  evidence: Record<string, unknown>;
  dedupKey: string;
}

export interface Signal extends SignalInput {
  id: string;
  receivedAt: number;
  incidentId: string | null;
}
