import { BinanceError, errors } from './errors.js';

/**
 * A symbol's filters as GET /api/v3/exchangeInfo gives them (filters.md): PRICE_FILTER, LOT_SIZE,
 * NOTIONAL and PERCENT_PRICE_BY_SIDE, with the market it is checked against (best bid and ask,
 * and the average price PERCENT_PRICE_BY_SIDE uses). Orders on a symbol without rules are not checked.
 */
export interface SymbolRules {
  symbol: string;
  tickSize: string;
  minPrice: string;
  maxPrice: string;
  stepSize: string;
  minQty: string;
  minNotional: string;
  /** PERCENT_PRICE_BY_SIDE: a BUY within [avg × bidDown, avg × bidUp], a SELL within [avg × askDown, avg × askUp]. */
  bidMultiplierUp: string;
  bidMultiplierDown: string;
  askMultiplierUp: string;
  askMultiplierDown: string;
  bid: string;
  ask: string;
  avgPrice: string;
}

const filterFailure = (name: string) => new BinanceError(-1013, `Filter failure: ${name}`);

export class BinanceMarket {
  readonly rules = new Map<string, SymbolRules>();

  exchangeInfo(symbol: string | undefined) {
    const list = [...this.rules.values()].filter((r) => !symbol || r.symbol === symbol);
    if (symbol && list.length === 0) throw new BinanceError(-1121, 'Invalid symbol.');
    return {
      timezone: 'UTC',
      serverTime: Date.now(),
      rateLimits: [],
      exchangeFilters: [],
      symbols: list.map((r) => ({
        symbol: r.symbol,
        status: 'TRADING',
        baseAsset: r.symbol.replace(/USDT$/, ''),
        quoteAsset: 'USDT',
        orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT'],
        isSpotTradingAllowed: true,
        permissions: [],
        permissionSets: [['SPOT']],
        filters: [
          { filterType: 'PRICE_FILTER', minPrice: r.minPrice, maxPrice: r.maxPrice, tickSize: r.tickSize },
          { filterType: 'LOT_SIZE', minQty: r.minQty, maxQty: '9000.00000000', stepSize: r.stepSize },
          { filterType: 'NOTIONAL', minNotional: r.minNotional, applyMinToMarket: true, maxNotional: '9000000.00000000', applyMaxToMarket: false, avgPriceMins: 5 },
          { filterType: 'PERCENT_PRICE_BY_SIDE', bidMultiplierUp: r.bidMultiplierUp, bidMultiplierDown: r.bidMultiplierDown, askMultiplierUp: r.askMultiplierUp, askMultiplierDown: r.askMultiplierDown, avgPriceMins: 5 },
        ],
      })),
    };
  }

  bookTicker(symbol: string | undefined) {
    const r = symbol ? this.rules.get(symbol) : undefined;
    if (!r) throw new BinanceError(-1121, 'Invalid symbol.');
    return { symbol: r.symbol, bidPrice: r.bid, bidQty: '1.00000000', askPrice: r.ask, askQty: '1.00000000' };
  }

  avgPrice(symbol: string | undefined) {
    const r = symbol ? this.rules.get(symbol) : undefined;
    if (!r) throw new BinanceError(-1121, 'Invalid symbol.');
    return { mins: 5, price: r.avgPrice, closeTime: Date.now() };
  }

  /** A new order against the symbol's filters, then LIMIT_MAKER's rule: one that would trade at once is rejected (-2010), never placed. */
  check(symbol: string, side: string, type: string, price: number, qty: number): void {
    const r = this.rules.get(symbol);
    if (!r) return;
    if (type !== 'MARKET') {
      if (price < Number(r.minPrice) || price > Number(r.maxPrice) || !isMultiple(price - Number(r.minPrice), r.tickSize)) throw filterFailure('PRICE_FILTER');
      const avg = Number(r.avgPrice);
      const [down, up] = side === 'BUY' ? [r.bidMultiplierDown, r.bidMultiplierUp] : [r.askMultiplierDown, r.askMultiplierUp];
      if (price < avg * Number(down) || price > avg * Number(up)) throw filterFailure('PERCENT_PRICE_BY_SIDE');
    }
    if (qty < Number(r.minQty) || !isMultiple(qty - Number(r.minQty), r.stepSize)) throw filterFailure('LOT_SIZE');
    if (price * qty < Number(r.minNotional) - 1e-12) throw filterFailure('NOTIONAL');
    if (type === 'LIMIT_MAKER' && (side === 'BUY' ? price >= Number(r.ask) : price <= Number(r.bid))) throw errors.wouldTake();
  }
}

function isMultiple(value: number, step: string): boolean {
  const ratio = value / Number(step);
  return Math.abs(ratio - Math.round(ratio)) < 1e-6;
}
