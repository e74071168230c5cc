// What the risk gate checks and what it asks the rest of the core. The wiring implements RiskContext
// from the market data and portfolio modules (and execution's working orders) through riskContextOf; the gate never does I/O.
import type { Instrument, OrderSide, OrderType, TradingState } from '../../shared';

/** One order as the gate sees it: a new order, or a modify (`replacesQuantity`). Cancels never pass the gate. */
export interface OrderIntent {
  readonly conId: number;
  readonly side: OrderSide;
  /** Whole units: shares, contracts, or base-currency units for FX. */
  readonly quantity: number;
  readonly type: OrderType;
  /** Required for LMT and STP LMT, refused on other types. */
  readonly limitPrice?: number;
  /** Required for STP and STP LMT, refused on other types. */
  readonly stopPrice?: number;
  /**
   * A modify: the remaining quantity of the working order it replaces. It is left out of that side's
   * working quantity, and a modify is exempt from the duplicate guard (it counts against the rate limit).
   */
  readonly replacesQuantity?: number;
  /** The trader confirmed sending the same order again: the duplicate guard lets it through. */
  readonly confirmedDuplicate?: boolean;
  /**
   * 'flatten': the kill switch's exit. Allowed in every state, exempt from the limits, the rate limit and
   * the duplicate guard, but it must reduce the position without reversing it (counting the working
   * orders on its side) and have a valid quantity and prices. Default 'trade'.
   */
  readonly purpose?: 'trade' | 'flatten';
}

/** What the gate needs to know about the market and the account, answered from memory (microseconds). */
export interface RiskContext {
  /** The resolved instrument, or undefined when DualDesk does not know the conId. */
  instrument(conId: number): Instrument | undefined;
  /**
   * The reference price for the price band and for market orders' notional: the last trade, or the
   * midpoint where an instrument has no trades (FX), or undefined when there is none or it is stale.
   */
  lastPrice(conId: number): number | undefined;
  /** The signed position (short < 0), 0 when flat. */
  position(conId: number): number;
  /** The remaining (unfilled) quantity of this instrument's working orders on `side`; 0 when none. */
  workingQuantity(conId: number, side: OrderSide): number;
  /** Σ |position × mark × multiplier| over every position, in the account's base currency (positions only). */
  grossExposure(): number;
  /** Base-currency value of one unit of `currency` (1 for the base currency); undefined when unknown. */
  fxRate(currency: string): number | undefined;
  /** Epoch ms, from the injected clock. */
  now(): number;
}

/** The trading state as the gate reads it on every check. */
export interface TradingStateSource {
  readonly state: TradingState;
  readonly reason: string;
}

export interface StateOptions {
  /** Latched (default): stays until the trader re-arms. Unlatched: the core may lift it with resume(). */
  readonly latched?: boolean;
}

export type RearmResult = { readonly ok: true } | { readonly ok: false; readonly code: 'rearm-refused'; readonly reason: string };
