import { fingerprint, keyHint } from '../../src/core/fingerprint.js';
import type { StepContext } from '../../src/runner/responder.js';
import { client, credentialOf, targetOf } from './context.js';
import { StringEnum } from './define.js';
import { lastOutputs } from './journal.js';
import { promoteOutputs } from '../promote/outputs.js';
import { rotateOutputs } from '../rotate/outputs.js';

/**
 * Which key a step acts on: the incident's target (the leaked or old key), the key rotate made,
 * the version promote made current (rollback), or the newest of target and new.
 */
export const KEY_CHOICES = ['target', 'new', 'promoted', 'latest'] as const;
export type KeyChoice = (typeof KEY_CHOICES)[number];
export const keyParam = (dflt: KeyChoice) => StringEnum(KEY_CHOICES, { default: dflt });

/** The key the latest rotate of this incident made. */
export function rotated(ctx: StepContext) {
  return lastOutputs(ctx, rotateOutputs);
}

/** The Secrets Manager version of the chosen key; undefined when it does not exist (yet). */
export function versionFor(ctx: StepContext, choice: KeyChoice): string | undefined {
  switch (choice) {
    case 'target':
      return targetOf(ctx).versionId;
    case 'new':
      return rotated(ctx)?.newVersionId;
    case 'promoted':
      return lastOutputs(ctx, promoteOutputs)?.currentVersionId;
    case 'latest':
      return rotated(ctx)?.newVersionId ?? targetOf(ctx).versionId;
  }
}

export interface LoadedKey {
  versionId: string;
  keyId: string;
  hint: string;
  fingerprint: string;
  material: { apiKey: string; apiSecret: string };
}

/** Reads a key by its VersionId (never by stage); the Secrets client registers it with the scrubber. */
export async function loadKey(ctx: StepContext, choice: KeyChoice): Promise<LoadedKey> {
  const versionId = versionFor(ctx, choice);
  if (!versionId) throw new Error(`there is no ${choice} key yet: the rotate step has not succeeded in this incident; run it first`);
  const v = await client(ctx, 'secrets').readVersion(credentialOf(ctx).secretId, versionId, ctx.signal);
  return {
    versionId,
    keyId: v.secret.api_key_id,
    hint: keyHint(v.secret.api_key_id),
    fingerprint: fingerprint(v.secret.api_key),
    material: v.material,
  };
}
