import type { Discrepancy, Position } from '../../shared';

export type { Discrepancy } from '../../shared';

/** One trading day's anchors and counters, as persisted (migration 5). */
export interface DayRecord {
  /** Trading day key, 'YYYY-MM-DD' (see clock/trading-day.ts). */
  readonly day: string;
  readonly startEquity: number;
  readonly minEquity: number;
  readonly maxEquity: number;
  readonly realizedPnl: number;
  readonly commissions: number;
  readonly trades: number;
  readonly lastTradeAt?: number;
  /** When the day's start equity was taken. */
  readonly startedAt: number;
  readonly updatedAt: number;
}

export interface EquityHigh {
  readonly equity: number;
  readonly at: number;
}

/** What the portfolio keeps across restarts (implemented by the store's PortfolioRepository). */
export interface PortfolioMemory {
  loadDay(day: string): DayRecord | undefined;
  loadHigh(): EquityHigh | undefined;
  /** Writes the day's row and the all-time high together (one transaction). */
  save(day: DayRecord, high: EquityHigh): void;
}

/** What the portfolio needs to know about an instrument (a resolved `Instrument` fits). */
export interface InstrumentInfo {
  readonly conId: number;
  readonly symbol: string;
  readonly localSymbol?: string;
  readonly secType?: string;
  readonly multiplier: number;
  /** The currency its prices and P&L are in. */
  readonly currency?: string;
}

/** The result of handing the portfolio one fill. */
export type FillOutcome =
  | { readonly status: 'applied'; readonly realizedPnl: number; readonly position: Position }
  /** This execution was applied before (the portfolio applies each execId once). */
  | { readonly status: 'duplicate' }
  /** Before the first venue sync: held, applied (or found already in the venue's positions) at the sync. */
  | { readonly status: 'buffered' }
  /** Already in the venue's positions and cash the portfolio was seeded with; not applied again. */
  | { readonly status: 'reflected' };

export interface SyncReport {
  /** True for the first sync of this portfolio (positions and cash seeded from the venue). */
  readonly seeded: boolean;
  readonly discrepancies: readonly Discrepancy[];
  /** Venue executions in the snapshot that had not reached the portfolio yet (expected as fills). */
  readonly pendingExecutions: number;
}

export class PortfolioInputError extends Error {
  override readonly name = 'PortfolioInputError';
}
