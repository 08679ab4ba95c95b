import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../../src/core/clock.js';
import { ExchangeSim } from '../exchange-sim.js';
import { FaultInjector } from '../faults.js';
import { type Balance, type Position, positionList, walletBalance } from './account.js';
import { authenticate, checkKeyUsable, clientIp } from './auth.js';
import { BybitError, envelope, errors, sendEnvelope } from './errors.js';
import { type Account, type ApiKey, hasPermission, type KeySeed, KeyStore } from './keys.js';
import { DEFAULT_IP_LIMIT, type IpLimit, type LimitStatus, limitHeaders, RateLimits } from './limits.js';
import type { Instrument, Quote } from './market.js';
import { type CancelLag, type Order, OrderBook } from './orders.js';
import { type Params, str } from './params.js';
import { PrivateStream } from './stream.js';
import { createSubApi, deleteApi, deleteSubApi, queryApi, subApiKeys, type UserContext } from './user.js';

export interface BybitSimOptions {
  /**
   * Server time source; request timestamps are checked against it (plus clockOffsetMs). Default
   * systemClock. bybit-api signs with Date.now(): with a ManualClock that has moved away from real
   * time, build RestClientV5 with `syncTimeBeforePrivateRequests: true`, which reads the `time` of
   * GET /v5/market/time before each private call and signs with server time.
   */
  clock?: Clock;
  /** How long a key made by create-sub-api answers 10003 before it works. Default 0. */
  activationDelayMs?: number;
  /** How long cancelled orders linger in /v5/order/realtime after cancel-all. Default 1 s or one realtime call. */
  cancelLag?: CancelLag;
  ipLimit?: IpLimit;
  /** Requests per second per UID by path, overriding limits.ts's defaults. */
  apiLimits?: Record<string, number>;
}

/** One request that carried an API key, accepted or not: tests assert who did what. */
export interface CallRecord {
  at: number;
  ip: string;
  method: string;
  path: string;
  /** The X-BAPI-API-KEY header as sent. */
  apiKey: string;
  /** The key's account when the key exists. */
  uid: number | null;
  params: Params;
  retCode: number;
  httpStatus: number;
}

/** Everything a test (or another process, via POST /_sim/seed) can set up at once. */
export interface BybitSeed {
  accounts?: { uid: number; parentUid?: number | null }[];
  keys?: KeySeed[];
  positions?: Position[];
  balances?: Balance[];
  markPrices?: Record<string, string>;
  instruments?: Instrument[];
  quotes?: Record<string, Quote>;
  keyExpiry?: { apiKey: string; expiresAt: number | null }[];
  clockOffsetMs?: number;
  activationDelayMs?: number;
  cancelLag?: CancelLag;
}

interface RouteContext {
  key: ApiKey;
  params: Params;
  now: number;
}

interface Route {
  /** Bybit's retMsg on success differs per endpoint family ("OK" for trading, "" for user). */
  okMsg: string;
  run(ctx: RouteContext): unknown;
}

/**
 * Bybit V5 REST simulator: API-key management for a master account and its sub-accounts, orders
 * with Bybit's cancel-all rules, positions, balances and executions, with V5 HMAC signatures,
 * recv_window, IP binding, expiry, permissions and rate limits. Fault op names: "METHOD /path".
 */
