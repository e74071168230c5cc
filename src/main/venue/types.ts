// The venue's words for orders, executions, positions, account values and market data, as the trading
// core reads them: no broker's wire types here (ib/ translates IB's into these).
import type { Bar, BarSource, Instrument, OrderSide, OrderType, Quote, TimeInForce, VenueAlert, VenueStatus } from '../../shared';
import type { VenueError } from './errors';

/** A new order as the core hands it to the venue. */
export interface VenueOrderRequest {
  /** DualDesk's own order id; travels as IB's orderRef so every venue event links back to it. */
  readonly orderRef: string;
  readonly instrument: Instrument;
  readonly side: OrderSide;
  readonly quantity: number;
  readonly type: OrderType;
  readonly limitPrice?: number;
  readonly stopPrice?: number;
  readonly tif: TimeInForce;
  readonly outsideRth?: boolean;
}

export type VenueOrderChanges = Partial<Pick<VenueOrderRequest, 'quantity' | 'limitPrice' | 'stopPrice' | 'tif' | 'outsideRth'>>;

/** An order as the venue reports it (openOrder and orderStatus combined). */
export interface VenueOrder {
  readonly orderId: number;
  readonly permId: number;
  readonly clientId: number;
  /** DualDesk's order id, when the order came from DualDesk (or any orderRef the placing app set). */
  readonly orderRef: string;
  readonly account: string;
  readonly conId: number;
  readonly symbol: string;
  readonly side: OrderSide;
  readonly quantity: number;
  readonly type: string;
  readonly limitPrice?: number;
  readonly stopPrice?: number;
  readonly tif: string;
  /** IB's status: PendingSubmit, PreSubmitted, Submitted, Filled, Cancelled, Inactive, ApiCancelled, ... */
  readonly status: string;
  readonly filled: number;
  readonly remaining: number;
  readonly avgFillPrice: number;
  readonly lastFillPrice: number;
  readonly whyHeld: string;
  /** COMPLETED_ORDER only. */
  readonly completedTime?: string;
  readonly completedStatus?: string;
}

export interface VenueExecution {
  readonly execId: string;
  readonly orderId: number;
  readonly permId: number;
  readonly clientId: number;
  readonly orderRef: string;
  readonly account: string;
  readonly conId: number;
  readonly symbol: string;
  readonly side: OrderSide;
  readonly shares: number;
  readonly price: number;
  readonly cumQty: number;
  readonly avgPrice: number;
  /** Epoch ms. */
  readonly time: number;
  readonly exchange: string;
}

export interface VenueCommission {
  readonly execId: string;
  readonly commission: number;
  readonly currency: string;
  readonly realizedPnL?: number;
}

export interface VenuePosition {
  readonly account: string;
  readonly conId: number;
  readonly symbol: string;
  readonly secType: string;
  readonly quantity: number;
  /** IB's average cost: per unit, including commissions, times the multiplier. */
  readonly averageCost: number;
}

export interface VenueAccountValue {
  readonly account: string;
  readonly key: string;
  readonly value: string;
  readonly currency: string;
}

/** What the venue says after a (re)connect, in the order it was read. */
export interface VenueSnapshot {
  readonly at: number;
  readonly accounts: readonly string[];
  /** The account DualDesk trades (positions and account values are its own); absent while the choice is ambiguous. */
  readonly account?: string;
  readonly positions: readonly VenuePosition[];
  /** Every client's working orders. */
  readonly openOrders: readonly VenueOrder[];
  readonly completedOrders: readonly VenueOrder[];
  readonly accountValues: readonly VenueAccountValue[];
  /** Executions not seen before (each is also emitted once as an 'execution' event). */
  readonly newExecutions: readonly VenueExecution[];
  readonly commissions: readonly VenueCommission[];
}

/** An error about one of our orders (for example a 201 rejection). */
export interface VenueOrderError {
  readonly orderId: number;
  readonly orderRef: string;
  readonly error: VenueError;
}

export interface VenueEvents {
  status: [VenueStatus];
  order: [VenueOrder];
  orderError: [VenueOrderError];
  execution: [VenueExecution];
  commission: [VenueCommission];
  position: [VenuePosition];
  accountValue: [VenueAccountValue];
  resynced: [VenueSnapshot];
  alert: [VenueAlert];
}

export interface QuoteListener {
  readonly onQuote: (quote: Quote) => void;
  readonly onError?: (error: VenueError) => void;
}

export interface BarListener {
  readonly onBar: (bar: Bar) => void;
  readonly onError?: (error: VenueError) => void;
}

export interface HistoricalQuery {
  /** '' or omitted: now. Otherwise an epoch ms. */
  readonly end?: number;
  /** IB duration: '3600 S', '1 D', '2 W'... */
  readonly duration: string;
  /** IB bar size: '5 secs', '1 min', '1 hour', '1 day'... */
  readonly barSize: string;
  readonly source: BarSource;
  readonly rthOnly?: boolean;
}

/** The correlation id of the order with this orderRef (DualDesk's id) or venue order id, if it has one. */
export type OrderCorrelation = (orderRef: string, orderId: number) => string | undefined;
