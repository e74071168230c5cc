// The simulator's paper venue: a matching engine against the synthetic market, and the paper account.
// Pure computation over an injected clock and market: no I/O. Events go to one listener, in order.
import type { InstrumentSpec, MarketTick } from '../market/types';

export type OrderAction = 'BUY' | 'SELL';
export type VenueOrderType = 'MKT' | 'LMT' | 'STP' | 'STP LMT';
export type TimeInForce = 'DAY' | 'GTC' | 'IOC';

/** IB's order statuses that the simulator produces. */
export type VenueOrderStatus = 'PreSubmitted' | 'Submitted' | 'Filled' | 'Cancelled' | 'Inactive';

/** What a client sends with placeOrder, already parsed and resolved to an instrument. */
export interface OrderTicket {
  readonly orderId: number;
  readonly clientId: number;
  readonly instrument: InstrumentSpec;
  readonly action: OrderAction;
  readonly totalQuantity: number;
  readonly orderType: VenueOrderType;
  /** Required for LMT and STP LMT. */
  readonly lmtPrice?: number;
  /** The stop price, required for STP and STP LMT. */
  readonly auxPrice?: number;
  readonly tif: TimeInForce;
  readonly outsideRth: boolean;
  /** Free text the client attaches; DualDesk links its own order id here. */
  readonly orderRef: string;
  /** The account the order is for ('' means the venue's only account). */
  readonly account: string;
}

/** An order as the venue knows it. */
export interface VenueOrder extends OrderTicket {
  readonly permId: number;
  readonly status: VenueOrderStatus;
  readonly filled: number;
  readonly remaining: number;
  /** 0 until the first fill. */
  readonly avgFillPrice: number;
  readonly lastFillPrice: number;
  /** For stops: whether the stop has triggered. */
  readonly triggered: boolean;
  /** e.g. 'locate' style hold reasons; '' normally. */
  readonly whyHeld: string;
  readonly createdAt: number;
  /** Set once Filled, Cancelled or Inactive (epoch ms). */
  readonly completedAt?: number;
  /** Why it completed, in IB's words ('Filled Size: 100', 'Cancelled by Trader', 'Order expired', ...). */
  readonly completedStatus?: string;
}

export interface Execution {
  /** IB-style, unique: e.g. '0000e215.6752a1c1.01.01'. */
  readonly execId: string;
  readonly orderId: number;
  readonly clientId: number;
  readonly permId: number;
  readonly conId: number;
  readonly account: string;
  readonly side: 'BOT' | 'SLD';
  readonly shares: number;
  readonly price: number;
  /** Epoch ms. */
  readonly time: number;
  /** Cumulative filled quantity of the order after this execution, and its average price. */
  readonly cumQty: number;
  readonly avgPrice: number;
  readonly orderRef: string;
  readonly exchange: string;
  /** 1 added liquidity (resting order filled), 2 removed liquidity (marketable on arrival). */
  readonly lastLiquidity: 1 | 2;
}

export interface CommissionReport {
  readonly execId: string;
  readonly commission: number;
  readonly currency: string;
  /** Realized P&L of this execution (net of commissions), when it closed part of a position. */
  readonly realizedPnL: number | undefined;
}

export type EngineEvent =
  /** The order changed: new, modified, status change, partial fill (send openOrder + orderStatus). */
  | { readonly kind: 'order'; readonly order: VenueOrder }
  /** A fill: sent as execDetails, then orderStatus (via a following 'order' event), then commissionReport. */
  | { readonly kind: 'execution'; readonly execution: Execution; readonly commission: CommissionReport }
  /** Cash, positions or margin changed (account updates, positions, PnL subscriptions refresh). */
  | { readonly kind: 'account' };

/** IB error codes the engine answers with, and their texts in TWS's wording. */
export interface VenueError {
  readonly code: number;
  readonly message: string;
}

export type PlaceResult = { readonly ok: true; readonly order: VenueOrder } | { readonly ok: false; readonly error: VenueError };
export type CancelResult = { readonly ok: true; readonly order: VenueOrder } | { readonly ok: false; readonly error: VenueError };

/** What the engine needs of the market. */
export interface QuoteSource {
  lastTick(conId: number, atMs: number): MarketTick | undefined;
  isOpen(conId: number, atMs: number, rthOnly?: boolean): boolean;
  sessionEnd(conId: number, atMs: number): number | undefined;
}

export interface AccountPosition {
  readonly instrument: InstrumentSpec;
  /** Signed: negative is short. */
  readonly quantity: number;
  /** Average cost per unit including commissions, times the multiplier (IB's avgCost convention). */
  readonly averageCost: number;
  /** Realized P&L of this position since the account opened, net of commissions. */
  readonly realizedPnL: number;
}

/** One row of the values IB reports for an account (reqAccountUpdates, reqAccountSummary). */
export interface AccountValue {
  readonly key: string;
  readonly value: string;
  readonly currency: string;
}

export interface PositionPnL {
  readonly position: number;
  readonly dailyPnL: number;
  readonly unrealizedPnL: number;
  readonly realizedPnL: number;
  /** Market value of the position. */
  readonly value: number;
}

export interface AccountPnL {
  readonly dailyPnL: number;
  readonly unrealizedPnL: number;
  readonly realizedPnL: number;
}