export class BybitSim extends ExchangeSim<BybitSeed> {
  override readonly faults: FaultInjector;
  readonly store = new KeyStore();
  readonly book: OrderBook;
  readonly positions: Position[] = [];
  readonly balances: Balance[] = [];
  readonly calls: CallRecord[] = [];
  readonly limits: RateLimits;
  /** The private WebSocket (`stream.url` once started): order and execution pushes of this book. */
  readonly stream: PrivateStream;
  activationDelayMs: number;
  readonly #routes: Record<string, Route>;
  /** Public market data: no key. */
  readonly #market: Record<string, (p: Params) => unknown> = {
    'GET /v5/market/instruments-info': (p) => this.book.market.instrumentsInfo(p),
    'GET /v5/market/tickers': (p) => this.book.market.tickers(p),
  };

  constructor(opts: BybitSimOptions = {}) {
    super(opts.clock);
    this.activationDelayMs = opts.activationDelayMs ?? 0;
    this.book = new OrderBook(opts.cancelLag ?? { ms: 1000, realtimeCalls: 1 }, new Map());
    this.limits = new RateLimits(opts.ipLimit ?? DEFAULT_IP_LIMIT, opts.apiLimits ?? {});
    this.stream = new PrivateStream(this.clock, () => this.now(), this.store);
    this.book.watchers.push({ order: (o) => this.stream.pushOrder(o), execution: (e) => this.stream.pushExecution(e) });
    this.faults = new FaultInjector(this.clock, () => {
      const e = errors.tooManyVisits();
      return { status: 200, body: envelope(e.retCode, e.retMsg, {}, this.now()) };
    });
    const user = (run: (c: UserContext) => unknown): Route => ({
      okMsg: '',
      run: (c) => run({ ...c, store: this.store, activationDelayMs: this.activationDelayMs }),
    });
    const trade = (run: (c: RouteContext) => unknown): Route => ({
      okMsg: 'OK',
      run: (c) => {
        this.#requireTrade(c.key, c.params);
        return run(c);
      },
    });
    const read = (run: (c: RouteContext) => unknown): Route => ({ okMsg: 'OK', run });
    this.#routes = {
      'POST /v5/user/create-sub-api': user(createSubApi),
      'GET /v5/user/sub-apikeys': user(subApiKeys),
      'POST /v5/user/delete-sub-api': user(deleteSubApi),
      'POST /v5/user/delete-api': user(deleteApi),
      'GET /v5/user/query-api': user(queryApi),
      'POST /v5/order/create': trade((c) => {
        const o = this.book.create(c.key.uid, c.key.apiKey, c.params, c.now);
        return { orderId: o.orderId, orderLinkId: o.orderLinkId };
      }),
      'POST /v5/order/cancel': trade((c) => this.book.cancel(c.key.uid, c.params, c.now)),
      'POST /v5/order/cancel-all': trade((c) => this.book.cancelAll(c.key.uid, c.params, c.now)),
      'GET /v5/order/realtime': read((c) => this.book.realtime(c.key.uid, c.params, c.now)),
      'GET /v5/execution/list': read((c) => this.book.executionList(c.key.uid, c.params, c.now)),
      'GET /v5/position/list': read((c) => positionList(this.positions, c.key.uid, c.params, c.now)),
      'GET /v5/account/wallet-balance': read((c) => walletBalance(this.balances, c.key.uid, c.params)),
    };
  }

  /** The REST API, then the private stream on a port of its own (stream.bybit.com is a host of its own too). */
  override async start(): Promise<{ url: string; close(): Promise<void> }> {
    const started = await super.start();
    await this.stream.start();
    return started;
  }

  override async close(): Promise<void> {
    await this.stream.close();
    await super.close();
  }

  // ---- typed helpers for tests in this process ----

  addMaster(uid?: number): Account {
    return this.store.addAccount(null, uid);
  }

  addSubAccount(masterUid: number, uid?: number): Account {
    return this.store.addAccount(masterUid, uid);
  }

  /** Seeds a key that works at once (unless `activeAt` says otherwise); returns it with its secret. */
  addKey(seed: KeySeed): ApiKey {
    return this.store.addKey(seed, this.now());
  }

  /** Null: never expires. */
  setKeyExpiry(apiKey: string, expiresAt: number | null): void {
    const key = this.store.keys.find((k) => k.apiKey === apiKey);
    if (!key) throw new Error('no such key');
    key.expiresAt = expiresAt;
  }

  /** Every key ever made, deleted ones included (deletedAt set). */
  keys(): ApiKey[] {
    return this.store.keys;
  }

  /** All orders, with acknowledged cancellations settled as of now. */
  orders(): Order[] {
    this.book.settle(this.now());
    return this.book.orders;
  }

  callsBy(apiKey: string): CallRecord[] {
    return this.calls.filter((c) => c.apiKey === apiKey);
  }

  seed(doc: BybitSeed) {
    const accounts = (doc.accounts ?? []).map((a) => this.store.addAccount(a.parentUid ?? null, a.uid));
    const keys = (doc.keys ?? []).map((k) => this.addKey(k));
    this.positions.push(...(doc.positions ?? []));
    this.balances.push(...(doc.balances ?? []));
    for (const [symbol, price] of Object.entries(doc.markPrices ?? {})) this.book.markPrices.set(symbol, price);
    for (const i of doc.instruments ?? []) this.book.market.addInstrument(i);
    for (const [symbol, q] of Object.entries(doc.quotes ?? {})) this.book.market.quotes.set(symbol, q);
    for (const e of doc.keyExpiry ?? []) this.setKeyExpiry(e.apiKey, e.expiresAt);
    if (doc.clockOffsetMs !== undefined) this.clockOffsetMs = doc.clockOffsetMs;
    if (doc.activationDelayMs !== undefined) this.activationDelayMs = doc.activationDelayMs;
    if (doc.cancelLag) this.book.cancelLag = doc.cancelLag;
    return { accounts, keys };
  }

  state() {
    return {
      now: this.now(),
      clockOffsetMs: this.clockOffsetMs,
      accounts: [...this.store.accounts.values()],
      keys: this.keys(),
      orders: this.orders(),
      executions: this.book.executions,
      positions: this.positions,
      balances: this.balances,
      calls: this.calls,
    };
  }

  // ---- HTTP ----

  /** Placing and cancelling needs a read-write key with Spot "SpotTrade", Options "OptionsTrade" or ContractTrade "Order". */
  #requireTrade(key: ApiKey, params: Params): void {
    const granted =
      params.category === 'spot'
        ? hasPermission(key, 'Spot', ['SpotTrade'])
        : params.category === 'option'
          ? hasPermission(key, 'Options', ['OptionsTrade'])
          : hasPermission(key, 'ContractTrade', ['Order']);
    if (key.readOnly === 1 || !granted) throw errors.permission();
  }

  protected async handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://sim');
    const op = `${method} ${url.pathname}`;
    if (await this.faults.apply(op, res, req)) return;
    const now = this.now();
    const ip = clientIp(req);
    if (this.limits.ipBanned(ip, now)) {
      // An IP ban is answered by Bybit's edge, not the API: a bare 403.
      res.writeHead(403, { 'content-type': 'text/plain' });
      res.end('access too frequent');
      return;
    }
    if (op === 'GET /v5/market/time') {
      const result = { timeSecond: String(Math.floor(now / 1000)), timeNano: `${now}000000` };
      return sendEnvelope(res, 200, envelope(0, 'OK', result, now));
    }
    const market = this.#market[op];
    if (market) {
      try {
        return sendEnvelope(res, 200, envelope(0, 'OK', market(Object.fromEntries(url.searchParams)), now));
      } catch (err) {
        if (!(err instanceof BybitError)) throw err;
        return this.#fail(res, err, now);
      }
    }
    const route = this.#routes[op];
    if (!route) return this.#fail(res, errors.routeNotFound(), now);

    const record = this.#logCall(req, ip, now, url.pathname);
    let limit: LimitStatus | undefined;
    try {
      const raw = body.toString('utf8');
      const key = authenticate(req, raw, this.store, now);
      const params = method === 'GET' ? Object.fromEntries(url.searchParams) : parseBody(raw);
      if (record) record.params = params;
      checkKeyUsable(key, ip, now, params.category === 'spot');
      limit = this.limits.consume(key.uid, url.pathname, now, str(params.category));
      if (limit.exceeded) throw errors.tooManyVisits();
      const result = route.run({ key, params, now });
      sendEnvelope(res, 200, envelope(0, route.okMsg, result, now), limitHeaders(limit));
    } catch (err) {
      if (!(err instanceof BybitError)) throw err;
      if (record) Object.assign(record, { retCode: err.retCode, httpStatus: err.httpStatus });
      this.#fail(res, err, now, limit);
    }
  }

  /** Logs a call that names a key, whatever its outcome. */
  #logCall(req: IncomingMessage, ip: string, now: number, path: string): CallRecord | null {
    const apiKey = req.headers['x-bapi-api-key'];
    if (typeof apiKey !== 'string') return null;
    const uid = this.store.find(apiKey)?.uid ?? null;
    const record = { at: now, ip, method: req.method ?? 'GET', path, apiKey, uid, params: {}, retCode: 0, httpStatus: 200 };
    this.calls.push(record);
    return record;
  }

  #fail(res: ServerResponse, err: BybitError, now: number, limit?: LimitStatus): void {
    sendEnvelope(res, err.httpStatus, envelope(err.retCode, err.retMsg, {}, now), limit ? limitHeaders(limit) : {});
  }
}

function parseBody(raw: string): Params {
  if (raw === '') return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Params;
  } catch {
    // fall through: Bybit's answer to a body it cannot read (sieblyio/bybit-api#219)
  }
  throw errors.param('body not json');
}
