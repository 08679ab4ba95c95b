import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../../src/core/clock.js';
import { ExchangeSim } from '../exchange-sim.js';
import { clientIp } from '../bybit/auth.js';
import { FaultInjector } from '../faults.js';
import { sendJson } from '../http.js';
import { type BinanceKey, type BinanceKeySeed, randomKeyMaterial, type Security, verifySigned } from './auth.js';
import { BinanceError, errors } from './errors.js';
import type { SymbolRules } from './market.js';
import { BinanceBook, type BinanceOrder, type OcoSeed, type OrderList, renderNewOrder, renderOrder } from './orders.js';

export interface BinanceSimOptions {
  /** Server time source (plus clockOffsetMs); request timestamps are checked against it. Default systemClock. */
  clock?: Clock;
}

export interface Balance {
  uid: number;
  asset: string;
  free: string;
  locked?: string;
}

export interface BinanceSeed {
  keys?: BinanceKeySeed[];
  balances?: Balance[];
  oco?: OcoSeed[];
  symbols?: SymbolRules[];
  clockOffsetMs?: number;
}

/** One signed request that named a key, accepted (code 0) or not. */
export interface BinanceCall {
  at: number;
  ip: string;
  method: string;
  path: string;
  apiKey: string;
  params: Record<string, string>;
  code: number;
  httpStatus: number;
}

interface SignedRoute {
  security: Security;
  run(key: BinanceKey, params: Record<string, string>, now: number): unknown;
}

/**
 * Binance spot REST subset: account, open orders, cancel-all on a symbol (incl. OCO lists), new
 * order, time and ping, with Binance's SIGNED-endpoint rules and `{code, msg}` errors. Fault op
 * names: "METHOD /api/v3/...".
 */
