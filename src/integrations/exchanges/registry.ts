import type { Credential } from '../../core/credential.js';
import { binance } from './binance/index.js';
import { bybit } from './bybit/index.js';
import type { ExchangeDeps } from './deps.js';
import type { Exchange } from './exchange.js';
import type { ExchangeList } from './module.js';

/** Every exchange LeakGuard speaks: another one is one folder and one entry here. */
export const defaultExchanges: ExchangeList = [bybit, binance];

export interface Exchanges {
  exchangeFor(credential: Pick<Credential, 'exchange'>): Exchange;
}

/** One adapter per exchange, built on first use from its `exchanges.<name>` section. */
export function createExchanges(config: { exchanges: Record<string, unknown> }, deps: ExchangeDeps, list: ExchangeList = defaultExchanges): Exchanges {
  const modules = new Map(list.map((m) => [m.name, m]));
  const built = new Map<string, Exchange>();
  return {
    exchangeFor({ exchange: name }) {
      let exchange = built.get(name);
      if (!exchange) {
        const module = modules.get(name);
        if (!module) throw new Error(`exchange "${name}" is not registered; known: ${[...modules.keys()].join(', ')}`);
        // The config was validated against this module's schema (parseConfig, same list).
        exchange = module.create((config.exchanges[name] ?? {}) as never, deps);
        built.set(name, exchange);
      }
      return exchange;
    },
  };
}
