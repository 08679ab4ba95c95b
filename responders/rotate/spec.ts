import type { StepContext } from '../../src/runner/responder.js';
import { client, credentialOf, targetOf } from '../lib/context.js';
import { baselineOf, withoutWithdraw, type ResolvedBaseline } from './baseline.js';
import type { RotateParams } from './index.js';

/**
 * The new key's spec: the credential's baseline permissions (never Withdraw), its IPs plus
 * LeakGuard's egress IPs; a baseline without IPs stays unbound (binding it to LeakGuard alone
 * would lock the bot out). What the leaked key shows now is only compared, never copied.
 */
export async function newKeySpec(ctx: StepContext, params: RotateParams) {
  const credential = credentialOf(ctx);
  if (!credential.account.uid) throw new Error(`credential ${credential.id} names no account.uid (the sub-account the new key belongs to); add it and retry`);
  const baseline = await baselineOf(ctx, params.permissions);
  const permissions = withoutWithdraw(baseline.permissions);
  const ips = baseline.ips.length ? [...new Set([...baseline.ips, ...client(ctx, 'egressIps')])] : [];
  await noteDrift(ctx, baseline);
  return { spec: { account: credential.account.uid, note: ctx.token, readOnly: params.readOnly, permissions, ips }, baseline: { permissions, ips, source: baseline.source } };
}

/** The leaked key's settings as read when the incident opened, where they differ from the baseline: evidence of tampering, said, never used. */
async function noteDrift(ctx: StepContext, baseline: ResolvedBaseline): Promise<void> {
  const target = targetOf(ctx);
  if (!target.permissions) return;
  const norm = (p: Record<string, string[]>) => JSON.stringify(Object.keys(p).sort().map((g) => [g, [...p[g]!].sort()]));
  const sameIps = (a: string[], b: string[]) => [...a].sort().join(',') === [...b].sort().join(',');
  if (norm(target.permissions) === norm(baseline.permissions) && sameIps(target.ips ?? [], baseline.ips)) return;
  await ctx.note('rotate.baseline_drift', `key ${target.keyHint} showed other permissions or IPs than the baseline from ${baseline.source} when the incident opened; the new key gets the baseline`, {
    leaked: { permissions: target.permissions, ips: target.ips ?? [] },
    baseline: { permissions: baseline.permissions, ips: baseline.ips },
  });
}