export class BinanceSim extends ExchangeSim<BinanceSeed> {
  override readonly faults: FaultInjector;
  readonly keys: BinanceKey[] = [];
  readonly balances: Balance[] = [];
  readonly book = new BinanceBook();
  readonly calls: BinanceCall[] = [];
  readonly #signed: Record<string, SignedRoute>;
  /** Public market data: no key. */
  readonly #market: Record<string, (symbol: string | undefined) => unknown> = {
    'GET /api/v3/exchangeInfo': (s) => this.book.market.exchangeInfo(s),
    'GET /api/v3/ticker/bookTicker': (s) => this.book.market.bookTicker(s),
    'GET /api/v3/avgPrice': (s) => this.book.market.avgPrice(s),
  };

  constructor(opts: BinanceSimOptions = {}) {
    super(opts.clock);
    this.faults = new FaultInjector(this.clock, () => ({
      status: 429,
      headers: { 'Retry-After': '60' },
      body: {
        code: -1003,
        msg: 'Too much request weight used; current limit is 6000 request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.',
      },
    }));
    this.#signed = {
      'GET /api/v3/account': { security: 'USER_DATA', run: (key, p) => this.#account(key, p) },
      'GET /api/v3/openOrders': { security: 'USER_DATA', run: (key, p) => this.book.open(key.uid, p.symbol).map(renderOrder) },
      'DELETE /api/v3/openOrders': {
        security: 'TRADE',
        run: (key, p, now) => {
          if (!p.symbol) throw errors.mandatory('symbol');
          return this.book.cancelAll(key.uid, p.symbol, now);
        },
      },
      'GET /api/v3/order': { security: 'USER_DATA', run: (key, p) => renderOrder(this.book.find(key.uid, p)) },
      'DELETE /api/v3/order': { security: 'TRADE', run: (key, p, now) => this.book.cancelOne(key.uid, p, now) },
      'POST /api/v3/order': {
        security: 'TRADE',
        run: (key, p, now) => renderNewOrder(this.book.place(key.uid, p, now), p.newOrderRespType),
      },
    };
  }



  /** Seeds a key (64-character key and secret unless given); returns it with its secret. */
  addKey(seed: BinanceKeySeed): BinanceKey {
    const key: BinanceKey = {
      apiKey: seed.apiKey ?? randomKeyMaterial(),
      secret: seed.secret ?? randomKeyMaterial(),
      uid: seed.uid,
      ips: seed.ips ?? [],
      canTrade: seed.canTrade ?? true,
      deletedAt: null,
    };
    this.keys.push(key);
    return key;
  }

  /** Deletes a key as a person does in Binance's API management page (there is no API for it). */
  deleteKey(apiKey: string): void {
    const key = this.keys.find((k) => k.apiKey === apiKey);
    if (key) key.deletedAt = this.now();
  }

  addOco(seed: OcoSeed): OrderList {
    return this.book.addOco(seed, this.now());
  }

  orders(): BinanceOrder[] {
    return this.book.orders;
  }

  seed(doc: BinanceSeed) {
    const keys = (doc.keys ?? []).map((k) => this.addKey(k));
    this.balances.push(...(doc.balances ?? []));
    const oco = (doc.oco ?? []).map((o) => this.addOco(o));
    for (const r of doc.symbols ?? []) this.book.market.rules.set(r.symbol, r);
    if (doc.clockOffsetMs !== undefined) this.clockOffsetMs = doc.clockOffsetMs;
    return { keys, oco };
  }

  state() {
    return { now: this.now(), keys: this.keys, balances: this.balances, orders: this.book.orders, orderLists: this.book.lists, calls: this.calls };
  }

  #account(key: BinanceKey, p: Record<string, string>) {
    const own = this.balances.filter((b) => b.uid === key.uid && (p.omitZeroBalances !== 'true' || Number(b.free) + Number(b.locked ?? 0) > 0));
    return {
      makerCommission: 10,
      takerCommission: 10,
      buyerCommission: 0,
      sellerCommission: 0,
      commissionRates: { maker: '0.00100000', taker: '0.00100000', buyer: '0.00000000', seller: '0.00000000' },
      canTrade: key.canTrade,
      canWithdraw: true,
      canDeposit: true,
      brokered: false,
      requireSelfTradePrevention: false,
      preventSor: false,
      updateTime: this.now(),
      accountType: 'SPOT',
      balances: own.map((b) => ({ asset: b.asset, free: b.free, locked: b.locked ?? '0.00000000' })),
      permissions: ['SPOT'],
      uid: key.uid,
    };
  }

  protected async handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const method = req.method ?? 'GET';
    const [path = '/', rawQuery = ''] = (req.url ?? '/').split(/\?(.*)/s);
    const op = `${method} ${path}`;
    if (await this.faults.apply(op, res, req)) return;
    const now = this.now();
    if (op === 'GET /api/v3/ping') return sendJson(res, 200, {});
    if (op === 'GET /api/v3/time') return sendJson(res, 200, { serverTime: now });
    const market = this.#market[op];
    if (market) {
      try {
        return sendJson(res, 200, market(new URLSearchParams(rawQuery).get('symbol') ?? undefined));
      } catch (err) {
        if (!(err instanceof BinanceError)) throw err;
        return sendJson(res, err.httpStatus, { code: err.code, msg: err.msg });
      }
    }
    const route = this.#signed[op];
    if (!route) return sendJson(res, 404, { code: -1000, msg: 'An unknown error occurred while processing the request.' });

    const ip = clientIp(req);
    const apiKey = req.headers['x-mbx-apikey'];
    const call: BinanceCall | null =
      typeof apiKey === 'string' ? { at: now, ip, method, path, apiKey, params: {}, code: 0, httpStatus: 200 } : null;
    if (call) this.calls.push(call);
    try {
      const live = (k: string) => this.keys.find((x) => x.apiKey === k && x.deletedAt === null);
      const { key, params } = verifySigned(req, rawQuery, body.toString('utf8'), live, now, ip, route.security);
      if (call) call.params = params;
      sendJson(res, 200, route.run(key, params, now));
    } catch (err) {
      if (!(err instanceof BinanceError)) throw err;
      if (call) Object.assign(call, { code: err.code, httpStatus: err.httpStatus });
      sendJson(res, err.httpStatus, { code: err.code, msg: err.msg });
    }
  }
}
