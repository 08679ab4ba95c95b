import { randomUUID } from 'node:crypto';
import { BybitError, errors, RetCode } from './errors.js';
import { paginate, type Params, requireCategory, str } from './params.js';
import { Market } from './market.js';
import { type Category, coinsOf, matchesScope } from './symbols.js';

/** What kind of order it is, in the words of the V5 `orderFilter` parameter. */
export type OrderKind = 'Order' | 'StopOrder' | 'tpslOrder' | 'OcoOrder' | 'BidirectionalTpslOrder';
const SPOT_KINDS: readonly OrderKind[] = ['Order', 'StopOrder', 'tpslOrder', 'OcoOrder', 'BidirectionalTpslOrder'];
/** V5 stopOrderType for each spot kind (docs v5/enum#stopordertype). */
const STOP_ORDER_TYPE: Record<OrderKind, string> = {
  Order: 'UNKNOWN',
  StopOrder: 'Stop',
  tpslOrder: 'tpslOrder',
  OcoOrder: 'OcoOrder',
  BidirectionalTpslOrder: 'BidirectionalTpslOrder',
};
const OPEN_STATUSES = ['New', 'PartiallyFilled', 'Untriggered'];

/** order/realtime's order, and so its cursors' keyset: newest first. */
const newestFirst = (a: Order, b: Order) => b.createdTime - a.createdTime || b.seq - a.seq;

export interface Order {
  orderId: string;
  orderLinkId: string;
  uid: number;
  category: Category;
  symbol: string;
  side: 'Buy' | 'Sell';
  orderType: 'Limit' | 'Market';
  price: string;
  qty: string;
  triggerPrice: string;
  kind: OrderKind;
  orderStatus: string;
  cancelType: string;
  timeInForce: string;
  positionIdx: number;
  reduceOnly: boolean;
  takeProfit: string;
  stopLoss: string;
  createdTime: number;
  updatedTime: number;
  /** Creation order: breaks ties of createdTime in the newest-first listing. */
  seq: number;
  /** The API key that placed it (orders belong to the account; this is for tests' assertions). */
  placedBy: string;
  /** Who made it (v5/enum#createtype): CreateByUser for the API, CreateByLiq, CreateByStopLoss… when Bybit did. */
  createType: string;
  /** EC_NoError, or why Bybit cancelled it itself (EC_PostOnlyWillTakeLiquidity). */
  rejectReason: string;
  /** Set when cancel-all acknowledged it; it stays visible in realtime until the lag has passed. */
  cancel: { at: number; realtimeSeen: number } | null;
}

export interface Execution {
  uid: number;
  category: Category;
  symbol: string;
  orderId: string;
  orderLinkId: string;
  createType: string;
  side: string;
  orderType: string;
  orderPrice: string;
  orderQty: string;
  execId: string;
  execPrice: string;
  execQty: string;
  execTime: number;
}

/**
 * How long a cancelled order still shows in /v5/order/realtime after cancel-all acknowledged it:
 * it disappears once `ms` of simulator time have passed or once it has been seen by
 * `realtimeCalls` realtime queries, whichever comes first; with neither it disappears at once.
 */
export interface CancelLag {
  ms?: number;
  realtimeCalls?: number;
}

/** Who hears of every order change and execution as it happens (the private stream). */
export interface BookWatcher {
  order(o: Order): void;
  execution(e: Execution): void;
}

export class OrderBook {
  readonly orders: Order[] = [];
  readonly executions: Execution[] = [];
  readonly watchers: BookWatcher[] = [];
  #spotSeq = 1_616_024_329_462_743_808n;
  readonly market: Market;

  constructor(
    public cancelLag: CancelLag,
    /** Price a market order fills at, by symbol. */
    readonly markPrices: Map<string, string>,
  ) {
    this.market = new Market(markPrices);
  }

