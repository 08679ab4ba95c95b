import type { SignalInput } from '../../src/core/signal.js';
import { sameSecret } from '../../src/intake/matcher.js';
import type { EventBridgeConfig } from './config.js';
import type { TrailRecord } from './events.js';
import { callEvidence, secretsNamed } from './secrets.js';

/** Reads of a secret's value; a refused read of a decoy is as telling as an answered one. */
const READS = new Set(['GetSecretValue']);

/**
 * The confirmed signals a CloudTrail record gives when it reads a decoy secret: one per guarded
 * credential, with who read it, from where and with what. LeakGuard never reads a decoy (its IAM
 * policy denies it), so no own read is excused.
 */
export function decoyReads(config: EventBridgeConfig, r: TrailRecord, envelopeResources: string[], receivedAt: number): SignalInput[] {
  if (r.eventSource !== 'secretsmanager.amazonaws.com' || !READS.has(r.eventName)) return [];
  const named = secretsNamed(r, envelopeResources);
  const out: SignalInput[] = [];
  for (const decoy of config.decoys) {
    const hit = named.find((s) => sameSecret(decoy.secretId, s));
    if (!hit) continue;
    for (const credentialId of decoy.guards) {
      out.push({
        source: 'eventbridge',
        kind: 'aws.decoy.read',
        credentialId,
        confidence: 'confirmed',
        observedAt: Date.parse(r.eventTime ?? '') || receivedAt,
        evidence: { ...callEvidence(r, hit), decoy: decoy.secretId, why: 'a decoy secret that nothing legitimate reads was read: whoever did holds access to the secrets it sits beside' },
        dedupKey: `decoy:${r.eventID}:${credentialId}`,
      });
    }
  }
  return out;
}
