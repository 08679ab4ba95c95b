import type { SignalInput } from '../../src/core/signal.js';
import type { EventBridgeConfig } from './config.js';
import type { Finding } from './events.js';

/** The name an IAM finding gives a principal (accessKeyDetails.userName): a role's or user's name, the ARN's last segment. */
const nameOf = (arn: string) => arn.split('/').pop() ?? arn;

/**
 * A GuardDuty finding at or above minSeverity that names a principal or access key of a
 * credential (resource.accessKeyDetails); one naming LeakGuard's own role concerns every
 * credential. One signal per finding update (its updatedAt).
 */
export function findingSignals(config: EventBridgeConfig, f: Finding, credentialIds: readonly string[], receivedAt: number): SignalInput[] {
  if (f.severity < config.guardDuty.minSeverity) return [];
  const key = f.resource?.accessKeyDetails;
  if (!key) return [];
  const names = (arns: readonly string[]) => arns.some((a) => nameOf(a) === key.userName);
  const own = names(config.leakguardPrincipals);
  const concerned = credentialIds.filter((id) => own || names(config.credentials[id]?.principals ?? []) || (key.accessKeyId !== undefined && (config.guardDuty.accessKeyIds[id] ?? []).includes(key.accessKeyId)));
  return concerned.map((credentialId) => ({
    source: 'eventbridge',
    kind: 'aws.guardduty.finding',
    credentialId,
    confidence: 'suspected',
    observedAt: Date.parse(f.updatedAt ?? '') || receivedAt,
    evidence: {
      findingId: f.id,
      type: f.type,
      severity: f.severity,
      title: f.title ?? null,
      updatedAt: f.updatedAt ?? null,
      count: f.service?.count ?? null,
      accessKeyId: key.accessKeyId ?? null,
      userName: key.userName ?? null,
      userType: key.userType ?? null,
      leakguardIdentity: own,
    },
    dedupKey: `guardduty:${f.id}:${f.updatedAt ?? ''}:${credentialId}`,
  }));
}
