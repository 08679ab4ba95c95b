import type { StepContext } from '../../src/runner/responder.js';
import { client, credentialOf, targetOf } from '../lib/context.js';
import type { RotateParams } from './index.js';

/**
 * The new key's spec: the target's permissions, its IPs plus LeakGuard's egress IPs. A target
 * without an IP binding stays unbound: binding it to LeakGuard alone would lock the bot out.
 */
export function newKeySpec(ctx: StepContext, params: RotateParams) {
  const credential = credentialOf(ctx);
  const target = targetOf(ctx);
  const permissions = target.permissions && Object.keys(target.permissions).length ? target.permissions : params.permissions;
  if (!permissions)
    throw new Error(`the permissions of ${target.keyHint} are unknown (${target.describeError ?? 'not recorded when the incident opened'}); set params.permissions on the rotate step and retry`);
  if (!credential.account.uid) throw new Error(`credential ${credential.id} names no account.uid (the sub-account the new key belongs to); add it and retry`);
  const ips = target.ips?.length ? [...new Set([...target.ips, ...client(ctx, 'egressIps')])] : [];
  return { account: credential.account.uid, note: ctx.token, readOnly: params.readOnly, permissions, ips };
}
