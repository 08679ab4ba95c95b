import type { SignalInput } from '../../src/core/signal.js';
import type { DetectorContext } from '../../src/intake/detector.js';
import type { EventBridgeConfig } from './config.js';
import type { TrailRecord } from './events.js';
import { secretsNamed } from './secrets.js';

const KINDS: Record<string, string> = {
  RotationSucceeded: 'aws.secretsmanager.rotation_succeeded',
  RotationFailed: 'aws.secretsmanager.rotation_failed',
  RotationAbandoned: 'aws.secretsmanager.rotation_abandoned',
};

/**
 * Secrets Manager's rotation service events (AWS Service Event via CloudTrail). Succeeded: the
 * matcher forgets the credential (its next question reads the new versions) and a signal says so,
 * for whatever schedules the old key's revoke. Failed or abandoned (the runbook's
 * SecretRotationFailed): a signal, and LeakGuard's active incident of the credential is moved to
 * needs_attention with the reason.
 */
export async function rotationEvent(ctx: DetectorContext<EventBridgeConfig>, r: TrailRecord, receivedAt: number, envelopeResources: string[]): Promise<SignalInput[]> {
  const kind = KINDS[r.eventName];
  if (!kind || r.eventSource !== 'secretsmanager.amazonaws.com') return [];
  const out: SignalInput[] = [];
  const seen = new Set<string>();
  for (const secretId of secretsNamed(r, envelopeResources)) {
    for (const { credentialId } of ctx.match.matchSecret(secretId)) {
      if (seen.has(credentialId)) continue;
      seen.add(credentialId);
      // What AWS adds to the event (the docs show SecretId; anything else it sends is kept as evidence, never relied on).
      const details = { ...(r.additionalEventData ?? {}), ...(r.serviceEventDetails ?? {}) };
      let incidentId: string | null = null;
      if (kind === KINDS.RotationSucceeded) ctx.match.forget(credentialId);
      else {
        const reason = `Secrets Manager reports ${r.eventName} for ${secretId} (event ${r.eventID}): the credential's rotation did not finish; see the rotation function's CloudWatch logs (runbook: SecretRotationFailed)`;
        ctx.logger.error({ credential: credentialId, secretId, event: r.eventName }, reason);
        incidentId = await ctx.attention(credentialId, reason);
      }
      out.push({
        source: 'eventbridge',
        kind,
        credentialId,
        confidence: 'confirmed',
        observedAt: Date.parse(r.eventTime ?? '') || receivedAt,
        evidence: { eventName: r.eventName, eventID: r.eventID, eventTime: r.eventTime ?? null, secretId, details, incidentMovedToNeedsAttention: incidentId },
        dedupKey: `rotation:${r.eventID}:${credentialId}`,
        match: { key: 'credential', field: 'secret_id', revoked: false },
      });
    }
  }
  return out;
}
