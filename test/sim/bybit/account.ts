import { errors } from './errors.js';
import { paginate, type Params, requireCategory, str } from './params.js';
import { matchesScope } from './symbols.js';

export interface Position {
  uid: number;
  category: 'linear' | 'inverse' | 'option';
  symbol: string;
  side: 'Buy' | 'Sell';
  size: string;
  avgPrice: string;
  markPrice?: string;
  leverage?: string;
  positionIdx?: number;
}

export interface Balance {
  uid: number;
  coin: string;
  walletBalance: string;
  /** USD value of the whole balance; defaults to walletBalance (a stablecoin). */
  usdValue?: string;
}

/**
 * GET /v5/position/list (position.mdx): a symbol returns its row even when flat; settleCoin only
 * open ones; option needs neither (every option position, or those of `baseCoin`).
 */
export function positionList(positions: Position[], uid: number, p: Params, now: number) {
  const category = requireCategory(p);
  if (category === 'spot') throw errors.param('params error: category spot is not supported');
  const symbol = str(p.symbol);
  const settleCoin = str(p.settleCoin);
  const baseCoin = category === 'option' ? str(p.baseCoin) : undefined;
  if (category === 'linear' && !symbol && !settleCoin) throw errors.param('params error: symbol or settleCoin is required');
  const own = positions.filter((x) => x.uid === uid && x.category === category && x.size !== '0');
  let rows: Position[];
  if (symbol) {
    const found = own.find((x) => x.symbol === symbol);
    rows = [found ?? { uid, category, symbol, side: '' as 'Buy', size: '0', avgPrice: '0' }];
  } else {
    rows = own.filter((x) => matchesScope(category, x.symbol, { settleCoin, baseCoin }));
  }
  const page = paginate(rows, p, 200, 20, (x) => x.symbol + (x.positionIdx ?? 0));
  return { list: page.items.map((x) => renderPosition(x, now)), nextPageCursor: page.nextPageCursor, category };
}

function renderPosition(x: Position, now: number) {
  const markPrice = x.markPrice ?? x.avgPrice;
  const value = String(Number(x.size) * Number(x.avgPrice));
  return {
    positionIdx: x.positionIdx ?? 0,
    riskId: 1,
    riskLimitValue: '2000000',
    symbol: x.symbol,
    side: x.side,
    size: x.size,
    avgPrice: x.avgPrice,
    positionValue: value,
    tradeMode: 0,
    positionStatus: 'Normal',
    autoAddMargin: 0,
    adlRankIndicator: x.size === '0' ? 0 : 2,
    leverage: x.leverage ?? '10',
    breakEvenPrice: x.avgPrice,
    positionBalance: '0',
    markPrice,
    liqPrice: '',
    bustPrice: '',
    positionMM: '0',
    positionMMByMp: '0',
    positionIM: '0',
    positionIMByMp: '0',
    tpslMode: 'Full',
    takeProfit: '0.00',
    stopLoss: '0.00',
    trailingStop: '0.00',
    unrealisedPnl: '0',
    curRealisedPnl: '0',
    cumRealisedPnl: '0',
    seq: -1,
    isReduceOnly: false,
    mmrSysUpdateTime: '',
    leverageSysUpdatedTime: '',
    sessionAvgPrice: '',
    createdTime: String(now),
    updatedTime: String(now),
  };
}

/** GET /v5/account/wallet-balance (wallet-balance.mdx): accountType UNIFIED; without coin, non-zero assets only. */
export function walletBalance(balances: Balance[], uid: number, p: Params) {
  const accountType = str(p.accountType);
  if (accountType !== 'UNIFIED') throw errors.param('params error: accountType only support UNIFIED');
  const coins = str(p.coin)?.split(',');
  const own = balances.filter((b) => b.uid === uid && (coins ? coins.includes(b.coin) : Number(b.walletBalance) !== 0));
  const total = String(own.reduce((sum, b) => sum + Number(b.usdValue ?? b.walletBalance), 0));
  return {
    list: [
      {
        totalEquity: total,
        accountIMRate: '0',
        accountIMRateByMp: '0',
        totalMarginBalance: total,
        totalInitialMargin: '0',
        totalInitialMarginByMp: '0',
        accountType: 'UNIFIED',
        totalAvailableBalance: total,
        accountMMRate: '0',
        accountMMRateByMp: '0',
        totalPerpUPL: '0',
        totalWalletBalance: total,
        accountLTV: '0',
        totalMaintenanceMargin: '0',
        totalMaintenanceMarginByMp: '0',
        coin: own.map((b) => ({
          availableToBorrow: '',
          bonus: '0',
          accruedInterest: '0',
          availableToWithdraw: '',
          totalOrderIM: '0',
          equity: b.walletBalance,
          totalPositionMM: '0',
          usdValue: b.usdValue ?? b.walletBalance,
          spotHedgingQty: '0',
          unrealisedPnl: '0',
          collateralSwitch: true,
          borrowAmount: '0',
          totalPositionIM: '0',
          walletBalance: b.walletBalance,
          cumRealisedPnl: '0',
          locked: '0',
          marginCollateral: true,
          coin: b.coin,
          spotBorrow: '0',
        })),
      },
    ],
  };
}
