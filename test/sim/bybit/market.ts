import { BybitError, errors } from './errors.js';
import type { Params } from './params.js';
import { requireCategory, str } from './params.js';
import { type Category, coinsOf } from './symbols.js';

/**
 * An instrument's trading rules as GET /v5/market/instruments-info gives them: price filter, lot
 * size filter (linear: qtyStep and minNotionalValue; spot: basePrecision and minOrderAmt) and the
 * price-limit ratio. Orders on a seeded instrument must keep to them; orders on an unseeded
 * symbol are not checked (the older tests place those freely).
 */
export interface Instrument {
  category: Category;
  symbol: string;
  tickSize: string;
  minPrice: string;
  maxPrice: string;
  minOrderQty: string;
  /** linear qtyStep, spot basePrecision. */
  qtyStep: string;
  /** linear minNotionalValue, spot minOrderAmt (in the quote coin). */
  minNotional: string;
  /**
   * A buy may not be priced above mark × (1 + ratio), a sell not below mark × (1 − ratio). The
   * docs name priceLimitRatioX/Y and the price-limit endpoint (buyLmt, sellLmt) without the
   * formula; this one ratio on the mark price is the simulator's reading of them.
   */
  priceLimitRatio: string;
}

/** Best bid and ask; both the mark price unless seeded. */
export interface Quote {
  bid: string;
  ask: string;
}

export class Market {
  readonly instruments = new Map<string, Instrument>();
  readonly quotes = new Map<string, Quote>();

  constructor(readonly markPrices: Map<string, string>) {}

  addInstrument(i: Instrument): void {
    this.instruments.set(`${i.category}:${i.symbol}`, i);
  }

  instrument(category: Category, symbol: string): Instrument | undefined {
    return this.instruments.get(`${category}:${symbol}`);
  }

  quote(symbol: string): Quote | undefined {
    const q = this.quotes.get(symbol);
    const mark = this.markPrices.get(symbol);
    return q ?? (mark ? { bid: mark, ask: mark } : undefined);
  }

  /** GET /v5/market/instruments-info (instrument.mdx): the fields LeakGuard reads, per category. */
  instrumentsInfo(p: Params) {
    const category = requireCategory(p);
    const symbol = str(p.symbol);
    const list = [...this.instruments.values()].filter((i) => i.category === category && (!symbol || i.symbol === symbol));
    return { category, list: list.map(renderInstrument), nextPageCursor: '' };
  }

  /** GET /v5/market/tickers (tickers.mdx): last, mark, best bid and ask. */
  tickers(p: Params) {
    const category = requireCategory(p);
    const symbol = str(p.symbol);
    if (!symbol) throw errors.param('params error: symbol is required');
    const q = this.quote(symbol);
    const mark = this.markPrices.get(symbol);
    if (!q || !mark) return { category, list: [] };
    return { category, list: [{ symbol, lastPrice: mark, markPrice: mark, indexPrice: mark, bid1Price: q.bid, bid1Size: '1', ask1Price: q.ask, ask1Size: '1' }] };
  }

  /**
   * An order's price and size against its instrument (create-order.mdx, error.mdx codes; where the
   * docs give a code per category, linear's and spot's are used).
   */
  check(category: Category, symbol: string, side: string, price: number, qty: number): void {
    const i = this.instrument(category, symbol);
    if (!i) return;
    const spot = category === 'spot';
    if (!isMultiple(price, i.tickSize)) throw spot ? new BybitError(170134, 'Order price decimal too long.') : errors.param('params error: price is not a multiple of tickSize');
    if (price < Number(i.minPrice) || price > Number(i.maxPrice)) throw spot ? new BybitError(170133, 'Order price lower than the minimum.') : new BybitError(110003, 'Order price exceeds the allowable range.');
    const mark = Number(this.markPrices.get(symbol));
    const ratio = Number(i.priceLimitRatio);
    if (mark && side === 'Buy' && price > mark * (1 + ratio)) throw spot ? new BybitError(170193, `Buy order price cannot be higher than ${mark * (1 + ratio)}.`) : new BybitError(110003, 'Order price exceeds the allowable range.');
    if (mark && side === 'Sell' && price < mark * (1 - ratio)) throw spot ? new BybitError(170194, `Sell order price cannot be lower than ${mark * (1 - ratio)}.`) : new BybitError(110003, 'Order price exceeds the allowable range.');
    if (qty < Number(i.minOrderQty)) throw spot ? new BybitError(170136, 'Order quantity lower than the minimum.') : errors.param('params error: qty is lower than minOrderQty');
    if (!isMultiple(qty, i.qtyStep)) throw spot ? new BybitError(170137, 'Order volume decimal too long') : errors.param('params error: qty is not a multiple of qtyStep');
    if (price * qty < Number(i.minNotional) - 1e-12) throw spot ? new BybitError(170140, 'Order value exceeded lower limit') : new BybitError(110094, 'Order notional value below the lower limit');
  }

  /** Whether a limit order at `price` would trade at once against the best quote. */
  crosses(symbol: string, side: string, price: number): boolean {
    const q = this.quote(symbol);
    if (!q) return false;
    return side === 'Buy' ? price >= Number(q.ask) : price <= Number(q.bid);
  }
}

function isMultiple(value: number, step: string): boolean {
  const ratio = value / Number(step);
  return Math.abs(ratio - Math.round(ratio)) < 1e-6;
}

function renderInstrument(i: Instrument) {
  const { settleCoin, baseCoin } = coinsOf(i.category, i.symbol);
  const common = { symbol: i.symbol, status: 'Trading', baseCoin, quoteCoin: settleCoin, riskParameters: { priceLimitRatioX: i.priceLimitRatio, priceLimitRatioY: i.priceLimitRatio } };
  if (i.category === 'spot') {
    return { ...common, innovation: '0', marginTrading: 'utaOnly', lotSizeFilter: { basePrecision: i.qtyStep, quotePrecision: i.tickSize, minOrderQty: i.minOrderQty, maxOrderQty: '1000', minOrderAmt: i.minNotional, maxOrderAmt: '2000000' }, priceFilter: { tickSize: i.tickSize } };
  }
  return {
    ...common,
    contractType: 'LinearPerpetual',
    settleCoin,
    priceScale: String(Math.max(0, -Math.floor(Math.log10(Number(i.tickSize))))),
    leverageFilter: { minLeverage: '1', maxLeverage: '100.00', leverageStep: '0.01' },
    priceFilter: { minPrice: i.minPrice, maxPrice: i.maxPrice, tickSize: i.tickSize },
    lotSizeFilter: { maxOrderQty: '1190.000', minOrderQty: i.minOrderQty, qtyStep: i.qtyStep, postOnlyMaxOrderQty: '1190.000', maxMktOrderQty: '500.000', minNotionalValue: i.minNotional },
  };
}
