export type Category = 'spot' | 'linear' | 'inverse' | 'option';
export const CATEGORIES: readonly Category[] = ['spot', 'linear', 'inverse', 'option'];

const QUOTES = ['USDT', 'USDC', 'USD', 'BTC', 'ETH', 'EUR'];

/**
 * Base and settle coin of a symbol: linear settles in the quote coin, inverse in the base coin, an
 * option (BTC-27DEC24-60000-C, or with a fifth part BTC-27DEC24-60000-C-USDT) in USDC unless it names another.
 */
export function coinsOf(category: Category, symbol: string): { baseCoin: string; settleCoin: string } {
  if (category === 'option') {
    const [baseCoin = '', , , , settle] = symbol.split('-');
    return { baseCoin, settleCoin: settle ?? 'USDC' };
  }
  const quote = QUOTES.find((q) => symbol.endsWith(q) && symbol.length > q.length) ?? '';
  const baseCoin = symbol.slice(0, symbol.length - quote.length);
  return { baseCoin, settleCoin: category === 'inverse' ? baseCoin : quote };
}

/** Filters by symbol, baseCoin and settleCoin, as the query parameters of the V5 list endpoints do. */
export function matchesScope(
  category: Category,
  symbol: string,
  scope: { symbol?: string; baseCoin?: string; settleCoin?: string },
): boolean {
  const coins = coinsOf(category, symbol);
  return (
    (!scope.symbol || scope.symbol === symbol) &&
    (!scope.baseCoin || scope.baseCoin === coins.baseCoin) &&
    (!scope.settleCoin || scope.settleCoin === coins.settleCoin)
  );
}
