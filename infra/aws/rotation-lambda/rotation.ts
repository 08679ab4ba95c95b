import { keyHint } from '../../../src/core/fingerprint.js';
import { AWSCURRENT, AWSPENDING, type SecretsClient } from '../../../src/integrations/aws/secrets.js';
import { IntegrationError } from '../../../src/integrations/errors.js';
import type { Exchange, KeyMaterial } from '../../../src/integrations/exchanges/exchange.js';
import type { RotationEvent } from './event.js';
import type { RotationSettings } from './settings.js';

export interface RotationDeps {
  secrets: SecretsClient;
  exchange: Exchange;
  settings: RotationSettings;
  now(): number;
  log(message: string, fields?: Record<string, unknown>): void;
}

/**
 * One step of Secrets Manager's rotation protocol, keyed by the event's ClientRequestToken.
 * Like AWS's SecretsManagerRotationTemplate, every step first checks that rotation is on and
 * that the token's version exists and is AWSPENDING; once that version is AWSCURRENT every step
 * is a no-op, so a repeated call changes nothing. The exchange makes the key in createSecret
 * (setSecret has nothing left to do); the new key's note is the token, which is how a key made
 * by a run that died before storing it is found and deleted.
 */
export async function rotationStep(deps: RotationDeps, event: RotationEvent): Promise<void> {
  const { secrets } = deps;
  const { Step: step, SecretId: arn, ClientRequestToken: token } = event;
  const { rotationEnabled, stages } = await secrets.describeRotation(arn);
  if (!rotationEnabled) throw new Error(`rotation is not enabled for ${arn}; turn it on with RotateSecret (RotationLambdaARN) before invoking this function`);
  const mine = stages[token];
  if (!mine) throw new Error(`${arn} has no version ${token}: Secrets Manager creates it before the first step; invoke the function through RotateSecret`);
  if (mine.includes(AWSCURRENT)) return deps.log(`${step}: version ${token} is already ${AWSCURRENT}; nothing to do`, { step, token });
  if (!mine.includes(AWSPENDING)) throw new Error(`version ${token} of ${arn} is not ${AWSPENDING}: this rotation was ended; start a new one with RotateSecret`);
  if (step === 'createSecret') return createSecret(deps, event);
  if (step === 'setSecret') return deps.log('setSecret: the exchange made the key in createSecret; nothing to set', { token });
  if (step === 'testSecret') return testSecret(deps, arn, token);
  await secrets.promote(arn, token);
  deps.log(`finishSecret: version ${token} is ${AWSCURRENT}; the key it replaces is AWSPREVIOUS until LeakGuard deletes it after the grace period`, { token });
}

async function createSecret(deps: RotationDeps, event: RotationEvent): Promise<void> {
  const { secrets, exchange, settings } = deps;
  const { SecretId: arn, ClientRequestToken: token } = event;
  // The current key must be readable: the bot's secret as the runbook writes it, or nothing is rotated.
  await secrets.readKey(arn, { stage: AWSCURRENT });
  if (await pendingValue(deps, arn, token)) return deps.log(`createSecret: version ${token} already holds a key; nothing to create`, { token });
  const master = (await secrets.readKey(settings.masterKeySecretId)).material;
  await deleteOrphans(deps, master, token);
  const key = await exchange.createKey(master, { account: settings.account, note: token, readOnly: false, permissions: settings.permissions, ips: settings.ips });
  const secret = {
    api_key: key.material.apiKey,
    api_secret: key.material.apiSecret,
    api_key_id: key.info.keyId,
    created_at: new Date(deps.now()).toISOString(),
    created_by: 'leakguard-rotation-lambda',
    rotation_reason: 'scheduled rotation by Secrets Manager',
  };
  await secrets.writeKey(arn, token, secret, AWSPENDING, undefined, event.RotationToken);
  deps.log(`createSecret: new key ${keyHint(key.info.keyId)} stored as ${AWSPENDING} under version ${token}`, { token, keyHint: keyHint(key.info.keyId) });
}

/** The key the token's version holds, or undefined while it holds none (RotateSecret made it empty). */
async function pendingValue(deps: RotationDeps, arn: string, token: string): Promise<KeyMaterial | undefined> {
  try {
    return (await deps.secrets.readKey(arn, { versionId: token })).material;
  } catch (err) {
    // DescribeSecret just listed the version: not_found here can only mean it has no value yet.
    if (err instanceof IntegrationError && err.kind === 'not_found') return undefined;
    throw err;
  }
}

/** Keys an earlier run made under this token but never stored: nobody can use them (their secret is gone), so they are deleted. */
async function deleteOrphans(deps: RotationDeps, master: KeyMaterial, token: string): Promise<void> {
  const { exchange, settings } = deps;
  for (const k of (await exchange.listKeys(master, settings.account)).filter((k) => k.note === token)) {
    await exchange.revokeKey({ keyId: k.keyId, master, account: settings.account });
    deps.log(`createSecret: deleted key ${keyHint(k.keyId)}, made by an earlier run under this token and never stored`, { token, keyHint: keyHint(k.keyId) });
  }
}

/** The pending key signs a request and the exchange reports it as made: the account and permissions asked for, not read-only. */
async function testSecret(deps: RotationDeps, arn: string, token: string): Promise<void> {
  const { exchange, settings } = deps;
  const pending = await pendingValue(deps, arn, token);
  if (!pending) throw new Error(`version ${token} of ${arn} holds no key yet; createSecret must run first`);
  const info = await exchange.describeKey(pending);
  const wrong = [
    ...(info.account === settings.account ? [] : [`belongs to account ${info.account}, not ${settings.account}`]),
    ...(info.readOnly ? ['is read-only'] : []),
    ...Object.entries(settings.permissions).flatMap(([group, perms]) => perms.filter((p) => !(info.permissions[group] ?? []).includes(p)).map((p) => `lacks ${group}.${p}`)),
  ];
  if (wrong.length) throw new Error(`the new key ${keyHint(info.keyId)} ${wrong.join(', ')}; check LEAKGUARD_KEY_PERMISSIONS and the master key's rights`);
  deps.log(`testSecret: the new key ${keyHint(info.keyId)} works`, { token, keyHint: keyHint(info.keyId) });
}