/** The paper account: cash, positions and the figures IB reports, marked to the market at `atMs`. */
export interface PaperAccount {
  readonly accountId: string;
  readonly baseCurrency: 'USD';
  positions(): AccountPosition[];
  position(conId: number): AccountPosition | undefined;
  /** NetLiquidation, TotalCashValue, BuyingPower, AvailableFunds, ExcessLiquidity, EquityWithLoanValue,
   *  GrossPositionValue, InitMarginReq, MaintMarginReq, UnrealizedPnL, RealizedPnL, ... (IB's keys). */
  values(atMs: number): AccountValue[];
  pnl(atMs: number): AccountPnL;
  positionPnl(conId: number, atMs: number): PositionPnL | undefined;
  /** Market price used to mark a position (last trade, else midpoint). */
  markPrice(conId: number, atMs: number): number | undefined;
}

export interface MatchingEngineOptions {
  readonly market: QuoteSource;
  readonly instruments: (conId: number) => InstrumentSpec | undefined;
  readonly now: () => number;
  readonly accountId: string;
  /** Further accounts of the same login, each with its own book (an order names its account; '' is accountId). */
  readonly moreAccounts?: readonly string[];
  /** USD 1,000,000 for a paper account. */
  readonly startingCash: number;
  /** First permId handed out (IB's are large integers); a restored state carries on from its own. */
  readonly firstPermId?: number;
  /** Eight hex digits unique to this run: every execution id starts with it (no earlier run's may be reused). */
  readonly execIdPrefix: string;
  /** The state a previous run saved (state()): orders, executions, account and counters carry on from it. */
  readonly restore?: EngineState;
  readonly listener: (event: EngineEvent) => void;
}

/** A position as the account books it (see account.ts), by instrument. */
export interface HoldingState {
  readonly conId: number;
  readonly quantity: number;
  readonly costPerUnit: number;
  readonly pricePerUnit: number;
  readonly realizedTotal: number;
  readonly realizedToday: number;
  readonly unrealizedAtDayStart: number;
  readonly lastFillPrice: number;
}

export interface AccountState {
  readonly cash: number;
  /** The trading day the daily figures belong to ('YYYY-MM-DD'), once one started. */
  readonly day?: string;
  readonly nextDayStart?: number;
  readonly dayStartNetLiquidation: number;
  readonly holdings: readonly HoldingState[];
}

/** An order as the engine tracks it, with its instrument by conId. */
export interface OrderState extends Omit<VenueOrder, 'instrument'> {
  readonly conId: number;
  readonly seq: number;
  readonly arrived: boolean;
  readonly expiresAt?: number;
  readonly notional: number;
}

/**
 * What a restart must find again, as plain data: the orders (working and done), executions and their
 * commissions, the account, and the counters. The market's quotes are not part of it.
 */
export interface EngineState {
  /** Every instrument an order or a holding refers to (kept so a changed universe still knows them). */
  readonly instruments: readonly InstrumentSpec[];
  readonly nextPermId: number;
  /** Time priority of the next order. */
  readonly seq: number;
  /** [clientId, highest order id it used]. */
  readonly highestOrderIds: readonly (readonly [number, number])[];
  readonly orders: readonly OrderState[];
  readonly executions: readonly Execution[];
  readonly commissions: readonly CommissionReport[];
  readonly account: AccountState;
}

export interface MatchingEngine {
  /** The first account (the only one, unless the venue carries more). */
  readonly account: PaperAccount;
  /** Every account the venue carries, the first first. */
  readonly accountIds: readonly string[];
  accountOf(accountId: string): PaperAccount | undefined;
  /** New order, or a modification when `orderId` is a working order of the same client. */
  place(ticket: OrderTicket): PlaceResult;
  cancel(orderId: number, clientId: number): CancelResult;
  /** reqGlobalCancel: cancels every working order of every client. */
  cancelAll(): void;
  /** Feeds one market update (in time order per instrument): resting orders that it makes marketable fill. */
  onTick(conId: number, tick: MarketTick): void;
  /** Time passes: DAY orders past their session end expire; held orders whose session opened start working. */
  onTime(atMs: number): void;
  /** The next order placed is rejected with error 201 and this reason (fault injection). */
  rejectNextOrder(reason: string): void;
  order(orderId: number, clientId: number): VenueOrder | undefined;
  openOrders(): VenueOrder[];
  completedOrders(): VenueOrder[];
  executions(): Execution[];
  /** The commission report of an execution (for replays through reqExecutions). */
  commission(execId: string): CommissionReport | undefined;
  /** Instruments that have working orders (the venue feeds their ticks even without subscribers). */
  workingConIds(): number[];
  /** Drops done orders and executions (with their commissions) older than beforeMs: what the venue no longer reports. */
  forget(beforeMs: number): void;
  /** Everything a restart needs to carry on as the same venue (see EngineState). */
  state(): EngineState;
}

/** The account's figures at one moment, in USD. */
export interface AccountFigures {
  readonly cash: number;
  readonly stockValue: number;
  readonly fxValue: number;
  /** Mark-to-market of open futures against their trade prices (part of NetLiquidation). */
  readonly futuresPnL: number;
  readonly unrealizedPnL: number;
  /** Absolute market value of stock and FX positions (futures excluded, as at IB). */
  readonly grossPositionValue: number;
  readonly initialMargin: number;
  readonly netLiquidation: number;
}
