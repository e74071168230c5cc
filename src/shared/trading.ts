// The trading core's domain, as the UI, viewers and commands see it. Amounts are in the instrument's
// currency; quantities are positive, with the side saying the direction (positions are signed).
import type { InstrumentSpec } from './market';
import type { OrderSide, OrderType, TimeInForce } from './orders';

/** What the trader asks for. */
export interface OrderTicket {
  readonly instrument: InstrumentSpec;
  readonly side: OrderSide;
  readonly quantity: number;
  readonly type: OrderType;
  readonly limitPrice?: number;
  readonly stopPrice?: number;
  readonly tif: TimeInForce;
  readonly outsideRth?: boolean;
}

/** new → submitted → partially-filled → filled / cancelled / rejected / expired. */
export const ORDER_STATES = ['new', 'submitted', 'partially-filled', 'filled', 'cancelled', 'rejected', 'expired'] as const;
export type OrderState = (typeof ORDER_STATES)[number];

/** An order as DualDesk tracks it; `id` travels to the venue as IB's orderRef. */
export interface Order {
  readonly id: string;
  readonly conId: number;
  readonly symbol: string;
  readonly side: OrderSide;
  readonly quantity: number;
  readonly type: OrderType;
  readonly limitPrice?: number;
  readonly stopPrice?: number;
  readonly tif: TimeInForce;
  readonly state: OrderState;
  readonly filledQuantity: number;
  /** Volume-weighted over the fills; 0 before the first. */
  readonly avgFillPrice: number;
  /** The venue's order id, once sent. */
  readonly venueOrderId?: number;
  /** Why it was rejected, cancelled or expired, in the trader's words. */
  readonly reason?: string;
  /** Only reduces a position (kill switch, REDUCING state). */
  readonly reduceOnly: boolean;
  /** 'desk': placed by DualDesk; 'adopted': found at the venue during reconciliation. */
  readonly origin: 'desk' | 'adopted';
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** One execution, applied exactly once. */
export interface Fill {
  readonly execId: string;
  /** DualDesk's order id ('' when the venue order is not DualDesk's). */
  readonly orderId: string;
  readonly conId: number;
  readonly symbol: string;
  readonly side: OrderSide;
  readonly quantity: number;
  readonly price: number;
  readonly multiplier: number;
  /** Commission, once the venue reported it (0 until then). */
  readonly commission: number;
  readonly time: number;
}

/** A position, average-cost accounting. `quantity` is signed (short < 0). */
export interface Position {
  readonly conId: number;
  readonly symbol: string;
  readonly quantity: number;
  /** Average price of the open quantity (fills only; commissions are tracked apart). */
  readonly avgPrice: number;
  readonly multiplier: number;
  readonly lastPrice?: number;
  readonly realizedPnl: number;
  readonly unrealizedPnl: number;
  readonly commissions: number;
}

/** The account's equity, after every fill and mark (the seed's EQUITY_UPDATED). */
export interface EquitySnapshot {
  readonly equity: number;
  readonly previousEquity: number;
  readonly maxEquityEver: number;
  readonly dailyStartEquity: number;
  readonly dailyMaxEquity: number;
  readonly dailyMinEquity: number;
  /** Realized + unrealized − commissions since the session's start equity. */
  readonly totalPnl: number;
  readonly realizedPnl: number;
  readonly unrealizedPnl: number;
  readonly commissions: number;
  readonly totalTrades: number;
  readonly lastTradeAt?: number;
  readonly at: number;
}

/**
 * DualDesk's books disagree with the venue's. `desk` and `venue` are the two values, in the unit of
 * `kind` (quantity for positions, base currency for equity and cash).
 */
export interface Discrepancy {
  readonly kind: 'position' | 'equity' | 'cash';
  readonly conId?: number;
  readonly symbol?: string;
  readonly desk: number;
  readonly venue: number;
  /** venue − desk. */
  readonly difference: number;
  /** Equity and cash: the tolerance the difference exceeded. */
  readonly tolerance?: number;
  /** Equity and cash: the base currency the two figures are in. */
  readonly currency?: string;
  /**
   * 'held': found at a resync, DualDesk's figure kept until the trader adopts the venue's (trading is held
   * meanwhile); 'adopted': DualDesk took the venue's figure (adoptVenue); 'flagged': shown, nothing changed.
   */
  readonly action: 'held' | 'adopted' | 'flagged';
  readonly source: 'resync' | 'position-update' | 'account-update' | 'trader';
  readonly at: number;
  readonly message: string;
}

/** ACTIVE: trading. REDUCING: only orders that reduce a position. HALTED: only cancels. */
export const TRADING_STATES = ['ACTIVE', 'REDUCING', 'HALTED'] as const;
export type TradingState = (typeof TRADING_STATES)[number];

/** What the kill switch did: flat and halted, or what it could not close. */
export interface KillSwitchReport {
  readonly reason: string;
  readonly startedAt: number;
  readonly finishedAt: number;
  /** Orders cancelled (DualDesk's and the venue-wide global cancel). */
  readonly cancelled: number;
  readonly exits: readonly Order[];
  /** Positions left after the last verification (empty when flat). */
  readonly remaining: readonly { readonly conId: number; readonly symbol: string; readonly quantity: number }[];
  /** True only when the venue's own positions, read after the exits, are flat: an unread venue is never flat. */
  readonly flat: boolean;
  readonly problems: readonly string[];
  /** Not flat, and the kill switch carries on by itself when the venue is back (cancel, flatten, verify). */
  readonly continuing: boolean;
}

export const KILL_SWITCH_PHASES = ['cancelling', 'flattening', 'verifying', 'waiting-for-venue', 'not-flat', 'flat'] as const;
export type KillSwitchPhase = (typeof KILL_SWITCH_PHASES)[number];

/** The kill switch's progress (topic `risk.killswitch`), from the trigger until flat is verified at the venue. */
export interface KillSwitchProgress {
  readonly phase: KillSwitchPhase;
  /** Why it was triggered. */
  readonly reason: string;
  /** In the trader's words: 'kill switch: waiting for the venue — 10 AAPL still held'. */
  readonly message: string;
  /** Positions still held: the venue's, or DualDesk's last known when the venue cannot be read. */
  readonly remaining: readonly { readonly conId: number; readonly symbol: string; readonly quantity: number }[];
  /** 1 for the trigger, then one more for each time it carried on by itself. */
  readonly attempt: number;
  readonly at: number;
}

/** A position DualDesk and the venue disagree on, found at a resync: trading is held until the trader adopts the venue's figures or flattens. */
export interface PositionMismatch {
  readonly conId: number;
  readonly symbol: string;
  readonly desk: number;
  readonly venue: number;
  readonly at: number;
}

/** What reconciliation found: everything the trader should see when it does not match. */
export interface ReconciliationReport {
  readonly at: number;
  /** Journal orders found at the venue (their state brought up to date). */
  readonly matched: number;
  /** Working venue orders DualDesk did not know: adopted and shown. */
  readonly adopted: readonly Order[];
  /** Orders journaled but never acknowledged and unknown to the venue: they were not sent. */
  readonly notSent: readonly Order[];
  /** Orders sent but no longer known to the venue. */
  readonly missing: readonly Order[];
  /** Orders whose filled quantity at the venue differs from the fills DualDesk applied. */
  readonly fillMismatches: readonly { readonly order: Order; readonly venueFilled: number }[];
  readonly clean: boolean;
}

/** Cash DualDesk and the venue disagree on beyond the tolerance, found at a resync (positions matching): held like a position mismatch. */
export interface CashMismatch {
  /** The account's base currency, which both figures are in. */
  readonly currency: string;
  readonly desk: number;
  readonly venue: number;
  readonly tolerance: number;
  readonly at: number;
}

/** The last reconciliation of orders, and the positions and cash that still differ from the venue's (getReconciliation). */
export interface DeskReconciliation extends ReconciliationReport {
  readonly positions: readonly PositionMismatch[];
  readonly cash: CashMismatch | null;
}

/** What `adoptVenuePositions` took from the venue: the positions, and the cash when it was held. */
export interface VenueAdoption {
  readonly adopted: readonly PositionMismatch[];
  readonly cash: CashMismatch | null;
}
