/**
 * The staging-label rules of Secrets Manager versions, apart from the wire protocol:
 * a label sits on at most one version; moving AWSCURRENT puts AWSPREVIOUS on the version
 * it left; a version left without labels is deprecated (kept, but listed only with
 * IncludeDeprecated).
 */
export const AWSCURRENT = 'AWSCURRENT';
export const AWSPREVIOUS = 'AWSPREVIOUS';
export const AWSPENDING = 'AWSPENDING';

export interface SecretVersion {
  versionId: string;
  secretString?: string;
  /** Base64, as on the wire. */
  secretBinary?: string;
  stages: string[];
  createdAt: number;
  lastAccessedAt?: number;
}

export interface Secret {
  name: string;
  arn: string;
  description?: string;
  kmsKeyId?: string;
  tags?: unknown[];
  createdAt: number;
  lastChangedAt: number;
  lastAccessedAt?: number;
  lastRotatedAt?: number;
  nextRotationAt?: number;
  rotationEnabled: boolean;
  rotationLambdaArn?: string;
  rotationRules?: Record<string, unknown>;
  /** In creation order. */
  versions: SecretVersion[];
}

export function holderOf(secret: Secret, stage: string): SecretVersion | undefined {
  return secret.versions.find((v) => v.stages.includes(stage));
}

export function versionById(secret: Secret, versionId: string): SecretVersion | undefined {
  return secret.versions.find((v) => v.versionId === versionId);
}

/** Labels as AWS lists them (recorded responses show them sorted). */
export function stagesOf(version: SecretVersion): string[] {
  return [...version.stages].sort();
}

/**
 * Attaches `stage` to `to` (or removes it when `to` is undefined), taking it from the
 * version that held it. When AWSCURRENT moves, the version it left gets AWSPREVIOUS and
 * loses AWSPENDING: recorded AWS responses show a version that held AWSCURRENT and
 * AWSPENDING keeping only AWSPREVIOUS once a newer AWSCURRENT was put.
 */
export function moveStage(secret: Secret, stage: string, to: SecretVersion | undefined): void {
  const from = holderOf(secret, stage);
  if (from === to) return;
  if (from) detach(from, stage);
  if (to) attach(to, stage);
  if (stage === AWSCURRENT && from && to) {
    const previous = holderOf(secret, AWSPREVIOUS);
    if (previous) detach(previous, AWSPREVIOUS);
    attach(from, AWSPREVIOUS);
    detach(from, AWSPENDING);
  }
}

export function detach(version: SecretVersion, stage: string): void {
  version.stages = version.stages.filter((s) => s !== stage);
}

function attach(version: SecretVersion, stage: string): void {
  if (!version.stages.includes(stage)) version.stages.push(stage);
}
