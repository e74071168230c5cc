// The venue ports: what the trading core asks of a venue, each exactly what its users call. ib/
// implements them; a second venue (another broker, a replay of recorded data) is one more folder.
import type { Bar, BarSource, Instrument, InstrumentSpec, VenueStatus } from '../../shared';
import type { BarListener, HistoricalQuery, OrderCorrelation, QuoteListener, VenueEvents, VenueOrderChanges, VenueOrderRequest, VenueSnapshot } from './types';

/** Listening to the venue's events named in E (all of them by default). */
export interface VenueEventSource<E extends keyof VenueEvents = keyof VenueEvents> {
  on<K extends E>(event: K, listener: (...args: VenueEvents[K]) => void): unknown;
  off<K extends E>(event: K, listener: (...args: VenueEvents[K]) => void): unknown;
}

/** Orders: sent, changed and cancelled here; what becomes of them arrives as 'order' and 'orderError'. */
export interface OrderPort {
  /** Resolves with the venue's order id once the order is written to the venue. */
  placeOrder(req: VenueOrderRequest): Promise<{ orderId: number }>;
  /** `current` describes the order when this session did not place it (after a restart, or an adopted order). */
  modifyOrder(orderId: number, changes: VenueOrderChanges, current?: VenueOrderRequest): Promise<void>;
  cancelOrder(orderId: number): Promise<void>;
  /** Every working order of the traded account. */
  cancelAll(): Promise<void>;
  /** How an order's correlation id is found from its orderRef and venue order id; undefined to stop. */
  correlateOrders(lookup: OrderCorrelation | undefined): void;
}

/** Executions and their commissions, each once. */
export type ExecutionPort = VenueEventSource<'execution' | 'commission'>;

/** Positions (with the orders, account values and executions of the same read): read on demand, streamed as 'position' and 'resynced'. */
export interface PositionPort {
  /** Re-reads the venue; trading resumes when it succeeds. */
  resync(): Promise<VenueSnapshot>;
}

/** The account and connection: its status now, changes as 'status' and 'accountValue'. */
export interface AccountPort {
  status(): VenueStatus;
}

/** Quotes, 5-second bars and historical bars of a resolved instrument. */
export interface MarketDataPort {
  /** Returns the unsubscribe. */
  subscribeQuotes(instrument: Instrument, listener: QuoteListener): () => void;
  subscribeBars(instrument: Instrument, source: BarSource, listener: BarListener): () => void;
  historicalBars(instrument: Instrument, query: HistoricalQuery): Promise<Bar[]>;
}

/** What the trader named, as exactly one instrument of the venue. */
export interface ContractPort {
  resolve(spec: InstrumentSpec): Promise<Instrument>;
}
