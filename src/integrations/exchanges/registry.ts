import type { Config } from '../../config/schema.js';
import type { Credential, ExchangeName } from '../../core/credential.js';
import { BinanceExchange } from './binance/exchange.js';
import { BybitExchange } from './bybit/exchange.js';
import type { ExchangeDeps, ExchangeOptions } from './deps.js';
import type { Exchange } from './exchange.js';

export type ExchangeFactory = (config: Config['exchanges'], deps: ExchangeDeps) => Exchange;

/** Every exchange LeakGuard speaks: another one is one more file and one line here. */
export const exchanges: Record<ExchangeName, ExchangeFactory> = {
  bybit: (config, deps) => new BybitExchange(adapterOptions(config.bybit, deps), deps),
  binance: (config, deps) => new BinanceExchange(adapterOptions(config.binance, deps), deps),
};

function adapterOptions(config: { baseUrl?: string | undefined }, deps: ExchangeDeps): ExchangeOptions {
  return { ...(config.baseUrl ? { baseUrl: config.baseUrl } : {}), ...(deps.headers ? { headers: deps.headers } : {}) };
}

export interface Exchanges {
  exchangeFor(credential: Pick<Credential, 'exchange'>): Exchange;
}

/** One adapter per exchange, built on first use, for the credentials of this config. */
export function createExchanges(config: Pick<Config, 'exchanges'>, deps: ExchangeDeps): Exchanges {
  const built = new Map<ExchangeName, Exchange>();
  return {
    exchangeFor(credential) {
      let exchange = built.get(credential.exchange);
      if (!exchange) {
        exchange = exchanges[credential.exchange](config.exchanges, deps);
        built.set(credential.exchange, exchange);
      }
      return exchange;
    },
  };
}
