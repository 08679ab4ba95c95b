import type { Category } from '../../core/credential.js';
import type { Revoked } from '../../core/revocation.js';

/** How an exchange operation is done: by LeakGuard over the API, or by a person (a human task). */
export type Capability = 'api' | 'manual';

export interface Capabilities {
  queryKey: Capability;
  createKey: Capability;
  revokeKey: Capability;
  cancelAll: Capability;
  listOpenOrders: Capability;
  positions: Capability;
  balance: Capability;
}

/** Key material: lives in memory only, registered with the scrubber by whoever loads it. */
export interface KeyMaterial {
  apiKey: string;
  apiSecret: string;
}

/** What an exchange says about a key; never the secret. */
export interface KeyInfo {
  /** The exchange's identifier of the key (for Bybit the API key itself). Never logged whole. */
  keyId: string;
  /** The account the key belongs to, as the credential's account.uid names it (Bybit: the UID). */
  account: string | null;
  note: string;
  readOnly: boolean;
  /** Permission groups as the exchange names them, e.g. {ContractTrade: ['Order','Position']}. */
  permissions: Record<string, string[]>;
  /** Bound IPs; empty means not bound. */
  ips: string[];
  expiresAt: number | null;
  /** When the exchange made the key (epoch ms); absent or null when it does not say. */
  createdAt?: number | null;
  isMaster: boolean;
}

export interface NewKey {
  info: KeyInfo;
  material: KeyMaterial;
}

export interface NewKeySpec {
  /** The account the new key belongs to: the credential's account.uid. */
  account: string;
  note: string;
  readOnly: boolean;
  permissions: Record<string, string[]>;
  ips: string[];
}

/** What a credential trades: where to look for orders and positions. */
export interface TradeScope {
  categories: Category[];
  settleCoins: string[];
  symbols: string[];
}

export interface OpenOrder {
  category: Category;
  symbol: string;
  orderId: string;
  orderLinkId: string;
  side: string;
  qty: string;
  price: string;
  /** Spot order kind on Bybit: Order, tpslOrder, StopOrder, OcoOrder. */
  orderFilter: string | null;
  /** When the exchange created it (epoch ms, the exchange's clock); null when it does not say. */
  createdAt: number | null;
  /** Who made it, where the exchange says (Bybit's createType: CreateByUser, or CreateByLiq, CreateByStopLoss… when Bybit did); absent otherwise. */
  createType?: string;
}

export interface Position {
  category: Category;
  symbol: string;
  side: string;
  size: string;
}

/** verify's order test: a post-only limit order on `symbol`, `awayPercent` from the market. */
export interface TestOrderSpec {
  category: Category;
  symbol: string;
  side: 'Buy' | 'Sell';
  awayPercent: number;
  /** The client order id to place it under (Bybit orderLinkId); Binance makes its own. */
  orderLinkId: string;
}

/** The order test as the exchange showed it: placed and resting, then cancelled. */
export interface TestOrderResult {
  orderId: string;
  price: string;
  qty: string;
}

/** The key to delete, with what the caller has: its material, LeakGuard's master key, its account. */
export interface RevokeTarget {
  keyId: string;
  material?: KeyMaterial | undefined;
  master?: KeyMaterial | undefined;
  account?: string | undefined;
}

export interface CallContext {
  signal?: AbortSignal;
}

/** How cancelAll looks again: every `pollMs` (the adapter's default otherwise); with `once`, one cancel round and no look. */
export interface SweepContext extends CallContext {
  pollMs?: number;
  once?: boolean;
}

/** What a cancelAll did: orders the exchange acknowledged and the looks it took to see none open (0 with `once`). */
export interface Swept {
  cancelled: number;
  polls: number;
}

/**
 * One exchange, in LeakGuard's words (DESIGN.md, "Exchange adapter"). Operations whose
 * capability is `manual` throw; the responder turns them into a human task instead.
 */
export interface Exchange {
  readonly name: string;
  readonly capabilities: Capabilities;
  describeKey(key: KeyMaterial, ctx?: CallContext): Promise<KeyInfo>;
  /** A new key in `spec.account`, made with LeakGuard's master key; its secret is registered with the scrubber. */
  createKey(master: KeyMaterial, spec: NewKeySpec, ctx?: CallContext): Promise<NewKey>;
  /** The keys of `account` as LeakGuard's master key sees them. */
  listKeys(master: KeyMaterial, account: string, ctx?: CallContext): Promise<KeyInfo[]>;
  /**
   * Deletes a key; the exchange decides how (with the master key, or signed by the key itself).
   * Resolves only with a proof that the key is gone (never from what the delete call answered);
   * without one it throws an IntegrationError with code UNPROVEN (src/core/revocation.ts).
   */
  revokeKey(target: RevokeTarget, ctx?: CallContext): Promise<Revoked>;
  listOpenOrders(key: KeyMaterial, scope: TradeScope, ctx?: CallContext): Promise<OpenOrder[]>;
  /** Cancels everything open in the scope, then polls until the exchange reports none. */
  cancelAll(key: KeyMaterial, scope: TradeScope, ctx?: SweepContext): Promise<Swept>;
  positions(key: KeyMaterial, scope: TradeScope, ctx?: CallContext): Promise<Position[]>;
  balance(key: KeyMaterial, ctx?: CallContext): Promise<Record<string, string>>;
  serverTime(ctx?: CallContext): Promise<number>;
  /**
   * Places a post-only limit order with `key`, away from the market but inside the price bands, at
   * the minimum quantity and notional; proves through the exchange that it rests, cancels it, and
   * proves it cancelled (looking every `pollMs` until then). Absent where the exchange cannot.
   */
  testOrder?(key: KeyMaterial, spec: TestOrderSpec, ctx?: SweepContext): Promise<TestOrderResult>;
  /** Why a key cannot serve as LeakGuard's master key (missing rights, or rights it must not have); empty when it can. */
  masterKeyProblems(info: KeyInfo): string[];
}
