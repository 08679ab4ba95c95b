import { randomBytes } from 'node:crypto';
import { errors } from './errors.js';
import { BinanceMarket } from './market.js';

export interface BinanceOrder {
  uid: number;
  symbol: string;
  orderId: number;
  /** -1 unless the order is a leg of an order list (OCO). */
  orderListId: number;
  clientOrderId: string;
  price: string;
  origQty: string;
  executedQty: string;
  cummulativeQuoteQty: string;
  status: 'NEW' | 'FILLED' | 'CANCELED';
  timeInForce: string;
  type: string;
  side: 'BUY' | 'SELL';
  stopPrice?: string;
  time: number;
  updateTime: number;
}

export interface OrderList {
  uid: number;
  symbol: string;
  orderListId: number;
  listClientOrderId: string;
}

/** An OCO as LeakGuard's tests seed it: a stop-loss-limit leg and a limit-maker leg. */
export interface OcoSeed {
  uid: number;
  symbol: string;
  side: 'BUY' | 'SELL';
  quantity: string;
  price: string;
  stopPrice: string;
  stopLimitPrice: string;
}

const STOP_TYPES = ['STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT', 'STOP_LOSS', 'TAKE_PROFIT'];
const TYPES = ['LIMIT', 'MARKET', 'LIMIT_MAKER', ...STOP_TYPES];

function clientId(): string {
  return randomBytes(16).toString('base64url').slice(0, 22);
}

function required(p: Record<string, string>, name: string): string {
  const v = p[name];
  if (!v) throw errors.mandatory(name);
  return v;
}

export class BinanceBook {
  readonly market = new BinanceMarket();
  readonly orders: BinanceOrder[] = [];
  readonly lists: OrderList[] = [];
  #nextOrderId = 11;
  #nextListId = 1929;

  /** POST /api/v3/order. A MARKET order fills at once; others rest as NEW. */
  place(uid: number, p: Record<string, string>, now: number): BinanceOrder {
    const symbol = required(p, 'symbol');
    const side = required(p, 'side');
    const type = required(p, 'type');
    if (side !== 'BUY' && side !== 'SELL') throw errors.mandatory('side');
    if (!TYPES.includes(type)) throw errors.mandatory('type');
    const origQty = required(p, 'quantity');
    const price = type === 'MARKET' || type === 'STOP_LOSS' || type === 'TAKE_PROFIT' ? (p.price ?? '0') : required(p, 'price');
    if (type === 'LIMIT' || type === 'STOP_LOSS_LIMIT' || type === 'TAKE_PROFIT_LIMIT') required(p, 'timeInForce');
    const stopPrice = STOP_TYPES.includes(type) ? required(p, 'stopPrice') : undefined;
    this.market.check(symbol, side, type, Number(price), Number(origQty));
    const clientOrderId = p.newClientOrderId ?? clientId();
    if (this.orders.some((o) => o.uid === uid && o.clientOrderId === clientOrderId && o.status === 'NEW')) throw errors.duplicateOrder();
    const filled = type === 'MARKET';
    const order: BinanceOrder = {
      uid,
      symbol,
      orderId: this.#nextOrderId++,
      orderListId: -1,
      clientOrderId,
      price,
      origQty,
      executedQty: filled ? origQty : '0.00000000',
      cummulativeQuoteQty: filled ? String(Number(origQty) * Number(price)) : '0.00000000',
      status: filled ? 'FILLED' : 'NEW',
      timeInForce: p.timeInForce ?? 'GTC',
      type,
      side,
      stopPrice,
      time: now,
      updateTime: now,
    };
    this.orders.push(order);
    return order;
  }

