import type { CancelAllOrdersParamsV5, GetAccountOrdersParamsV5, PositionInfoParamsV5 } from 'bybit-api';
import type { Category } from '../../../core/credential.js';
import { IntegrationError } from '../../errors.js';
import { BybitClient, paged, serverTimeOf } from './client.js';
import { orderQueries, positionQueries, type ScopeQuery } from './scope.js';
import { DEFAULT_CANCEL_BUDGET_MS, DEFAULT_POLL_MS, type ExchangeDeps, type ExchangeOptions } from '../deps.js';
import type { CallContext, Capabilities, Exchange, KeyInfo, KeyMaterial, NewKey, NewKeySpec, OpenOrder, Position, TradeScope } from '../exchange.js';
import { orderKey, sweep } from '../sweep.js';

export interface BybitOptions extends ExchangeOptions {
  /** recv_window sent with every signed request. Default 5000 ms. */
  recvWindowMs?: number;
}

const DAY = 86_400_000;
/** create-sub-api: a key without an IP binding dies 90 days after it was made. */
const UNBOUND_KEY_LIFETIME_MS = 90 * DAY;

/** What query-api and sub-apikeys say about a key; the latter types readOnly as a boolean. */
interface BybitKeyEntry {
  apiKey: string;
  note: string;
  readOnly: number | boolean;
  permissions: object;
  ips?: string[];
  expiredAt?: string;
  userID?: number;
  isMaster?: boolean;
}