  /** POST /v5/order/create; a test passes another createType for an order Bybit makes itself (a liquidation, a stop-loss). */
  create(uid: number, apiKey: string, p: Params, now: number, createType = 'CreateByUser'): Order {
    const category = requireCategory(p);
    const symbol = str(p.symbol);
    const side = str(p.side);
    const orderType = str(p.orderType);
    const qty = str(p.qty);
    if (!symbol || !side || !orderType || !qty) throw errors.param('params error: symbol, side, orderType and qty are required');
    if (side !== 'Buy' && side !== 'Sell') throw errors.param(`params error: side invalid`);
    if (orderType !== 'Limit' && orderType !== 'Market') throw errors.param('params error: orderType invalid');
    const price = str(p.price);
    if (orderType === 'Limit' && !price) throw errors.param('params error: price is required for a Limit order');
    // create-order.mdx: orderLinkId is required for option orders.
    if (category === 'option' && !str(p.orderLinkId)) throw errors.param('params error: orderLinkId is required for option');

    if (orderType === 'Limit') this.market.check(category, symbol, side, Number(price), Number(qty));
    const timeInForce = str(p.timeInForce) ?? (orderType === 'Market' ? 'IOC' : 'GTC');
    // create-order.mdx: a PostOnly order that would take liquidity is accepted, then cancelled by the system.
    const takes = timeInForce === 'PostOnly' && orderType === 'Limit' && this.market.crosses(symbol, side, Number(price));
    const triggerPrice = str(p.triggerPrice);
    let kind: OrderKind = 'Order';
    if (category === 'spot') {
      const filter = str(p.orderFilter) ?? 'Order';
      if (!SPOT_KINDS.includes(filter as OrderKind)) throw new BybitError(RetCode.spotInvalidOrderFilter, 'Invalid orderFilter parameter');
      kind = filter as OrderKind;
      if (kind !== 'Order' && !triggerPrice) throw errors.param('params error: triggerPrice is required for this orderFilter');
    } else if (triggerPrice) {
      kind = 'StopOrder';
    }

    const orderLinkId = str(p.orderLinkId) ?? '';
    if (orderLinkId && this.orders.some((o) => o.uid === uid && o.orderLinkId === orderLinkId && isOpen(o))) {
      throw category === 'spot'
        ? new BybitError(RetCode.spotDuplicateClientOrderId, 'Duplicate clientOrderId')
        : new BybitError(RetCode.orderLinkIdDuplicate, 'OrderLinkedID is duplicate');
    }

    const market = orderType === 'Market';
    const order: Order = {
      orderId: category === 'spot' ? String(this.#spotSeq++) : randomUUID(),
      orderLinkId,
      uid,
      category,
      symbol,
      side,
      orderType,
      price: price ?? '0',
      qty,
      triggerPrice: triggerPrice ?? '0',
      kind,
      orderStatus: takes ? 'Cancelled' : kind !== 'Order' ? 'Untriggered' : market ? 'Filled' : 'New',
      cancelType: 'UNKNOWN',
      rejectReason: takes ? 'EC_PostOnlyWillTakeLiquidity' : 'EC_NoError',
      timeInForce,
      positionIdx: Number(p.positionIdx ?? 0),
      reduceOnly: p.reduceOnly === true,
      takeProfit: str(p.takeProfit) ?? '',
      stopLoss: str(p.stopLoss) ?? '',
      createdTime: now,
      updatedTime: now,
      seq: this.orders.length,
      placedBy: apiKey,
      createType,
      cancel: null,
    };
    this.orders.push(order);
    for (const w of this.watchers) w.order(order);
    // A market order does not rest on the book: it fills at once at the seeded mark price.
    if (market && kind === 'Order') this.#fill(order, now);
    return order;
  }

  #fill(order: Order, now: number): void {
    const e: Execution = {
      uid: order.uid,
      category: order.category,
      symbol: order.symbol,
      orderId: order.orderId,
      orderLinkId: order.orderLinkId,
      createType: order.createType,
      side: order.side,
      orderType: order.orderType,
      orderPrice: order.price,
      orderQty: order.qty,
      execId: randomUUID(),
      execPrice: this.markPrices.get(order.symbol) ?? '0',
      execQty: order.qty,
      execTime: now,
    };
    this.executions.push(e);
    for (const w of this.watchers) w.execution(e);
  }

  /** Turns acknowledged cancellations into Cancelled once their lag has passed. */
  settle(now: number): void {
    const { ms, realtimeCalls } = this.cancelLag;
    for (const o of this.orders) {
      if (!o.cancel || !isOpen(o)) continue;
      const done =
        (ms === undefined && realtimeCalls === undefined) ||
        (ms !== undefined && now >= o.cancel.at + ms) ||
        (realtimeCalls !== undefined && o.cancel.realtimeSeen >= realtimeCalls);
      if (done) {
        o.orderStatus = 'Cancelled';
        o.cancelType = 'CancelByUser';
        o.updatedTime = now;
        for (const w of this.watchers) w.order(o);
      }
    }
  }

