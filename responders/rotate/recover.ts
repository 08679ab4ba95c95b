import { keyHint } from '../../src/core/fingerprint.js';
import { idempotencyToken, type StepContext } from '../../src/runner/responder.js';
import { client, credentialOf, exchangeOf } from '../lib/context.js';
import { rotatedOutcome } from './outcome.js';
import type { Outcome } from '../lib/define.js';
import type { RotateOutputs } from './outputs.js';

/** This step's token for every attempt so far: an earlier attempt may have left a version or a key. */
export function tokensSoFar(ctx: StepContext): string[] {
  return Array.from({ length: ctx.key.attempt }, (_, i) => idempotencyToken({ ...ctx.key, attempt: i + 1 }));
}

/**
 * A version written under one of our tokens is the rotation's result: adopt it, create nothing.
 * With `stage`, the version is brought to that stage first (a person's key arrives as AWSPENDING).
 */
export async function adopt(ctx: StepContext, tokens: string[], stage?: RotateOutputs['stage']): Promise<Outcome<RotateOutputs> | undefined> {
  const credential = credentialOf(ctx);
  const versions = await client(ctx, 'secrets').listVersions(credential.secretId, ctx.signal);
  const mine = versions.find((v) => tokens.includes(v.versionId));
  if (!mine) return undefined;
  await ctx.note('rotate.adopted', `version ${mine.versionId} is already stored under this step's token (by an interrupted attempt, or a person's key); adopting it`, { versionId: mine.versionId, stages: mine.stages });
  const message = `adopted version ${mine.versionId}`;
  if (stage) return ensureStage(ctx, mine, stage, message);
  return rotatedOutcome(ctx, mine.versionId, mine.stages.includes('AWSCURRENT') ? 'AWSCURRENT' : 'AWSPENDING', message);
}

/** Makes a version AWSCURRENT when the playbook asks for it (break-glass); AWSPENDING is how it was written. */
export async function ensureStage(ctx: StepContext, version: { versionId: string; stages: string[] }, stage: RotateOutputs['stage'], message: string): Promise<Outcome<RotateOutputs>> {
  if (stage === 'AWSCURRENT' && !version.stages.includes('AWSCURRENT')) {
    await ctx.checkpoint();
    await client(ctx, 'secrets').promote(credentialOf(ctx).secretId, version.versionId, ctx.signal);
  }
  return rotatedOutcome(ctx, version.versionId, stage === 'AWSCURRENT' || version.stages.includes('AWSCURRENT') ? 'AWSCURRENT' : 'AWSPENDING', message);
}

/** Keys made by an interrupted attempt whose secret never reached Secrets Manager: unusable, so deleted. */
export async function sweepOrphans(ctx: StepContext, master: { apiKey: string; apiSecret: string }): Promise<number> {
  const credential = credentialOf(ctx);
  const exchange = exchangeOf(ctx);
  const tokens = tokensSoFar(ctx);
  const orphans = (await exchange.listKeys(master, credential.account.uid!, { signal: ctx.signal })).filter((k) => tokens.includes(k.note));
  for (const k of orphans) {
    await ctx.checkpoint();
    await exchange.revokeKey({ keyId: k.keyId, master, account: credential.account.uid }, { signal: ctx.signal });
    await ctx.note('rotate.orphan_deleted', `deleted key ${keyHint(k.keyId)}: an interrupted attempt made it but never stored it`, { keyHint: keyHint(k.keyId), note: k.note });
  }
  return orphans.length;
}

/**
 * The write failed: if Secrets Manager positively has no version under our token, the new key
 * is unusable and is deleted now. If that cannot be told (Secrets Manager unreachable), the key
 * stays for the next attempt, which adopts the version or sweeps the key by its note.
 */
export async function discardUnstored(ctx: StepContext, master: { apiKey: string; apiSecret: string }, keyId: string): Promise<void> {
  const credential = credentialOf(ctx);
  try {
    if (await client(ctx, 'secrets').findVersion(credential.secretId, ctx.token)) return;
    await exchangeOf(ctx).revokeKey({ keyId, master, account: credential.account.uid });
    await ctx.note('rotate.discarded', `deleted the new key ${keyHint(keyId)}: it could not be stored in Secrets Manager`, { keyHint: keyHint(keyId) });
  } catch (err) {
    await ctx.note('rotate.discard_failed', `the new key ${keyHint(keyId)} could not be cleaned up now (${(err as Error).message}); the next attempt finds it by its note and deletes it`, { keyHint: keyHint(keyId) });
  }
}
