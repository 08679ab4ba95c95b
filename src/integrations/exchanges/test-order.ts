import { IntegrationError } from '../errors.js';
import type { TestOrderSpec } from './exchange.js';

/** What an exchange's rules for a symbol say about a resting order, in numbers. */
export interface OrderRules {
  tickSize: string;
  minPrice: number;
  maxPrice: number;
  qtyStep: string;
  minQty: number;
  minNotional: number;
  /** The band's far edge away from the market (Binance PERCENT_PRICE_BY_SIDE); none where only minPrice/maxPrice bound it. */
  farEdge?: number;
}

/**
 * The test order's price and quantity: `awayPercent` from the best price on its own side, kept
 * inside the band and the price filter (rounded away from the market onto the tick), and the
 * smallest quantity on the step that meets both the minimum quantity and the minimum notional.
 */
export function testOrderTerms(system: string, spec: Pick<TestOrderSpec, 'side' | 'awayPercent' | 'symbol'>, best: number, rules: OrderRules): { price: string; qty: string } {
  const buy = spec.side === 'Buy';
  const raw = best * (buy ? 1 - spec.awayPercent / 100 : 1 + spec.awayPercent / 100);
  const bound = buy ? Math.max(rules.minPrice, rules.farEdge ?? 0) : Math.min(rules.maxPrice, rules.farEdge ?? Infinity);
  const clamped = buy ? Math.max(raw, bound) : Math.min(raw, bound);
  // At the band's edge, round into the band; else away from the market.
  const price = buy ? (clamped === bound ? ceilTo(clamped, rules.tickSize) : floorTo(clamped, rules.tickSize)) : clamped === bound ? floorTo(clamped, rules.tickSize) : ceilTo(clamped, rules.tickSize);
  if (!(buy ? Number(price) < best : Number(price) > best)) {
    throw new IntegrationError({
      system,
      operation: 'test order',
      kind: 'invalid_request',
      retryable: false,
      detail: `no ${spec.side} price on ${spec.symbol} is both away from the market (${best}) and inside the price bands`,
      action: 'pick another symbol or side for verify.tradeTest in the credential',
    });
  }
  const need = rules.minNotional / Number(price);
  const qty = ceilTo(Math.max(rules.minQty, need), rules.qtyStep);
  return { price, qty };
}

const decimals = (step: string) => (step.includes('.') ? step.replace(/0+$/, '').split('.')[1]!.length : 0);
const floorTo = (v: number, step: string) => (Math.floor(v / Number(step) + 1e-9) * Number(step)).toFixed(decimals(step));
const ceilTo = (v: number, step: string) => (Math.ceil(v / Number(step) - 1e-9) * Number(step)).toFixed(decimals(step));