  /** GET /v5/order/realtime: open orders (openOnly=0) or recently closed ones (openOnly=1). */
  realtime(uid: number, p: Params, now: number) {
    const category = requireCategory(p);
    const scope = { symbol: str(p.symbol), baseCoin: str(p.baseCoin), settleCoin: str(p.settleCoin) };
    if (category === 'linear' && !scope.symbol && !scope.baseCoin && !scope.settleCoin) {
      throw errors.param('Missing some parameters that must be filled in, symbol or settleCoin or baseCoin');
    }
    if (category === 'spot') scope.settleCoin = undefined;
    this.settle(now);
    const orderId = str(p.orderId);
    const orderLinkId = str(p.orderLinkId);
    const filter = str(p.orderFilter);
    const openOnly = str(p.openOnly) === '1' ? 1 : 0;
    const byId = Boolean(orderId || orderLinkId);
    const matching = this.orders
      .filter(
        (o) =>
          o.uid === uid &&
          o.category === category &&
          matchesScope(category, o.symbol, scope) &&
          (!orderId || o.orderId === orderId) &&
          (!orderLinkId || o.orderLinkId === orderLinkId) &&
          (!filter || matchesFilter(o, filter)) &&
          // openOnly is ignored when querying by orderId or orderLinkId (open-order.mdx).
          (byId || (openOnly === 0 ? isOpen(o) : !isOpen(o))),
      )
      .sort(newestFirst);
    const page = paginate(matching, p, 50, 20, (o) => o.orderId, { find: (id) => this.orders.find((o) => o.orderId === id), compare: newestFirst });
    // Every realtime query of this account counts towards the acknowledgement lag.
    for (const o of this.orders) if (o.uid === uid && o.category === category && o.cancel && isOpen(o)) o.cancel.realtimeSeen++;
    return { list: page.items.map(renderOrder), nextPageCursor: page.nextPageCursor, category };
  }

  /**
   * POST /v5/order/cancel (cancel-order.mdx): one open order by orderId or orderLinkId; like
   * cancel-all, the answer is an acknowledgement (see CancelLag). 110001 when nothing open matches.
   */
  cancel(uid: number, p: Params, now: number) {
    const category = requireCategory(p);
    const symbol = str(p.symbol);
    if (!symbol) throw errors.param('params error: symbol is required');
    const orderId = str(p.orderId);
    const orderLinkId = str(p.orderLinkId);
    if (!orderId && !orderLinkId) throw errors.param('params error: orderId or orderLinkId is required');
    this.settle(now);
    const o = this.orders.find(
      (o) => o.uid === uid && o.category === category && o.symbol === symbol && isOpen(o) && !o.cancel && (orderId ? o.orderId === orderId : o.orderLinkId === orderLinkId),
    );
    if (!o) throw new BybitError(RetCode.orderNotExists, 'Order does not exist');
    o.cancel = { at: now, realtimeSeen: 0 };
    this.settle(now);
    return { orderId: o.orderId, orderLinkId: o.orderLinkId };
  }

  /**
   * POST /v5/order/cancel-all (cancel-all.mdx): spot cancels only plain orders unless orderFilter
   * names another kind; linear and inverse need symbol, baseCoin or settleCoin and cancel every kind
   * unless orderFilter narrows it; option without any of them cancels every option order. The answer
   * is only an acknowledgement: see CancelLag.
   */
  cancelAll(uid: number, p: Params, now: number) {
    const category = requireCategory(p);
    const scope = { symbol: str(p.symbol), baseCoin: str(p.baseCoin), settleCoin: str(p.settleCoin) };
    const filter = str(p.orderFilter);
    let match: (o: Order) => boolean;
    if (category === 'spot') {
      const kind = filter ?? 'Order';
      if (!SPOT_KINDS.includes(kind as OrderKind)) throw new BybitError(RetCode.spotInvalidOrderFilter, 'Invalid orderFilter parameter');
      scope.settleCoin = undefined;
      match = (o) => o.kind === kind;
    } else {
      if (category !== 'option' && !scope.symbol && !scope.baseCoin && !scope.settleCoin) {
        throw errors.param('Missing some parameters that must be filled in, symbol or settleCoin or baseCoin');
      }
      if (filter && !['Order', 'StopOrder', 'OpenOrder'].includes(filter)) throw errors.param('params error: orderFilter invalid');
      const stopOrderType = str(p.stopOrderType);
      match = (o) =>
        (!filter || matchesFilter(o, filter === 'OpenOrder' ? 'Order' : filter)) &&
        (!stopOrderType || (o.kind === 'StopOrder' && stopOrderType === 'Stop'));
    }
    this.settle(now);
    const hit = this.orders.filter(
      (o) => o.uid === uid && o.category === category && isOpen(o) && !o.cancel && matchesScope(category, o.symbol, scope) && match(o),
    );
    for (const o of hit) o.cancel = { at: now, realtimeSeen: 0 };
    this.settle(now);
    return { list: hit.map((o) => ({ orderId: o.orderId, orderLinkId: o.orderLinkId })), success: '1' };
  }

