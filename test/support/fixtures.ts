// The instruments and clock starts the tests share, so that each is typed once.
import type { Instrument } from '../../src/shared';
import type { InstrumentSpec } from '../../src/main/sim';

/** IB's contract ids, which the simulator's catalogue uses too. */
export const CON_ID = { AAPL: 265598, MSFT: 272093, EURUSD: 12087792 } as const;

/** AAPL as the venue resolves it (SMART, NASDAQ, tick 0.01): the fixture of unit tests and benchmarks. */
export const aapl = (over: Partial<Instrument> = {}): Instrument => ({
  conId: CON_ID.AAPL,
  symbol: 'AAPL',
  secType: 'STK',
  exchange: 'SMART',
  primaryExchange: 'NASDAQ',
  currency: 'USD',
  localSymbol: 'AAPL',
  tradingClass: 'NMS',
  multiplier: 1,
  minTick: 0.01,
  longName: 'APPLE INC',
  lastTradeDateOrContractMonth: '',
  timeZoneId: 'America/New_York',
  tradingHours: '',
  liquidHours: '',
  ...over,
});

/** A simulator instrument: a US stock on SMART at 100 unless `fields` say otherwise. */
export function simInstrument(fields: Partial<InstrumentSpec> & Pick<InstrumentSpec, 'conId' | 'symbol' | 'secType'>): InstrumentSpec {
  return {
    exchange: 'SMART',
    primaryExchange: 'NASDAQ',
    currency: 'USD',
    localSymbol: fields.symbol,
    tradingClass: fields.symbol,
    multiplier: 1,
    minTick: 0.01,
    longName: fields.symbol,
    lastTradeDateOrContractMonth: '',
    contractMonth: '',
    timeZoneId: 'America/New_York',
    industry: '',
    category: '',
    orderTypes: 'LMT,MKT,STP,STP LMT',
    validExchanges: 'SMART',
    basePrice: 100,
    annualVolatility: 0.3,
    typicalSize: 300,
    lotSize: 100,
    hasTrades: true,
    ...fields,
  };
}

// Where the virtual clocks start: 10:00 in New York (EST, UTC−5), markets open.
/** Tuesday 17 November 2026, a minute boundary: market data, the portfolio, the kill switch, startSim's simulator. */
export const TUESDAY_10AM = Date.UTC(2026, 10, 17, 15, 0, 0);
/** Monday 23 November 2026: the risk limits' trading day (it rolls at 17:00 New York). */
export const MONDAY_10AM = Date.UTC(2026, 10, 23, 15, 0);
/** Monday 6 January 2025: the simulator's matching engine and paper account. */
export const SIM_MONDAY_10AM = Date.UTC(2025, 0, 6, 15, 0, 0);
/** Wednesday 8 January 2025: the simulator's market model (every market open). */
export const SIM_WEDNESDAY_10AM = Date.UTC(2025, 0, 8, 15, 0);
