import { MainClient, type SymbolOrderBookTicker } from 'binance';
import { IntegrationError } from '../../errors.js';
import { testOrderTerms } from '../test-order.js';
import type { Revoked } from '../../../core/revocation.js';
import { BINANCE, binanceErrors } from './errors.js';
import { DEFAULT_CANCEL_BUDGET_MS, DEFAULT_POLL_MS, type ExchangeDeps, type ExchangeOptions } from '../deps.js';
import type { CallContext, Capabilities, Exchange, KeyInfo, KeyMaterial, NewKey, NewKeySpec, OpenOrder, Position, RevokeTarget, SweepContext, Swept, TestOrderResult, TestOrderSpec, TradeScope } from '../exchange.js';
import { ManualCapabilityError } from '../manual.js';
import { SignedClient } from '../signed.js';
import { orderKey, sweep } from '../sweep.js';

export interface BinanceOptions extends ExchangeOptions {
  /** recvWindow sent with every signed request. Default 5000 ms (Binance allows up to 60000). */
  recvWindowMs?: number;
}

const KEY_PAGE = 'Binance > Account > API Management';
/** At most the first 4 characters of a key id leave the process (DESIGN.md, rules). */
const prefix = (key: KeyMaterial | string) => `${(typeof key === 'string' ? key : key.apiKey).slice(0, 4)}…`;

/** One order as DELETE /api/v3/openOrders reports it: a plain order, or an OCO list with its legs. */
interface CancelReport {
  orderId?: number;
  orderReports?: { orderId: number }[];
}

/**
 * Binance spot (DESIGN.md: "cancel and checks over the API, key changes as human tasks"). An
 * ordinary account has no API for its keys, so queryKey, createKey and revokeKey are
 * `manual` and throw ManualCapabilityError with what a person must do. Positions are [] (spot).
 */
export class BinanceExchange implements Exchange {
  readonly name = 'binance';
  readonly capabilities: Capabilities = {
    queryKey: 'manual',
    createKey: 'manual',
    revokeKey: 'manual',
    cancelAll: 'api',
    listOpenOrders: 'api',
    positions: 'api',
    balance: 'api',
  };
  readonly #client: SignedClient<MainClient>;

