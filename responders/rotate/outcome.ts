import { fingerprint, keyHint } from '../../src/core/fingerprint.js';
import type { StepContext } from '../../src/runner/responder.js';
import { client, credentialOf } from '../lib/context.js';
import type { Outcome } from '../lib/define.js';
import type { RotateOutputs } from './outputs.js';

/** What rotate records: the new version and the key's hint and fingerprint, read back from that version. */
export async function rotatedOutcome(ctx: StepContext, versionId: string, stage: RotateOutputs['stage'], message: string, baseline?: RotateOutputs['baseline']): Promise<Outcome<RotateOutputs>> {
  const secretId = credentialOf(ctx).secretId;
  const v = await client(ctx, 'secrets').readVersion(secretId, versionId, ctx.signal);
  await ctx.note('rotate.stored', `version ${versionId} of ${secretId} holds the new key (${stage})`, { versionId, stage });
  return { status: 'succeeded', outputs: { newVersionId: versionId, newKeyHint: keyHint(v.secret.api_key_id), newFingerprint: fingerprint(v.secret.api_key), stage, ...(baseline ? { baseline } : {}) }, message };
}
