import type { Category } from '../../../core/credential.js';
import { IntegrationError } from '../../errors.js';
import { BYBIT } from './errors.js';
import type { TradeScope } from '../exchange.js';

/**
 * Spot order kinds, as the V5 orderFilter names them. Spot cancel-all takes one kind at a
 * time and cancels plain orders only when none is named (cancel-all.mdx), so TP/SL,
 * conditional, OCO and bidirectional TP/SL orders each need their own call.
 */
export const SPOT_ORDER_FILTERS = ['Order', 'tpslOrder', 'StopOrder', 'OcoOrder', 'BidirectionalTpslOrder'] as const;

/** One list or cancel request: a category narrowed the way Bybit requires. */
export interface ScopeQuery {
  category: Category;
  orderFilter?: string;
  settleCoin?: string;
  symbol?: string;
}

/**
 * The requests that cover a credential's scope: spot once per order kind; linear and inverse
 * once per settle coin and once per symbol (they need one of them); option needs neither.
 */
export function orderQueries(scope: TradeScope, operation: string): ScopeQuery[] {
  return scope.categories.flatMap((category): ScopeQuery[] => {
    if (category === 'spot') return SPOT_ORDER_FILTERS.map((orderFilter) => ({ category, orderFilter }));
    return coinQueries(category, scope, operation);
  });
}

/** Position requests: spot has no positions; the others as for orders. */
export function positionQueries(scope: TradeScope, operation: string): ScopeQuery[] {
  return scope.categories.filter((c) => c !== 'spot').flatMap((category) => coinQueries(category, scope, operation));
}

function coinQueries(category: Category, scope: TradeScope, operation: string): ScopeQuery[] {
  if (category === 'option') return [{ category }];
  const queries = [...scope.settleCoins.map((settleCoin) => ({ category, settleCoin })), ...scope.symbols.map((symbol) => ({ category, symbol }))];
  if (queries.length === 0) {
    throw new IntegrationError({
      system: BYBIT,
      operation,
      kind: 'invalid_request',
      retryable: false,
      detail: `category ${category} needs a settle coin or a symbol and the credential lists neither`,
      action: "add trades.settleCoins (e.g. USDT) or trades.symbols to the credential's config",
    });
  }
  return queries;
}