/**
 * Bybit V5 (DESIGN.md, "Bybit:"): the bot trades with sub-account keys; LeakGuard's master key
 * creates, lists and deletes them; a master key deletes only itself. Everything is `api`.
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

  constructor(
    private readonly opts: BybitOptions,
    private readonly deps: ExchangeDeps,
  ) {
    this.#client = new BybitClient({ ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}), ...(opts.recvWindowMs ? { recvWindowMs: opts.recvWindowMs } : {}), ...(opts.headers ? { headers: opts.headers } : {}) }, deps);
  }

  /**
   * create-sub-api needs a master key with Wallet AccountTransfer or SubMemberTransfer; it
   * must not be read-only, and must not hold Withdrawal (a leaked master key could drain the account).
   */
  masterKeyProblems(info: KeyInfo): string[] {
    const wallet = info.permissions.Wallet ?? [];
    const problems: string[] = [];
    if (!info.isMaster) problems.push('it is a sub-account key; create-sub-api needs a master account key');
    if (info.readOnly) problems.push('it is read-only; create-sub-api needs a read-write key');
    if (!wallet.includes('AccountTransfer') && !wallet.includes('SubMemberTransfer')) problems.push('it lacks Wallet AccountTransfer or SubMemberTransfer, which create-sub-api requires');
    if (wallet.includes('Withdraw')) problems.push('it holds the Withdrawal permission; create a master key without it');
    return problems;
  }

  async describeKey(key: KeyMaterial, ctx?: CallContext): Promise<KeyInfo> {
    const info = await this.#client.request('query-api', key, ctx, (sdk) => sdk.getQueryApiKey());
    return keyInfo(info, String(info.userID));
  }

  async createSubKey(master: KeyMaterial, spec: NewKeySpec, ctx?: CallContext): Promise<NewKey> {
    const created = await this.#client.request('create-sub-api', master, ctx, (sdk) =>
      sdk.createSubUIDAPIKey({
        subuid: Number(spec.uid),
        note: spec.note,
        readOnly: spec.readOnly ? 1 : 0,
        permissions: spec.permissions,
        ...(spec.ips.length ? { ips: spec.ips.join(',') } : {}),
      }),
    );
    const material = { apiKey: created.apiKey, apiSecret: created.secret };
    // The one time Bybit shows this secret: scrub it from everything before anything else happens.
    this.#client.register(material);
    return {
      material,
      info: {
        keyId: created.apiKey,
        uid: spec.uid,
        note: created.note,
        readOnly: created.readOnly === 1,
        permissions: nonEmpty(created.permissions),
        ips: spec.ips,
        expiresAt: spec.ips.length ? null : this.deps.clock.now() + UNBOUND_KEY_LIFETIME_MS,
        isMaster: false,
      },
    };
  }

  async listSubKeys(master: KeyMaterial, uid: string, ctx?: CallContext): Promise<KeyInfo[]> {
    const entries = await this.#client.pages<BybitKeyEntry>('sub-apikeys', master, ctx, async (sdk, cursor) =>
      paged(await sdk.getSubAccountAllApiKeys({ subMemberId: uid, limit: 20, ...(cursor ? { cursor } : {}) }), (r) => r.result, (r) => r.nextPageCursor),
    );
    return entries.map((e) => keyInfo(e, uid));
  }

  async deleteSubKey(master: KeyMaterial, keyId: string, uid: string, ctx?: CallContext): Promise<{ alreadyGone: boolean }> {
    try {
      await this.#client.request('delete-sub-api', master, ctx, (sdk) => sdk.deleteSubApiKey({ apikey: keyId }));
      return { alreadyGone: false };
    } catch (err) {
      // Bybit refuses to delete a key it no longer has (10001); the sub-account's key list says whether that is why.
      if (!(err instanceof IntegrationError && err.code === 10001)) throw err;
      const keys = await this.listSubKeys(master, uid, ctx);
      if (keys.some((k) => k.keyId === keyId)) throw err;
      return { alreadyGone: true };
    }
  }

  async deleteOwnKey(key: KeyMaterial, ctx?: CallContext): Promise<{ alreadyGone: boolean }> {
    const gone = (err: unknown) => err instanceof IntegrationError && err.kind === 'invalid_key';
    try {
      // A master key deletes itself with delete-api; a sub-account key with delete-sub-api and no apikey.
      const { isMaster } = await this.describeKey(key, ctx);
      await this.#client.request(isMaster ? 'delete-api' : 'delete-sub-api', key, ctx, (sdk) => (isMaster ? sdk.deleteMasterApiKey() : sdk.deleteSubApiKey()));
      return { alreadyGone: false };
    } catch (err) {
      if (gone(err)) return { alreadyGone: true };
      throw err;
    }
  }

  async listOpenOrders(key: KeyMaterial, scope: TradeScope, ctx?: CallContext): Promise<OpenOrder[]> {
    const found = new Map<string, OpenOrder>();
    for (const q of orderQueries(scope, 'order/realtime')) {
      const list = await this.#client.pages('order/realtime', key, ctx, async (sdk, cursor) =>
        paged(await sdk.getActiveOrders({ ...(q as GetAccountOrdersParamsV5), limit: 50, ...(cursor ? { cursor } : {}) }), (r) => r.list, (r) => r.nextPageCursor),
      );
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
        };
        found.set(orderKey(order), order);
      }
    }
    return [...found.values()];
  }

  cancelAll(key: KeyMaterial, scope: TradeScope, ctx?: CallContext & { pollMs?: number }): Promise<{ cancelled: number; polls: number }> {
    const queries = orderQueries(scope, 'order/cancel-all');
    return sweep({
      system: 'Bybit',
      clock: this.deps.clock,
      pollMs: ctx?.pollMs ?? this.opts.pollMs ?? DEFAULT_POLL_MS,
      budgetMs: this.opts.cancelBudgetMs ?? DEFAULT_CANCEL_BUDGET_MS,
      ...(ctx?.signal ? { signal: ctx.signal } : {}),
      cancel: () => this.#cancelRound(key, queries, ctx),
      list: () => this.listOpenOrders(key, scope, ctx),
    });
  }

  async #cancelRound(key: KeyMaterial, queries: ScopeQuery[], ctx?: CallContext): Promise<string[]> {
    const acked: string[] = [];
    for (const q of queries) {
      // The SDK's OrderFilterV5 lacks OcoOrder and BidirectionalTpslOrder, which cancel-all.mdx lists for spot.
      const res = await this.#client.request('order/cancel-all', key, ctx, (sdk) => sdk.cancelAllOrders(q as CancelAllOrdersParamsV5));
      acked.push(...(res.list ?? []).map((o) => orderKey({ category: q.category, orderId: o.orderId })));
    }
    return acked;
  }

  async positions(key: KeyMaterial, scope: TradeScope, ctx?: CallContext): Promise<Position[]> {
    const found = new Map<string, Position>();
    for (const q of positionQueries(scope, 'position/list')) {
      const list = await this.#client.pages('position/list', key, ctx, async (sdk, cursor) =>
        paged(await sdk.getPositionInfo({ ...(q as PositionInfoParamsV5), limit: 200, ...(cursor ? { cursor } : {}) }), (r) => r.list, (r) => r.nextPageCursor),
      );
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

  async serverTime(ctx?: CallContext): Promise<number> {
    return serverTimeOf(await this.#client.request('market/time', null, ctx, (sdk) => sdk.getServerTime()));
  }
}

/** A key as LeakGuard describes it: no secret, empty permission groups and the "*" IP left out. */
function keyInfo(e: BybitKeyEntry, uid: string): KeyInfo {
  const expiresAt = e.expiredAt ? Date.parse(e.expiredAt) : NaN;
  return {
    keyId: e.apiKey,
    uid,
    note: e.note,
    readOnly: e.readOnly === 1 || e.readOnly === true,
    permissions: nonEmpty(e.permissions),
    ips: (e.ips ?? []).filter((ip) => ip !== '*'),
    // A bound key shows the epoch: it never expires.
    expiresAt: Number.isFinite(expiresAt) && expiresAt > 0 ? expiresAt : null,
    isMaster: e.isMaster ?? false,
  };
}

function msOrNull(v: string | number | undefined): number | null {
  const ms = Number(v);
  return Number.isFinite(ms) && ms > 0 ? ms : null;
}

function nonEmpty(permissions: object): Record<string, string[]> {
  return Object.fromEntries(Object.entries(permissions as Record<string, unknown>).filter((e): e is [string, string[]] => Array.isArray(e[1]) && e[1].length > 0));
}