  /** Adds an OCO pair (what POST /api/v3/orderList/oco would make). */
  addOco(seed: OcoSeed, now: number): OrderList {
    const list: OrderList = { uid: seed.uid, symbol: seed.symbol, orderListId: this.#nextListId++, listClientOrderId: clientId() };
    this.lists.push(list);
    const leg = (type: string, price: string, stopPrice?: string): BinanceOrder => ({
      uid: seed.uid,
      symbol: seed.symbol,
      orderId: this.#nextOrderId++,
      orderListId: list.orderListId,
      clientOrderId: clientId(),
      price,
      origQty: seed.quantity,
      executedQty: '0.00000000',
      cummulativeQuoteQty: '0.00000000',
      status: 'NEW',
      timeInForce: 'GTC',
      type,
      side: seed.side,
      stopPrice,
      time: now,
      updateTime: now,
    });
    this.orders.push(leg('STOP_LOSS_LIMIT', seed.stopLimitPrice, seed.stopPrice), leg('LIMIT_MAKER', seed.price));
    return list;
  }

  /** GET /api/v3/order: one order of the account by orderId (or origClientOrderId), any status. */
  find(uid: number, p: Record<string, string>): BinanceOrder {
    const symbol = required(p, 'symbol');
    if (!p.orderId && !p.origClientOrderId) throw errors.mandatory('orderId');
    const o = this.orders.find((o) => o.uid === uid && o.symbol === symbol && (p.orderId ? String(o.orderId) === p.orderId : o.clientOrderId === p.origClientOrderId));
    if (!o) throw errors.noSuchOrder();
    return o;
  }

  /** DELETE /api/v3/order: cancels one open order; synchronous on Binance. */
  cancelOne(uid: number, p: Record<string, string>, now: number) {
    const o = this.find(uid, p);
    if (o.status !== 'NEW') throw errors.unknownOrder();
    Object.assign(o, { status: 'CANCELED', updateTime: now });
    return cancelReport(o, now);
  }

  open(uid: number, symbol?: string): BinanceOrder[] {
    return this.orders.filter((o) => o.uid === uid && o.status === 'NEW' && (!symbol || o.symbol === symbol));
  }

  /**
   * DELETE /api/v3/openOrders (cancel-all-open-orders.json): every open order of the symbol, plain
   * orders as cancel reports and each order list as one entry with its legs. Synchronous on Binance.
   */
  cancelAll(uid: number, symbol: string, now: number) {
    const hit = this.open(uid, symbol);
    if (hit.length === 0) throw errors.unknownOrder();
    for (const o of hit) Object.assign(o, { status: 'CANCELED', updateTime: now });
    const plain = hit.filter((o) => o.orderListId === -1).map((o) => cancelReport(o, now));
    const lists = [...new Set(hit.filter((o) => o.orderListId !== -1).map((o) => o.orderListId))].map((id) => {
      const list = this.lists.find((l) => l.orderListId === id)!;
      const legs = hit.filter((o) => o.orderListId === id);
      return {
        orderListId: id,
        contingencyType: 'OCO',
        listStatusType: 'ALL_DONE',
        listOrderStatus: 'ALL_DONE',
        listClientOrderId: list.listClientOrderId,
        transactionTime: now,
        symbol,
        orders: legs.map((o) => ({ symbol, orderId: o.orderId, clientOrderId: o.clientOrderId })),
        orderReports: legs.map((o) => cancelReport(o, now)),
      };
    });
    return [...plain, ...lists];
  }
}

function cancelReport(o: BinanceOrder, now: number) {
  return {
    symbol: o.symbol,
    origClientOrderId: o.clientOrderId,
    orderId: o.orderId,
    orderListId: o.orderListId,
    clientOrderId: clientId(),
    transactTime: now,
    price: o.price,
    origQty: o.origQty,
    executedQty: o.executedQty,
    origQuoteOrderQty: '0.000000',
    cummulativeQuoteQty: o.cummulativeQuoteQty,
    status: 'CANCELED',
    timeInForce: o.timeInForce,
    type: o.type,
    side: o.side,
    ...(o.stopPrice ? { stopPrice: o.stopPrice } : {}),
    selfTradePreventionMode: 'NONE',
  };
}

/** An order as GET /api/v3/openOrders and the RESULT response of POST /api/v3/order show it. */
export function renderOrder(o: BinanceOrder) {
  return {
    symbol: o.symbol,
    orderId: o.orderId,
    orderListId: o.orderListId,
    clientOrderId: o.clientOrderId,
    price: o.price,
    origQty: o.origQty,
    executedQty: o.executedQty,
    cummulativeQuoteQty: o.cummulativeQuoteQty,
    status: o.status,
    timeInForce: o.timeInForce,
    type: o.type,
    side: o.side,
    stopPrice: o.stopPrice ?? '0.00000000',
    icebergQty: '0.00000000',
    time: o.time,
    updateTime: o.updateTime,
    isWorking: true,
    workingTime: o.time,
    origQuoteOrderQty: '0.00000000',
    selfTradePreventionMode: 'NONE',
  };
}

/** POST /api/v3/order's answer: ACK, RESULT or FULL (MARKET and LIMIT default to FULL, others to ACK). */
export function renderNewOrder(o: BinanceOrder, respType: string | undefined) {
  const type = respType ?? (o.type === 'MARKET' || o.type === 'LIMIT' ? 'FULL' : 'ACK');
  const ack = { symbol: o.symbol, orderId: o.orderId, orderListId: o.orderListId, clientOrderId: o.clientOrderId, transactTime: o.time };
  if (type === 'ACK') return ack;
  const result = {
    ...ack,
    price: o.price,
    origQty: o.origQty,
    executedQty: o.executedQty,
    origQuoteOrderQty: '0.00000000',
    cummulativeQuoteQty: o.cummulativeQuoteQty,
    status: o.status,
    timeInForce: o.timeInForce,
    type: o.type,
    side: o.side,
    ...(o.stopPrice ? { stopPrice: o.stopPrice } : {}),
    workingTime: o.time,
    selfTradePreventionMode: 'NONE',
  };
  return type === 'FULL'
    ? { ...result, fills: o.status === 'FILLED' ? [{ price: o.price, qty: o.origQty, commission: '0', commissionAsset: 'BNB', tradeId: o.orderId }] : [] }
    : result;
}
