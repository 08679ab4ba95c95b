import { Type, type TProperties } from '@sinclair/typebox';
import type { SecretRef } from '../core/credential.js';

/** A detector's config section: `enabled` and `silentAfterMinutes` for every detector, then its own properties. */
export function detectorSection<P extends TProperties>(properties: P, description: string) {
  return Type.Object(
    {
      enabled: Type.Boolean({ default: false }),
      silentAfterMinutes: Type.Optional(
        Type.Integer({ minimum: 1, description: 'alert when nothing was heard from the source for this long (a deleted webhook, a broken rule); off when absent' }),
      ),
      ...properties,
    },
    { additionalProperties: false, default: {}, description },
  );
}

/** What is wrong with a secret reference a detector needs, as "path: …" lines (config check and start). */
export function secretRefWarnings(path: string, ref: SecretRef | undefined, env: NodeJS.ProcessEnv, without: string): string[] {
  if (!ref) return [`${path}: not set while the detector is enabled; ${without}; set it to {env: NAME} or {secretsManager: ID}`];
  if ('env' in ref && !env[ref.env]) return [`${path}: the environment variable ${ref.env} is not set here; ${without}`];
  return [];
}
