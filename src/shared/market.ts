/** Security types DualDesk trades. */
export const SECURITY_TYPES = ['STK', 'CASH', 'FUT'] as const;
export type SecurityType = (typeof SECURITY_TYPES)[number];

/** An instrument as the trader names it; the venue resolves it to exactly one contract. */
export interface InstrumentSpec {
  readonly symbol: string;
  readonly secType: SecurityType;
  /** Default: SMART for stocks, IDEALPRO for FX; required for futures. */
  readonly exchange?: string;
  readonly currency?: string;
  readonly primaryExchange?: string;
  /** Futures: 'YYYYMM' or 'YYYYMMDD'. */
  readonly lastTradeDateOrContractMonth?: string;
  readonly localSymbol?: string;
  readonly conId?: number;
}

/** A resolved instrument: one venue contract with what trading it needs to know. */
export interface Instrument {
  readonly conId: number;
  readonly symbol: string;
  readonly secType: SecurityType;
  readonly exchange: string;
  readonly primaryExchange: string;
  readonly currency: string;
  readonly localSymbol: string;
  readonly tradingClass: string;
  readonly multiplier: number;
  readonly minTick: number;
  readonly longName: string;
  readonly lastTradeDateOrContractMonth: string;
  readonly timeZoneId: string;
  /** IB's format: 'YYYYMMDD:HHMM-YYYYMMDD:HHMM;YYYYMMDD:CLOSED;...' in `timeZoneId`. */
  readonly tradingHours: string;
  readonly liquidHours: string;
}

/** The latest quote of an instrument; fields are absent until the venue has sent them. */
export interface Quote {
  readonly conId: number;
  readonly bid?: number;
  readonly ask?: number;
  readonly bidSize?: number;
  readonly askSize?: number;
  readonly last?: number;
  readonly lastSize?: number;
  /** The trading day's volume. */
  readonly volume?: number;
  readonly high?: number;
  readonly low?: number;
  readonly open?: number;
  /** The previous session's close. */
  readonly close?: number;
  /** When DualDesk received the latest change (epoch ms). */
  readonly time: number;
}

/** An OHLC bar; `time` is its start (epoch ms). */
export interface Bar {
  readonly time: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  readonly wap: number;
  readonly count: number;
}

export type BarSource = 'TRADES' | 'MIDPOINT' | 'BID' | 'ASK';
