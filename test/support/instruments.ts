import type { Instrument } from '../../src/shared';

/** AAPL as the venue resolves it (SMART, NASDAQ, tick 0.01): the fixture of unit tests and benchmarks. */
export const aapl = (over: Partial<Instrument> = {}): Instrument => ({
  conId: 265598,
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