  constructor(
    private readonly opts: BinanceOptions,
    private readonly deps: ExchangeDeps,
  ) {
    this.#client = new SignedClient<MainClient>(
      {
        system: BINANCE,
        sdk: (key, { signal, timeoutMs, serverNow }) => {
          const sdk = new MainClient(
            {
              ...(key ? { api_key: key.apiKey, api_secret: key.apiSecret } : {}),
              ...(opts.baseUrl ? { baseUrl: opts.baseUrl } : {}),
              recvWindow: opts.recvWindowMs ?? 5000,
              parseExceptions: false,
              disableTimeSync: true,
            },
            { signal, timeout: timeoutMs, headers: { ...opts.headers } },
          );
          // MainClient signs with Date.now() + offset: make that our estimate of Binance's time.
          sdk.setTimeOffset(serverNow() - Date.now());
          return sdk;
        },
        classify: binanceErrors.classifier(deps),
        // -1021: our timestamp was outside recvWindow.
        isClockSkew: (err) => (err as { response?: { data?: { code?: number } } }).response?.data?.code === -1021,
        fetchTime,
      },
      deps,
    );
  }

  describeKey(key: KeyMaterial): Promise<KeyInfo> {
    return this.#manual('describeKey', 'queryKey', [
      `Open ${KEY_PAGE} and find the key starting ${prefix(key)}.`,
      'Note its label, its restrictions (Enable Reading, Enable Spot & Margin Trading, Enable Withdrawals) and its IP access list.',
      'Record them as the result of this task in LeakGuard.',
    ]);
  }

  createKey(_master: KeyMaterial, spec: NewKeySpec): Promise<NewKey> {
    return this.#manual('createKey', 'createKey', [
      `In ${KEY_PAGE}, create a system-generated (HMAC) API key labelled "${spec.note}".`,
      `Give it ${spec.readOnly ? 'Enable Reading only' : 'Enable Reading and Enable Spot & Margin Trading'}, never Enable Withdrawals${Object.keys(spec.permissions).length ? ` (permissions asked for: ${JSON.stringify(spec.permissions)})` : ''}.`,
      spec.ips.length ? `Restrict access to these IPs only: ${spec.ips.join(', ')}.` : 'Restrict access to trusted IPs only.',
      "Store the key and secret in the credential's Secrets Manager secret as a new version, then record the task as done in LeakGuard; never paste the secret into chat or a ticket.",
    ]);
  }

  listKeys(_master: KeyMaterial, _account: string): Promise<KeyInfo[]> {
    return this.#manual('listKeys', 'queryKey', [`Open ${KEY_PAGE} and list the keys by label; record the result of this task in LeakGuard.`]);
  }

  revokeKey(target: RevokeTarget): Promise<Revoked> {
    return this.#manual('revokeKey', 'revokeKey', [`In ${KEY_PAGE}, delete the key starting ${prefix(target.keyId)}.`, 'Then record the task as done in LeakGuard; LeakGuard checks that the key no longer works.']);
  }

  /** Open orders of each symbol in scope (every symbol when the scope names none); OCO legs included. */
  async listOpenOrders(key: KeyMaterial, scope: TradeScope, ctx?: CallContext): Promise<OpenOrder[]> {
    const symbols: (string | undefined)[] = scope.symbols.length ? scope.symbols : [undefined];
    const found: OpenOrder[] = [];
    for (const symbol of symbols) {
      const orders = await this.#client.request('openOrders', key, ctx, (sdk) => sdk.getOpenOrders(symbol ? { symbol } : {}));
      for (const o of orders) {
        found.push({
          category: 'spot',
          symbol: o.symbol,
          orderId: String(o.orderId),
          orderLinkId: o.clientOrderId,
          side: o.side,
          qty: String(o.origQty),
          price: String(o.price),
          orderFilter: o.orderListId !== -1 ? 'OCO' : null,
          createdAt: Number.isFinite(Number(o.time)) && Number(o.time) > 0 ? Number(o.time) : null,
        });
      }
    }
    return found;
  }

  /**
   * DELETE /api/v3/openOrders for each symbol in scope and each symbol an open order is seen on
   * (it cancels OCO lists too; -2011 means nothing was open), then looks until none is left.
   */
  cancelAll(key: KeyMaterial, scope: TradeScope, ctx?: SweepContext): Promise<Swept> {
    return sweep({
      system: BINANCE,
      clock: this.deps.clock,
      pollMs: ctx?.pollMs ?? this.opts.pollMs ?? DEFAULT_POLL_MS,
      budgetMs: this.opts.cancelBudgetMs ?? DEFAULT_CANCEL_BUDGET_MS,
      once: ctx?.once ?? false,
      ...(ctx?.signal ? { signal: ctx.signal } : {}),
      cancel: async (open) => {
        const symbols = new Set([...scope.symbols, ...(open ?? []).map((o) => o.symbol)]);
        const acked: string[] = [];
        for (const symbol of symbols) {
          const reports = await this.#client.request('DELETE openOrders', key, ctx, async (sdk) => {
            try {
              return (await sdk.cancelAllSymbolOrders({ symbol })) as CancelReport[];
            } catch (err) {
              if ((err as { response?: { data?: { code?: number } } }).response?.data?.code === -2011) return [];
              throw err;
            }
          });
          for (const r of reports) {
            const ids = r.orderReports ? r.orderReports.map((x) => x.orderId) : r.orderId !== undefined ? [r.orderId] : [];
            acked.push(...ids.map((id) => orderKey({ category: 'spot', orderId: String(id) })));
          }
        }
        return acked;
      },
      list: () => this.listOpenOrders(key, scope, ctx),
    });
  }

  /** Spot holds balances, not positions. */
  positions(): Promise<Position[]> {
    return Promise.resolve([]);
  }

  /** Free plus locked per asset, leaving out empty ones; a working answer also proves the key works. */
  async balance(key: KeyMaterial, ctx?: CallContext): Promise<Record<string, string>> {
    const account = await this.#client.request('account', key, ctx, (sdk) => sdk.getAccountInformation({ omitZeroBalances: true }));
    return Object.fromEntries(account.balances.map((b) => [b.asset, addDecimals(String(b.free), String(b.locked))]));
  }

  /**
   * The order test on Binance: a LIMIT_MAKER (Binance rejects one that would trade at once with
   * -2010, so nothing can fill) away from the best bid or ask, inside PERCENT_PRICE_BY_SIDE and
   * PRICE_FILTER, at the LOT_SIZE and NOTIONAL minimums; read back NEW, cancelled, read back CANCELED.
   */
  async testOrder(key: KeyMaterial, spec: TestOrderSpec, ctx?: CallContext): Promise<TestOrderResult> {
    const { symbol } = spec;
    const buy = spec.side === 'Buy';
    const [info, book, avg] = await Promise.all([
      this.#client.request('exchangeInfo', null, ctx, (sdk) => sdk.getExchangeInfo({ symbol })),
      this.#client.request('bookTicker', null, ctx, async (sdk) => (await sdk.getSymbolOrderBookTicker({ symbol })) as SymbolOrderBookTicker),
      this.#client.request('avgPrice', null, ctx, (sdk) => sdk.getAvgPrice({ symbol })),
    ]);
    const filters = info.symbols.find((s) => s.symbol === symbol)?.filters ?? [];
    const filter = (type: string) => filters.find((f) => f.filterType === type) as unknown as Record<string, string> | undefined;
    const price = filter('PRICE_FILTER');
    const lot = filter('LOT_SIZE');
    const side = filter('PERCENT_PRICE_BY_SIDE');
    const notional = filter('NOTIONAL') ?? filter('MIN_NOTIONAL');
    if (!price || !lot) throw new IntegrationError({ system: BINANCE, operation: 'test order', kind: 'failed', retryable: false, detail: `${symbol} is not listed, or lists no PRICE_FILTER and LOT_SIZE`, action: "fix verify.tradeTest's symbol in the credential" });
    const average = Number(avg.price);
    const terms = testOrderTerms(BINANCE, spec, Number(buy ? book.bidPrice : book.askPrice), {
      tickSize: String(price.tickSize),
      minPrice: Number(price.minPrice),
      maxPrice: Number(price.maxPrice) || Infinity,
      qtyStep: String(lot.stepSize),
      minQty: Number(lot.minQty),
      minNotional: Number(notional?.minNotional ?? 0),
      ...(side ? { farEdge: average * Number(buy ? side.bidMultiplierDown : side.askMultiplierUp) } : {}),
    });
    const placed = await this.#client.request('POST order', key, ctx, (sdk) =>
      sdk.submitNewOrder({ symbol, side: buy ? 'BUY' : 'SELL', type: 'LIMIT_MAKER', quantity: Number(terms.qty), price: Number(terms.price), newOrderRespType: 'ACK' }),
    );
    const orderId = placed.orderId;
    const status = async () => (await this.#client.request('GET order', key, ctx, (sdk) => sdk.getOrder({ symbol, orderId }))).status;
    const fail = (detail: string, action: string) => new IntegrationError({ system: BINANCE, operation: 'test order', kind: 'failed', retryable: false, detail, action });
    const resting = await status();
    if (resting !== 'NEW') throw fail(`the test order ${orderId} on ${symbol} is ${resting} instead of resting`, 'retry the verify step; if it persists raise verify.tradeTest.awayPercent');
    await this.#client.request('DELETE order', key, ctx, (sdk) => sdk.cancelOrder({ symbol, orderId }));
    const after = await status();
    if (after !== 'CANCELED') throw fail(`the test order ${orderId} on ${symbol} is ${after} after its cancel`, `cancel order ${orderId} in the Binance web UI (it is far from the market at the minimum size)`);
    return { orderId: String(orderId), ...terms };
  }

  /** Binance key changes are manual: LeakGuard holds no master key there. */
  masterKeyProblems(): string[] {
    return [];
  }

  async serverTime(ctx?: CallContext): Promise<number> {
    return this.#client.request('time', null, ctx, (sdk) => fetchTime(sdk));
  }

  #manual<T>(operation: string, capability: keyof Capabilities, instructions: string[]): Promise<T> {
    return Promise.reject(new ManualCapabilityError(BINANCE, operation, capability, instructions));
  }
}

/** GET /api/v3/time on the configured base URL (MainClient.getServerTime ignores baseUrl). */
async function fetchTime(sdk: MainClient): Promise<number> {
  return ((await sdk.get('api/v3/time')) as { serverTime: number }).serverTime;
}

/** Exact sum of two non-negative decimal strings ("1.5" + "0.00000000" = "1.5"). */
export function addDecimals(a: string, b: string): string {
  const places = Math.max(decimals(a), decimals(b));
  const scaled = (x: string) => BigInt(x.replace('.', '') + '0'.repeat(places - decimals(x)));
  const digits = (scaled(a) + scaled(b)).toString().padStart(places + 1, '0');
  const whole = digits.slice(0, digits.length - places);
  const frac = digits.slice(digits.length - places).replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : whole;
}

function decimals(x: string): number {
  const dot = x.indexOf('.');
  return dot === -1 ? 0 : x.length - dot - 1;
}
