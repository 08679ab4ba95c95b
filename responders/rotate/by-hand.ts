import { Type } from '@sinclair/typebox';
import type { HumanTaskKind, StepContext } from '../../src/runner/responder.js';
import { client, credentialOf, exchangeOf, targetOf } from '../lib/context.js';
import { askHuman, humanTaskKind, NOTE } from '../lib/human.js';
import { findBaseline, withoutWithdraw, type ResolvedBaseline } from './baseline.js';
import { ensureStage } from './recover.js';
import type { RotateParams } from './index.js';
import type { Outcome } from '../lib/define.js';
import type { RotateOutputs } from './outputs.js';

/**
 * Where the exchange has no API for keys (Binance), a person creates the key. The confirmation
 * carries it to completeTask (src/incidents/complete-task.ts), which writes it straight to
 * Secrets Manager as the version named after the task (this step's token) and keeps nothing
 * of it; this step then adopts that version.
 */
/** The key a person made: it goes to Secrets Manager and nowhere else (completeTask). */
export const NEW_KEY: HumanTaskKind = {
  ...humanTaskKind('new-key', { api_key: Type.String({ minLength: 1, maxLength: 1_024 }), api_secret: Type.String({ minLength: 1, maxLength: 4_096 }), note: NOTE }),
  newKey: true,
};

export async function rotateByHand(ctx: StepContext, params: RotateParams): Promise<Outcome<RotateOutputs>> {
  const credential = credentialOf(ctx);
  await askHuman(ctx, NEW_KEY, instructions(ctx, params, await findBaseline(ctx, params.permissions)));
  const version = await client(ctx, 'secrets').findVersion(credential.secretId, ctx.token, ctx.signal);
  if (!version) throw new Error(`task ${ctx.token} was completed without a key, so ${credential.secretId} holds no version for it; the next attempt opens a new task: complete that one with api_key and api_secret`);
  return ensureStage(ctx, version, params.stage, 'stored the key a person created');
}

/**
 * Exactly what to do in the exchange's UI: which permissions and IPs (the baseline's, else what
 * the old key had before the incident, as the person knows it), and where the key goes.
 */
function instructions(ctx: StepContext, params: RotateParams, baseline: ResolvedBaseline | undefined): string {
  const credential = credentialOf(ctx);
  const target = targetOf(ctx);
  const egress = client(ctx, 'egressIps');
  const before = `the key starting ${target.keyHint} had before the incident`;
  const ips = baseline?.ips.length
    ? [...new Set([...baseline.ips, ...egress])].join(', ')
    : `the IP access list ${before}${egress.length ? ` plus LeakGuard's egress IPs ${egress.join(', ')}` : ''}`;
  const permissions = baseline ? `the permissions of ${baseline.source} (${JSON.stringify(withoutWithdraw(baseline.permissions))})` : `the permissions ${before}`;
  return [
    `In the ${exchangeOf(ctx).name} API management page, create a new API key for credential ${credential.id}`,
    `with ${params.readOnly ? 'read-only access' : permissions}, never withdrawals,`,
    `restricted to these IPs: ${ips}.`,
    `Then complete task ${ctx.token} with {"api_key": "...", "api_secret": "..."} through LeakGuard's task API: the key goes straight to Secrets Manager (${credential.secretId}) and nowhere else.`,
    'Never paste the secret into chat or a ticket.',
  ].join(' ');
}