  /** GET /v5/execution/list; startTime and endTime (ms) bound execTime (execution.mdx: the last 7 days when neither is given). */
  executionList(uid: number, p: Params, now = Date.now()) {
    const category = requireCategory(p);
    const end = Number(str(p.endTime) ?? now);
    const start = Number(str(p.startTime) ?? end - 7 * 86_400_000);
    if (!Number.isFinite(start) || !Number.isFinite(end) || end < start || end - start > 7 * 86_400_000) throw errors.param('params error: startTime and endTime must be ms at most 7 days apart');
    const symbol = str(p.symbol);
    const orderId = str(p.orderId);
    const orderLinkId = str(p.orderLinkId);
    const matching = this.executions
      .filter(
        (e) =>
          e.uid === uid &&
          e.category === category &&
          e.execTime >= start &&
          e.execTime <= end &&
          (!symbol || e.symbol === symbol) &&
          (!orderId || e.orderId === orderId) &&
          (!orderLinkId || e.orderLinkId === orderLinkId),
      )
      .sort((a, b) => b.execTime - a.execTime);
    const page = paginate(matching, p, 100, 50, (e) => e.execId);
    return { nextPageCursor: page.nextPageCursor, category, list: page.items.map(renderExecution) };
  }
}

function isOpen(o: Order): boolean {
  return OPEN_STATUSES.includes(o.orderStatus);
}

function matchesFilter(o: Order, filter: string): boolean {
  if (o.category === 'spot') return o.kind === filter;
  // Futures know two kinds: active orders, and conditional ones (incl. TP/SL and trailing stops).
  return filter === 'Order' ? o.kind === 'Order' : filter === 'StopOrder' ? o.kind !== 'Order' : false;
}

function times(a: string, b: string): string {
  return String(Number(a) * Number(b));
}

/** One order as GET /v5/order/realtime lists it (order-realtime.json), numbers as strings. */
export function renderOrder(o: Order) {
  const filled = o.orderStatus === 'Filled';
  return {
    orderId: o.orderId,
    orderLinkId: o.orderLinkId,
    blockTradeId: '',
    symbol: o.symbol,
    price: o.price,
    qty: o.qty,
    side: o.side,
    isLeverage: o.category === 'spot' ? '0' : '',
    positionIdx: o.positionIdx,
    orderStatus: o.orderStatus,
    cancelType: o.cancelType,
    rejectReason: o.rejectReason,
    avgPrice: filled ? o.price : '0',
    leavesQty: filled ? '0' : o.qty,
    leavesValue: filled ? '0' : times(o.price, o.qty),
    cumExecQty: filled ? o.qty : '0',
    cumExecValue: filled ? times(o.price, o.qty) : '0',
    cumExecFee: '0',
    timeInForce: o.timeInForce,
    orderType: o.orderType,
    stopOrderType: o.category === 'spot' ? STOP_ORDER_TYPE[o.kind] : o.kind === 'Order' ? 'UNKNOWN' : 'Stop',
    orderIv: '',
    triggerPrice: o.triggerPrice,
    takeProfit: o.takeProfit,
    stopLoss: o.stopLoss,
    tpTriggerBy: o.takeProfit ? 'LastPrice' : '',
    slTriggerBy: o.stopLoss ? 'LastPrice' : '',
    triggerDirection: 0,
    triggerBy: o.kind === 'Order' ? 'UNKNOWN' : 'LastPrice',
    lastPriceOnCreated: '',
    reduceOnly: o.reduceOnly,
    closeOnTrigger: false,
    smpType: 'None',
    smpGroup: 0,
    smpOrderId: '',
    tpslMode: o.category === 'spot' ? '' : 'Full',
    tpLimitPrice: '',
    slLimitPrice: '',
    placeType: '',
    createdTime: String(o.createdTime),
    updatedTime: String(o.updatedTime),
    // open-order.mdx: "Spot does not have this key".
    ...(o.category === 'spot' ? {} : { createType: o.createType }),
    cumFeeDetail: {},
  };
}

export function renderExecution(e: Execution) {
  return {
    symbol: e.symbol,
    orderId: e.orderId,
    orderLinkId: e.orderLinkId,
    side: e.side,
    orderPrice: e.orderPrice,
    orderQty: e.orderQty,
    leavesQty: '0',
    createType: e.createType,
    orderType: e.orderType,
    stopOrderType: 'UNKNOWN',
    execFee: '0',
    execId: e.execId,
    execPrice: e.execPrice,
    execQty: e.execQty,
    execType: 'Trade',
    execValue: times(e.execPrice, e.execQty),
    execTime: String(e.execTime),
    feeCurrency: coinsOf(e.category, e.symbol).settleCoin,
    isMaker: false,
    feeRate: '0',
    tradeIv: '',
    markIv: '',
    markPrice: e.execPrice,
    indexPrice: '',
    underlyingPrice: '',
    blockTradeId: '',
    closedSize: '0',
    seq: 0,
  };
}
