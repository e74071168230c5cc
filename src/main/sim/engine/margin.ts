// The margin model of the paper account (a Reg T margin account, simplified):
// - stocks: initial margin 25 % of the position's market value (IB's Reg T intraday rate), long or short;
// - futures: a fixed initial margin per contract (ES USD 15,000); unknown futures 10 % of notional;
// - FX: 3 % of the notional in USD.
// Maintenance margin is 75 % of initial for every instrument; buying power is 4 × available funds.
import type { InstrumentSpec } from '../market/types';

export const STOCK_INITIAL_MARGIN_RATE = 0.25;
export const FX_INITIAL_MARGIN_RATE = 0.03;
/** Initial margin per contract by symbol (CME's ES outright, rounded). */
export const FUTURES_INITIAL_MARGIN: Readonly<Record<string, number>> = { ES: 15_000, MES: 1_500 };
/** For futures without a table entry: a fraction of notional close to exchange margins. */
export const FUTURES_FALLBACK_RATE = 0.1;
export const MAINTENANCE_TO_INITIAL = 0.75;
export const REG_T_BUYING_POWER_MULTIPLE = 4;

/** Initial margin in USD of holding `quantity` (signed or not) at `price`. */
export function initialMarginFor(instrument: InstrumentSpec, quantity: number, price: number): number {
  const size = Math.abs(quantity);
  const notional = size * price * instrument.multiplier;
  switch (instrument.secType) {
    case 'STK':
      return notional * STOCK_INITIAL_MARGIN_RATE;
    case 'CASH':
      return notional * FX_INITIAL_MARGIN_RATE;
    case 'FUT': {
      const perContract = FUTURES_INITIAL_MARGIN[instrument.symbol];
      return perContract === undefined ? notional * FUTURES_FALLBACK_RATE : size * perContract;
    }
  }
}
