// The simulator's synthetic market: instruments, trading sessions, a seeded price process, ticks and bars.
// Pure computation: no I/O, no timers, no wall clock. Time is always passed in (epoch milliseconds).

export type SecType = 'STK' | 'CASH' | 'FUT';

/** One tradable instrument with everything IB's contract details carry that DualDesk uses. */
export interface InstrumentSpec {
  readonly conId: number;
  readonly symbol: string;
  readonly secType: SecType;
  /** Routing exchange as IB names it: SMART for US stocks, IDEALPRO for FX, CME for ES. */
  readonly exchange: string;
  /** Listing exchange: NASDAQ, NYSE, ARCA; same as `exchange` when not SMART-routed. */
  readonly primaryExchange: string;
  readonly currency: string;
  /** IB's local symbol: 'AAPL', 'EUR.USD', 'ESZ6'. */
  readonly localSymbol: string;
  readonly tradingClass: string;
  /** Contract multiplier (1 for stocks and FX, 50 for ES). */
  readonly multiplier: number;
  readonly minTick: number;
  readonly longName: string;
  /** Futures: 'YYYYMMDD' last trade date; '' otherwise. */
  readonly lastTradeDateOrContractMonth: string;
  /** Futures: 'YYYYMM'; '' otherwise. */
  readonly contractMonth: string;
  /** IANA zone of the exchange, e.g. 'America/New_York', 'US/Central' style names are not used. */
  readonly timeZoneId: string;
  readonly industry: string;
  readonly category: string;
  /** Valid order types as IB lists them (comma separated), e.g. 'LMT,MKT,STP,STP LMT'. */
  readonly orderTypes: string;
  readonly validExchanges: string;
  /** Price around which the process starts (history origin). */
  readonly basePrice: number;
  /** Annualised volatility of the price process, e.g. 0.3 for 30 %. */
  readonly annualVolatility: number;
  /** Typical displayed size at the touch (shares, contracts, or currency units for FX). */
  readonly typicalSize: number;
  /** Size granularity: 100 for US stocks' displayed sizes (quotes in round lots), 1 for futures, 1000 for FX. */
  readonly lotSize: number;
  /** Whether this instrument prints trades (FX on IDEALPRO does not: quotes only, no volume). */
  readonly hasTrades: boolean;
}

/** Which clock governs when an instrument trades. */
export type SessionMode =
  /** Each instrument's real exchange calendar (weekends and out-of-hours are quiet). */
  | 'exchange'
  /** Open around the clock, every day (the demo and tests that must not depend on the date). */
  | 'always';

/** One market update. Prices are multiples of the instrument's minTick; bid < ask always. */
export interface MarketTick {
  /** Epoch milliseconds; strictly increasing per instrument. */
  readonly time: number;
  readonly bid: number;
  readonly ask: number;
  readonly bidSize: number;
  readonly askSize: number;
  /** Present when this update includes a trade (never for instruments without trades). */
  readonly trade?: { readonly price: number; readonly size: number };
  /** Cumulative traded volume of the instrument's current trading day, including this update. */
  readonly dayVolume: number;
}

export type BarSource = 'TRADES' | 'MIDPOINT' | 'BID' | 'ASK';

/** An OHLC bar; `time` is the bar's start (epoch ms), aligned to its size. */
export interface Bar {
  readonly time: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  /** Sum of trade sizes in the bar (0 for MIDPOINT/BID/ASK bars and for FX). */
  readonly volume: number;
  /** Volume-weighted average trade price (or the average of the source prices when there is no volume). */
  readonly wap: number;
  /** Number of trades (TRADES) or updates (other sources) in the bar. */
  readonly count: number;
}

export interface BarQuery {
  /** Bars whose start is before this time are returned (exclusive end). */
  readonly endMs: number;
  /** How far back from `endMs`. */
  readonly durationMs: number;
  /** Bar size: 5 s, 10 s, 15 s, 30 s, 1 min, 2 min, 3 min, 5 min, 15 min, 30 min, 1 h, 1 day. */
  readonly barSizeMs: number;
  readonly source: BarSource;
  /** Only bars inside regular trading hours (liquid hours). */
  readonly rthOnly: boolean;
  /**
   * Include the bar that contains `endMs` built from the ticks up to `endMs` (the forming bar).
   * Otherwise only bars that ended by `endMs`.
   */
  readonly includeForming?: boolean;
}

/** The instrument's day so far: what TWS streams as OPEN/HIGH/LOW/CLOSE/VOLUME ticks. */
export interface DaySummary {
  readonly open: number | undefined;
  readonly high: number | undefined;
  readonly low: number | undefined;
  /** The previous trading day's close. */
  readonly prevClose: number;
  readonly volume: number;
}

export interface MarketModelOptions {
  readonly seed: number;
  readonly instruments: readonly InstrumentSpec[];
  /** Updates per second per instrument while it trades (default 4; stress runs use thousands). */
  readonly tickRate: number;
  readonly sessions: SessionMode;
  /** The model's time origin: it serves ticks and bars from `startMs - historyDays` onwards. */
  readonly startMs: number;
  /** Calendar days of history before `startMs` (default 5, so a full previous session exists across weekends). */
  readonly historyDays?: number;
}

/**
 * The market. Deterministic: the same options give the same ticks and bars, whatever order and
 * granularity they are asked for in. Ticks exist only while an instrument's session is open.
 */
export interface MarketModel {
  readonly instruments: readonly InstrumentSpec[];
  byConId(conId: number): InstrumentSpec | undefined;
  /**
   * Resolves a contract the way TWS does for the fields given: conId alone, or symbol + secType
   * (+ currency / exchange / localSymbol / lastTradeDateOrContractMonth when given; empty strings and
   * 0 mean "not given"). SMART matches any exchange for STK. Returns every match (0, 1 or more).
   */
  resolve(query: ContractQuery): InstrumentSpec[];
  /** Ticks with `fromExclusive < time <= toInclusive`, in time order. */
  ticks(conId: number, fromExclusive: number, toInclusive: number): MarketTick[];
  /** The last tick at or before `atMs` (the market as it stands), or undefined if none since the origin. */
  lastTick(conId: number, atMs: number): MarketTick | undefined;
  bars(conId: number, query: BarQuery): Bar[];
  daySummary(conId: number, atMs: number): DaySummary;
  /** Whether the instrument trades at `atMs` (`rthOnly`: within regular/liquid hours). */
  isOpen(conId: number, atMs: number, rthOnly?: boolean): boolean;
  /** The end of the trading session that contains `atMs` (DAY orders expire then), or undefined when closed. */
  sessionEnd(conId: number, atMs: number): number | undefined;
  /** IB-format trading and liquid hours for contract details, covering the week around `atMs`. */
  hours(conId: number, atMs: number): { tradingHours: string; liquidHours: string };
}

export interface ContractQuery {
  readonly conId?: number;
  readonly symbol?: string;
  readonly secType?: string;
  readonly currency?: string;
  readonly exchange?: string;
  readonly primaryExchange?: string;
  readonly localSymbol?: string;
  readonly lastTradeDateOrContractMonth?: string;
}
