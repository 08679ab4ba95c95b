import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** The function's environment: written once, giving both the type and the check at cold start. */
const Env = Type.Object({
  LEAKGUARD_EXCHANGE: Type.String({ default: 'bybit', description: 'the exchange module of src/integrations/exchanges' }),
  LEAKGUARD_MASTER_KEY_SECRET_ID: Type.String({ minLength: 1, description: "the secret holding LeakGuard's master key ({api_key, api_secret})" }),
  LEAKGUARD_ACCOUNT_UID: Type.String({ minLength: 1, description: 'the sub-account whose key is rotated' }),
  LEAKGUARD_KEY_PERMISSIONS: Type.String({ minLength: 2, description: 'JSON: the new key\'s permissions, e.g. {"ContractTrade":["Order","Position"]}' }),
  LEAKGUARD_KEY_IPS: Type.String({ minLength: 1, description: "comma-separated IPs the new key is bound to (the bot's and this function's egress)" }),
  LEAKGUARD_EXCHANGE_BASE_URL: Type.Optional(Type.String({ minLength: 1 })),
  LEAKGUARD_SECRETSMANAGER_ENDPOINT: Type.Optional(Type.String({ minLength: 1, description: 'a VPC endpoint of Secrets Manager' })),
  AWS_REGION: Type.String({ minLength: 1 }),
});

export interface RotationSettings {
  exchange: string;
  masterKeySecretId: string;
  account: string;
  permissions: Record<string, string[]>;
  ips: string[];
  exchangeBaseUrl?: string;
  secretsManagerEndpoint?: string;
  region: string;
}

const Permissions = Type.Record(Type.String(), Type.Array(Type.String()));

/** The settings from the environment; what is wrong is named by variable, so the operator knows which to fix. */
export function settingsFrom(env: Record<string, string | undefined>): RotationSettings {
  const e = Value.Default(Env, { ...env }) as Static<typeof Env>;
  const problems = [...Value.Errors(Env, e)].map((err) => `${err.path.slice(1) || 'environment'}: ${err.message}`);
  let permissions: unknown;
  try {
    permissions = JSON.parse(e.LEAKGUARD_KEY_PERMISSIONS ?? '');
  } catch {
    permissions = undefined;
  }
  if (!Value.Check(Permissions, permissions)) problems.push('LEAKGUARD_KEY_PERMISSIONS: must be a JSON object of permission group -> list of permissions');
  if (problems.length) throw new Error(`the rotation function's environment is incomplete; set these variables in its configuration: ${problems.join('; ')}`);
  return {
    exchange: e.LEAKGUARD_EXCHANGE,
    masterKeySecretId: e.LEAKGUARD_MASTER_KEY_SECRET_ID,
    account: e.LEAKGUARD_ACCOUNT_UID,
    permissions: permissions as Record<string, string[]>,
    ips: e.LEAKGUARD_KEY_IPS.split(',').map((ip) => ip.trim()).filter(Boolean),
    region: e.AWS_REGION,
    ...(e.LEAKGUARD_EXCHANGE_BASE_URL ? { exchangeBaseUrl: e.LEAKGUARD_EXCHANGE_BASE_URL } : {}),
    ...(e.LEAKGUARD_SECRETSMANAGER_ENDPOINT ? { secretsManagerEndpoint: e.LEAKGUARD_SECRETSMANAGER_ENDPOINT } : {}),
  };
}
