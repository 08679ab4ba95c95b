import type { CancelAllOrdersParamsV5, GetAccountOrdersParamsV5, PositionInfoParamsV5 } from 'bybit-api';
import type { Category } from '../../../core/credential.js';
import type { Revoked } from '../../../core/revocation.js';
import { BybitClient, paged, serverTimeOf } from './client.js';
import { BYBIT } from './errors.js';
import { BybitKeys, masterKeyProblems } from './keys.js';
import { orderQueries, positionQueries, type ScopeQuery } from './scope.js';
import { bybitTestOrder } from './test-order.js';
import { DEFAULT_CANCEL_BUDGET_MS, DEFAULT_POLL_MS, type ExchangeDeps, type ExchangeOptions } from '../deps.js';
import type { CallContext, Capabilities, Exchange, KeyInfo, KeyMaterial, NewKey, NewKeySpec, OpenOrder, Position, RevokeTarget, SweepContext, Swept, TestOrderResult, TestOrderSpec, TradeScope } from '../exchange.js';
import { orderKey, sweep } from '../sweep.js';

export interface BybitOptions extends ExchangeOptions {
  /** recv_window sent with every signed request. Default 5000 ms. */
  recvWindowMs?: number;
}

/**
 * Bybit V5: the bot trades with sub-account keys, managed by LeakGuard's master key (keys.ts);
 * orders and positions over the credential's scope (scope.ts). Everything is `api`.
 */
export class BybitExchange implements Exchange {
  readonly name = 'bybit';
  readonly capabilities: Capabilities = {
    queryKey: 'api',
    createKey: 'api',
    revokeKey: 'api',
    cancelAll: 'api',
    listOpenOrders: 'api',
    positions: 'api',
    balance: 'api',
  };
  readonly #client: BybitClient;
  readonly #keys: BybitKeys;

  constructor(
    private readonly opts: BybitOptions,
    private readonly deps: ExchangeDeps,
  ) {
    this.#client = new BybitClient(opts, deps);
    this.#keys = new BybitKeys(this.#client, deps.clock);
  }

  masterKeyProblems(info: KeyInfo): string[] {
    return masterKeyProblems(info);
  }

  describeKey(key: KeyMaterial, ctx?: CallContext): Promise<KeyInfo> {
    return this.#keys.describe(key, ctx);
  }

  createKey(master: KeyMaterial, spec: NewKeySpec, ctx?: CallContext): Promise<NewKey> {
    return this.#keys.create(master, spec, ctx);
  }

  listKeys(master: KeyMaterial, account: string, ctx?: CallContext): Promise<KeyInfo[]> {
    return this.#keys.list(master, account, ctx);
  }

  revokeKey(target: RevokeTarget, ctx?: CallContext): Promise<Revoked> {
    return this.#keys.revoke(target, ctx);
  }

