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

/** A 1-minute bar as it forms and closes; `revised` when a late 5-second bar changed a closed minute. */
export interface BarUpdate {
  readonly conId: number;
  readonly symbol: string;
  /** '1m': aligned to clock minutes, forming then final. '5s': the venue's 5-second bars as they come (always final). */
  readonly size: '1m' | '5s';
  readonly bar: Bar;
  /** False while the minute is still forming. */
  readonly final: boolean;
  readonly revised: boolean;
}

/** EMAs of 1-minute closes (or of 5-second closes when `size` is '5s'), keyed by period, as of the bar at `time`. */
export interface EmaUpdate {
  readonly conId: number;
  readonly symbol: string;
  readonly time: number;
  readonly values: Readonly<Record<number, number>>;
  /** False while the minute is still forming (the values move with its close); 5-second EMAs are always final. */
  readonly final: boolean;
  /** '5s': over 5-second bars (md.ema.5s.<word>); absent: over 1-minute bars (md.ema.<word>). */
  readonly size?: '5s';
}

/** The fast EMA crossed the slow one on a closed bar. A signal only: DualDesk never trades on it. */
export interface CrossSignal {
  readonly conId: number;
  readonly symbol: string;
  readonly time: number;
  readonly direction: 'bullish' | 'bearish';
  readonly fastPeriod: number;
  readonly slowPeriod: number;
  readonly fast: number;
  readonly slow: number;
  readonly price: number;
  /** '5s': a crossing of the 5-second EMAs (md.signal.5s.<word>); absent: of the 1-minute ones (md.signal.<word>). */
  readonly size?: '5s';
}

/** A quote with the symbol it belongs to (the stream's md.quote.<symbol>). */
export interface SymbolQuote extends Quote {
  readonly symbol: string;
}

/** What a chart needs to draw an instrument from scratch. */
export interface MarketDataSnapshot {
  readonly instrument: Instrument;
  /** The topic word of the instrument's topics (md.quote.<word>, ...). */
  readonly word: string;
  readonly quote: SymbolQuote | undefined;
  /** Final 1-minute bars, oldest first (history from the venue, then live). */
  readonly bars: Bar[];
  /** 5-second bars, oldest first: the venue's last hour of 5-second history, then live (up to an hour). */
  readonly bars5s: Bar[];
  /** The minute forming now. */
  readonly forming: Bar | undefined;
  /** EMA points of the final bars, oldest first. */
  readonly emas: EmaUpdate[];
  /** The latest EMAs: provisional (`final: false`) while a minute is forming. */
  readonly ema: EmaUpdate | undefined;
  /** Recent crossings, oldest first (including those found in the history, which were not published). */
  readonly signals: CrossSignal[];
  /** EMA points over the 5-second bars (same periods), oldest first. */
  readonly emas5s: EmaUpdate[];
  /** Recent crossings of the 5-second EMAs, oldest first (those in the history included). */
  readonly signals5s: CrossSignal[];
  readonly periods: readonly number[];
  /** The EMAs have been seeded (from history, or without it after a failed history request). */
  readonly seeded: boolean;
  /** The same for the 5-second EMAs (their history is asked for separately and may come later). */
  readonly seeded5s: boolean;
}
