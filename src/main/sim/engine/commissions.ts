// IB Pro "fixed" commissions, charged per execution in USD.
// Simplification: IB applies the per-order minimum once per order; here it applies to every execution,
// so an order filled in three parts pays up to three minimums.
import type { InstrumentSpec } from '../market/types';
import { roundCents } from './numbers';

export const COMMISSION_CURRENCY = 'USD';

/** Stocks: USD 0.005 a share, at least USD 1.00, at most 1 % of the trade value. */
const STK_PER_SHARE = 0.005;
const STK_MINIMUM = 1;
const STK_MAXIMUM_RATE = 0.01;
/** Futures: USD 0.85 a contract (IB's commission; exchange and regulatory fees are left out). */
const FUT_PER_CONTRACT = 0.85;
/** FX on IDEALPRO: 0.2 basis points of the trade value, at least USD 2.00. */
const CASH_RATE = 0.2 / 10_000;
const CASH_MINIMUM = 2;

/**
 * The commission of one execution of `quantity` at `price`, in USD, rounded to cents.
 * Trade value is quantity × price × multiplier, taken as USD (the simulator's instruments are USD-quoted).
 */
export function commissionFor(instrument: InstrumentSpec, quantity: number, price: number): number {
  const size = Math.abs(quantity);
  const value = size * price * instrument.multiplier;
  switch (instrument.secType) {
    case 'STK':
      // The 1 % cap wins over the minimum on tiny trades, as in IB's schedule.
      return roundCents(Math.min(Math.max(size * STK_PER_SHARE, STK_MINIMUM), value * STK_MAXIMUM_RATE));
    case 'FUT':
      return roundCents(size * FUT_PER_CONTRACT);
    case 'CASH':
      return roundCents(Math.max(value * CASH_RATE, CASH_MINIMUM));
  }
}
