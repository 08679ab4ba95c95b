import { Type } from '@sinclair/typebox';
import { baselineProblems } from '../baseline.js';
import type { ExchangeModule } from '../module.js';
import { bybitErrors } from './errors.js';
import { BybitExchange } from './exchange.js';

const configSchema = Type.Object(
  {
    baseUrl: Type.Optional(Type.String({ description: 'V5 API root: mainnet, testnet or demo' })),
    recvWindowMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 60_000, description: 'recv_window of every signed request; default 5000' })),
  },
  { additionalProperties: false, default: {} },
);

export const bybit: ExchangeModule<typeof configSchema> = {
  name: 'bybit',
  title: 'Bybit',
  configSchema,
  credentialProblems: (credential, path) => [
    ...(credential.account.masterKey ? [] : [`${path}.account.masterKey: required for bybit (LeakGuard's master key creates and deletes sub-account keys)`]),
    ...baselineProblems(credential, path),
  ],
  errors: bybitErrors,
  create: (config, deps) => new BybitExchange({ ...config, headers: deps.headers }, deps),
};