  async listOpenOrders(key: KeyMaterial, scope: TradeScope, ctx?: CallContext): Promise<OpenOrder[]> {
    const found = new Map<string, OpenOrder>();
    // The queries go out together (each pages on its own): a scope's few queries stay within the per-second limit.
    const queries = orderQueries(scope, 'order/realtime');
    const lists = await Promise.all(
      queries.map((q) =>
        this.#client.pages('order/realtime', key, ctx, async (sdk, cursor) =>
          paged(await sdk.getActiveOrders({ ...(q as GetAccountOrdersParamsV5), limit: 50, ...(cursor ? { cursor } : {}) }), (r) => r.list, (r) => r.nextPageCursor),
        ),
      ),
    );
    for (const [i, list] of lists.entries()) {
      const q = queries[i]!;
      for (const o of list) {
        const order: OpenOrder = {
          category: q.category,
          symbol: o.symbol,
          orderId: o.orderId,
          orderLinkId: o.orderLinkId,
          side: o.side,
          qty: o.qty,
          price: o.price,
          orderFilter: q.orderFilter ?? null,
          createdAt: msOrNull(o.createdTime),
          // Spot orders carry no createType (open-order.mdx).
          ...(o.createType ? { createType: o.createType } : {}),
        };
        found.set(orderKey(order), order);
      }
    }
    return [...found.values()];
  }

  cancelAll(key: KeyMaterial, scope: TradeScope, ctx?: SweepContext): Promise<Swept> {
    const queries = orderQueries(scope, 'order/cancel-all');
    return sweep({
      system: BYBIT,
      clock: this.deps.clock,
      pollMs: ctx?.pollMs ?? this.opts.pollMs ?? DEFAULT_POLL_MS,
      budgetMs: this.opts.cancelBudgetMs ?? DEFAULT_CANCEL_BUDGET_MS,
      once: ctx?.once ?? false,
      ...(ctx?.signal ? { signal: ctx.signal } : {}),
      cancel: () => this.#cancelRound(key, queries, ctx),
      list: () => this.listOpenOrders(key, scope, ctx),
    });
  }

  /** One cancel-all per query, sent together: the round is as fast as its slowest call. */
  async #cancelRound(key: KeyMaterial, queries: ScopeQuery[], ctx?: CallContext): Promise<string[]> {
    const answers = await Promise.all(
      // The SDK's OrderFilterV5 lacks OcoOrder and BidirectionalTpslOrder, which cancel-all.mdx lists for spot.
      queries.map(async (q) => ({
        q,
        res: await this.#client.request('order/cancel-all', key, ctx, (sdk) => sdk.cancelAllOrders(q as CancelAllOrdersParamsV5), q.category === 'option' ? 'cancel-all option' : undefined),
      })),
    );
    return answers.flatMap(({ q, res }) => (res.list ?? []).map((o) => orderKey({ category: q.category, orderId: o.orderId })));
  }

  async positions(key: KeyMaterial, scope: TradeScope, ctx?: CallContext): Promise<Position[]> {
    const found = new Map<string, Position>();
    // The queries together, as for open orders: in break-glass this snapshot is on the way to the revoke.
    const answers = await Promise.all(
      positionQueries(scope, 'position/list').map(async (q) => ({
        q,
        list: await this.#client.pages('position/list', key, ctx, async (sdk, cursor) =>
          paged(await sdk.getPositionInfo({ ...(q as PositionInfoParamsV5), limit: 200, ...(cursor ? { cursor } : {}) }), (r) => r.list, (r) => r.nextPageCursor),
        ),
      })),
    );
    for (const { q, list } of answers) {
      // A symbol query answers a flat row too; only open positions count.
      for (const p of list.filter((p) => Number(p.size) !== 0)) {
        found.set(`${q.category}:${p.symbol}:${p.positionIdx}`, { category: q.category as Category, symbol: p.symbol, side: p.side, size: p.size });
      }
    }
    return [...found.values()];
  }

  async balance(key: KeyMaterial, ctx?: CallContext): Promise<Record<string, string>> {
    const res = await this.#client.request('wallet-balance', key, ctx, (sdk) => sdk.getWalletBalance({ accountType: 'UNIFIED' }));
    return Object.fromEntries((res.list ?? []).flatMap((account) => account.coin.map((c) => [c.coin, c.walletBalance])));
  }

  testOrder(key: KeyMaterial, spec: TestOrderSpec, ctx?: SweepContext): Promise<TestOrderResult> {
    return bybitTestOrder(this.#client, this.deps.clock, key, spec, ctx?.pollMs ?? this.opts.pollMs ?? DEFAULT_POLL_MS, ctx);
  }

  async serverTime(ctx?: CallContext): Promise<number> {
    return serverTimeOf(await this.#client.request('market/time', null, ctx, (sdk) => sdk.getServerTime()));
  }
}

function msOrNull(v: string | number | undefined): number | null {
  const ms = Number(v);
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}
