import { describe, expect, it } from 'vitest';
import { createMarketModel, DEFAULT_SYMBOLS, defaultInstruments } from '../../../src/main/sim/market';
import { SIM_WEDNESDAY_10AM as AT, CON_ID } from '../../support/fixtures';

describe('defaultInstruments', () => {
  it('builds the default universe with IB identifiers', () => {
    const all = defaultInstruments(undefined, AT);
    expect(DEFAULT_SYMBOLS).toEqual(['AAPL', 'MSFT', 'NVDA', 'AMZN', 'SPY', 'EUR.USD', 'ES']);
    expect(all.map((i) => [i.conId, i.localSymbol, i.secType, i.exchange, i.primaryExchange])).toEqual([
      [CON_ID.AAPL, 'AAPL', 'STK', 'SMART', 'NASDAQ'],
      [CON_ID.MSFT, 'MSFT', 'STK', 'SMART', 'NASDAQ'],
      [4815747, 'NVDA', 'STK', 'SMART', 'NASDAQ'],
      [3691937, 'AMZN', 'STK', 'SMART', 'NASDAQ'],
      [756733, 'SPY', 'STK', 'SMART', 'ARCA'],
      [12087792, 'EUR.USD', 'CASH', 'IDEALPRO', 'IDEALPRO'],
      [600202503, 'ESH5', 'FUT', 'CME', 'CME'],
    ]);
    const eur = all[5];
    expect(eur).toMatchObject({ symbol: 'EUR', currency: 'USD', minTick: 0.00005, lotSize: 1000, hasTrades: false });
    expect(all[6]).toMatchObject({ symbol: 'ES', multiplier: 50, minTick: 0.25, lastTradeDateOrContractMonth: '20250321', contractMonth: '202503', timeZoneId: 'America/Chicago' });
    for (const stock of all.slice(0, 5)) expect(stock).toMatchObject({ currency: 'USD', minTick: 0.01, lotSize: 100, hasTrades: true, multiplier: 1 });
  });

  it('matches symbols case-insensitively, knows the FX aliases, and drops duplicates', () => {
    expect(defaultInstruments(['aapl', 'Eurusd', 'EUR', 'eur.usd', 'AAPL', 'es'], AT).map((i) => i.localSymbol)).toEqual(['AAPL', 'EUR.USD', 'ESH5']);
    expect(defaultInstruments([], AT)).toEqual([]);
  });

  it('rolls ES to the next quarter at 09:30 New York on the third Friday', () => {
    const es = (t: number): string => defaultInstruments(['ES'], t)[0]?.localSymbol ?? '';
    // 2025-12-19 is the third Friday of December (EST).
    expect(es(Date.UTC(2025, 11, 19, 14, 29))).toBe('ESZ5');
    expect(es(Date.UTC(2025, 11, 19, 14, 31))).toBe('ESH6');
    // 2025-09-19 (EDT).
    expect(es(Date.UTC(2025, 8, 19, 13, 29))).toBe('ESU5');
    expect(es(Date.UTC(2025, 8, 19, 13, 31))).toBe('ESZ5');
    // Between expiries the nearest quarter is the front.
    expect(es(Date.UTC(2026, 3, 1))).toBe('ESM6');
    const h6 = defaultInstruments(['ES'], Date.UTC(2025, 11, 20))[0];
    expect(h6).toMatchObject({ conId: 600202603, lastTradeDateOrContractMonth: '20260320', contractMonth: '202603' });
    // The conId is stable per contract month.
    expect(defaultInstruments(['ES'], Date.UTC(2026, 0, 15))[0]?.conId).toBe(h6?.conId);
  });

  it('makes stable synthetic US stocks for unknown symbols', () => {
    const [xyz] = defaultInstruments(['xyz'], AT);
    expect(defaultInstruments(['XYZ'], AT + 1e10)[0]).toEqual(xyz);
    expect(xyz).toMatchObject({ symbol: 'XYZ', secType: 'STK', exchange: 'SMART', primaryExchange: 'NASDAQ', currency: 'USD', minTick: 0.01, lotSize: 100 });
    expect(xyz?.basePrice).toBeGreaterThanOrEqual(10);
    expect(xyz?.basePrice).toBeLessThanOrEqual(500);
    expect(xyz?.annualVolatility).toBeGreaterThanOrEqual(0.2);
    expect(xyz?.annualVolatility).toBeLessThanOrEqual(0.6);
    const many = defaultInstruments(['XYZ', 'ABC', 'QQQ', 'TSLA', 'ZZZZ'], AT);
    expect(new Set(many.map((i) => i.conId)).size).toBe(5);
    expect(new Set(many.map((i) => i.basePrice)).size).toBeGreaterThan(1);
    // And they trade like any stock.
    const model = createMarketModel({ seed: 3, instruments: many, tickRate: 4, sessions: 'always', startMs: AT });
    for (const i of many) expect(model.ticks(i.conId, AT - 5000, AT)).toHaveLength(20);
  });
});

