import { Type } from '@sinclair/typebox';
import { baselineProblems } from '../baseline.js';
import type { ExchangeModule } from '../module.js';
import { binanceErrors } from './errors.js';
import { BinanceExchange } from './exchange.js';

const configSchema = Type.Object(
  {
    baseUrl: Type.Optional(Type.String({ description: 'spot API root, e.g. https://api.binance.com' })),
    recvWindowMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 60_000, description: 'recvWindow of every signed request; default 5000' })),
  },
  { additionalProperties: false, default: {} },
);

/** Binance spot: key changes are human tasks, so a credential needs no master key (its baseline may still not grant Withdraw). */
export const binance: ExchangeModule<typeof configSchema> = {
  name: 'binance',
  title: 'Binance',
  configSchema,
  credentialProblems: baselineProblems,
  errors: binanceErrors,
  create: (config, deps) => new BinanceExchange({ ...config, headers: deps.headers }, deps),
};
