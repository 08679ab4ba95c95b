import type { TrailRecord } from './events.js';

/** Every way a CloudTrail record names the secret: requestParameters.secretId, the ARN answered (arn, or aRN before Feb 2024), resources, a service event's SecretId. */
export function secretsNamed(r: TrailRecord, envelopeResources: string[] = []): string[] {
  const out = new Set<string>();
  const add = (v: unknown) => typeof v === 'string' && v && out.add(v);
  add(r.requestParameters?.secretId);
  add(r.responseElements?.arn);
  add(r.responseElements?.aRN);
  add(r.additionalEventData?.SecretId);
  for (const res of r.resources ?? []) add(res.ARN ?? res.arn);
  for (const res of envelopeResources) add(res);
  return [...out];
}

/** Who called: the user's or role session's ARN, and the role behind a session (what config lists). */
export function principalsOf(r: TrailRecord): { arn: string | null; issuer: string | null } {
  return { arn: r.userIdentity?.arn ?? null, issuer: r.userIdentity?.sessionContext?.sessionIssuer?.arn ?? null };
}

/** Whether a principal is one of `listed` (an assumed-role session matches its role). */
export function listedPrincipal(r: TrailRecord, listed: readonly string[]): boolean {
  const { arn, issuer } = principalsOf(r);
  return listed.some((p) => p === arn || p === issuer);
}

/** The evidence of one call: who, from where, with what, and CloudTrail's ids (never a secret value: the record carries none for reads). */
export function callEvidence(r: TrailRecord, secretId: string): Record<string, unknown> {
  const { arn, issuer } = principalsOf(r);
  return {
    eventName: r.eventName,
    eventID: r.eventID,
    requestID: r.requestID ?? null,
    eventTime: r.eventTime ?? null,
    secretId,
    principal: arn,
    role: issuer,
    principalType: r.userIdentity?.type ?? null,
    accessKeyId: r.userIdentity?.accessKeyId ?? null,
    sourceIPAddress: r.sourceIPAddress ?? null,
    vpcEndpointId: r.vpcEndpointId ?? null,
    userAgent: r.userAgent ?? null,
    errorCode: r.errorCode ?? null,
  };
}