describe('MarketModel.resolve', () => {
  const instruments = defaultInstruments(undefined, AT);
  const model = createMarketModel({ seed: 1, instruments, tickRate: 4, sessions: 'always', startMs: AT });
  const resolve = (q: Parameters<typeof model.resolve>[0]): string[] => model.resolve(q).map((i) => i.localSymbol);

  it('finds stocks by conId, or by symbol with SMART or their listing exchange', () => {
    expect(resolve({ conId: CON_ID.AAPL })).toEqual(['AAPL']);
    expect(resolve({ symbol: 'AAPL', secType: 'STK', exchange: 'SMART', currency: 'USD' })).toEqual(['AAPL']);
    expect(resolve({ symbol: 'aapl', secType: 'stk', exchange: 'NASDAQ' })).toEqual(['AAPL']);
    expect(resolve({ symbol: 'SPY', secType: 'STK', exchange: 'SMART', primaryExchange: 'ARCA' })).toEqual(['SPY']);
    expect(resolve({ symbol: 'MSFT', secType: 'STK', exchange: 'IDEALPRO' })).toEqual([]);
    expect(resolve({ symbol: 'MSFT', secType: 'CASH' })).toEqual([]);
    expect(resolve({ symbol: 'MSFT', currency: 'EUR' })).toEqual([]);
  });

  it('treats empty strings and 0 as not given', () => {
    expect(resolve({ conId: 0, symbol: 'MSFT', secType: '', exchange: '', currency: '', localSymbol: '', lastTradeDateOrContractMonth: '' })).toEqual(['MSFT']);
    expect(resolve({ conId: CON_ID.MSFT, symbol: '', secType: 'STK' })).toEqual(['MSFT']);
    expect(resolve({})).toEqual([]);
    expect(resolve({ symbol: '', secType: 'STK' })).toEqual([]);
    expect(resolve({ symbol: 'NOPE', secType: 'STK' })).toEqual([]);
    expect(resolve({ conId: CON_ID.AAPL, symbol: 'MSFT' })).toEqual([]);
  });

  it('finds the FX pair by symbol and currency, local symbol or the joined pair', () => {
    expect(resolve({ symbol: 'EUR', currency: 'USD', secType: 'CASH' })).toEqual(['EUR.USD']);
    expect(resolve({ symbol: 'EUR', currency: 'USD', secType: 'CASH', exchange: 'IDEALPRO' })).toEqual(['EUR.USD']);
    expect(resolve({ localSymbol: 'EUR.USD' })).toEqual(['EUR.USD']);
    expect(resolve({ symbol: 'EURUSD', secType: 'CASH' })).toEqual(['EUR.USD']);
    expect(resolve({ symbol: 'EUR', currency: 'GBP', secType: 'CASH' })).toEqual([]);
  });

  it('finds futures by symbol and expiry (month or date) or by local symbol', () => {
    expect(resolve({ symbol: 'ES', secType: 'FUT' })).toEqual(['ESH5']);
    expect(resolve({ symbol: 'ES', secType: 'FUT', exchange: 'CME', lastTradeDateOrContractMonth: '202503' })).toEqual(['ESH5']);
    expect(resolve({ symbol: 'ES', secType: 'FUT', lastTradeDateOrContractMonth: '20250321' })).toEqual(['ESH5']);
    expect(resolve({ symbol: 'ES', secType: 'FUT', lastTradeDateOrContractMonth: '202506' })).toEqual([]);
    expect(resolve({ localSymbol: 'esh5', secType: 'FUT' })).toEqual(['ESH5']);
    expect(resolve({ symbol: 'ES', secType: 'STK' })).toEqual([]);
  });
});
