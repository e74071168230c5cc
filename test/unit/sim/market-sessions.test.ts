import { describe, expect, it } from 'vitest';
import { createMarketModel, defaultInstruments } from '../../../src/main/sim/market';
import { CON_ID, SIM_WEDNESDAY_10AM as START } from '../../support/fixtures';

const INSTRUMENTS = defaultInstruments(['AAPL', 'EUR.USD', 'ES'], START);
const { AAPL, EURUSD } = CON_ID;
const ES = INSTRUMENTS[2]?.conId ?? 0;
const utc = (y: number, mo: number, d: number, h: number, mi = 0, s = 0, ms = 0): number => Date.UTC(y, mo - 1, d, h, mi, s, ms);

describe('market sessions (exchange calendars)', () => {
  const m = createMarketModel({ seed: 1, instruments: INSTRUMENTS, tickRate: 4, sessions: 'exchange', startMs: START });

  it('opens US stocks 09:30–16:00 New York on weekdays, in winter and summer time', () => {
    // Winter (EST = UTC-5).
    expect(m.isOpen(AAPL, utc(2025, 1, 8, 14, 29, 59, 999))).toBe(false);
    expect(m.isOpen(AAPL, utc(2025, 1, 8, 14, 30))).toBe(true);
    expect(m.isOpen(AAPL, utc(2025, 1, 8, 20, 59, 59, 999))).toBe(true);
    expect(m.isOpen(AAPL, utc(2025, 1, 8, 21, 0))).toBe(false);
    expect(m.sessionEnd(AAPL, utc(2025, 1, 8, 15, 0))).toBe(utc(2025, 1, 8, 21, 0));
    // Monday after the switch to EDT (UTC-4) on Sunday 2025-03-09.
    expect(m.isOpen(AAPL, utc(2025, 3, 10, 13, 29))).toBe(false);
    expect(m.isOpen(AAPL, utc(2025, 3, 10, 13, 30))).toBe(true);
    expect(m.isOpen(AAPL, utc(2025, 3, 10, 20, 0))).toBe(false);
    expect(m.sessionEnd(AAPL, utc(2025, 3, 10, 13, 30))).toBe(utc(2025, 3, 10, 20, 0));
    // And back to EST after Sunday 2025-11-02.
    expect(m.isOpen(AAPL, utc(2025, 10, 31, 13, 30))).toBe(true);
    expect(m.isOpen(AAPL, utc(2025, 11, 3, 13, 30))).toBe(false);
    expect(m.isOpen(AAPL, utc(2025, 11, 3, 14, 30))).toBe(true);
    // Weekend.
    expect(m.isOpen(AAPL, utc(2025, 1, 11, 16, 0))).toBe(false);
    expect(m.sessionEnd(AAPL, utc(2025, 1, 11, 16, 0))).toBeUndefined();
    // Liquid hours are the trading hours for stocks.
    expect(m.isOpen(AAPL, utc(2025, 1, 8, 14, 30), true)).toBe(true);
  });

  it('gives ES its daily 17:00–18:00 New York break and Sunday evening open', () => {
    // Tuesday 2025-06-10 (EDT): break 21:00–22:00 UTC.
    expect(m.isOpen(ES, utc(2025, 6, 10, 20, 59, 59, 999))).toBe(true);
    expect(m.sessionEnd(ES, utc(2025, 6, 10, 20, 0))).toBe(utc(2025, 6, 10, 21, 0));
    expect(m.isOpen(ES, utc(2025, 6, 10, 21, 0))).toBe(false);
    expect(m.isOpen(ES, utc(2025, 6, 10, 21, 59, 59))).toBe(false);
    expect(m.isOpen(ES, utc(2025, 6, 10, 22, 0))).toBe(true);
    expect(m.sessionEnd(ES, utc(2025, 6, 10, 22, 0))).toBe(utc(2025, 6, 11, 21, 0));
    // Overnight is open but not liquid; liquid hours are 09:30–16:00 New York.
    expect(m.isOpen(ES, utc(2025, 6, 11, 3, 0), true)).toBe(false);
    expect(m.isOpen(ES, utc(2025, 6, 11, 13, 30), true)).toBe(true);
    expect(m.isOpen(ES, utc(2025, 6, 11, 20, 0), true)).toBe(false);
    // Friday 17:00 to Sunday 18:00 New York is shut.
    expect(m.isOpen(ES, utc(2025, 6, 13, 21, 0))).toBe(false);
    expect(m.isOpen(ES, utc(2025, 6, 14, 12, 0))).toBe(false);
    expect(m.isOpen(ES, utc(2025, 6, 15, 21, 59))).toBe(false);
    expect(m.isOpen(ES, utc(2025, 6, 15, 22, 0))).toBe(true);
  });

  it('trades EUR.USD from Sunday to Friday 17:00 New York, with daily sessions ending at 17:00', () => {
    expect(m.isOpen(EURUSD, utc(2025, 6, 13, 20, 59))).toBe(true);
    expect(m.isOpen(EURUSD, utc(2025, 6, 13, 21, 0))).toBe(false);
    expect(m.isOpen(EURUSD, utc(2025, 6, 14, 12, 0))).toBe(false);
    expect(m.isOpen(EURUSD, utc(2025, 6, 15, 20, 59))).toBe(false);
    expect(m.isOpen(EURUSD, utc(2025, 6, 15, 21, 0))).toBe(true);
    // No break mid-week, but the trading day (and a DAY order) ends at 17:00.
    expect(m.isOpen(EURUSD, utc(2025, 6, 10, 21, 0))).toBe(true);
    expect(m.sessionEnd(EURUSD, utc(2025, 6, 10, 20, 59))).toBe(utc(2025, 6, 10, 21, 0));
    expect(m.sessionEnd(EURUSD, utc(2025, 6, 10, 21, 0))).toBe(utc(2025, 6, 11, 21, 0));
    // In winter 17:00 New York is 22:00 UTC.
    expect(m.isOpen(EURUSD, utc(2025, 1, 10, 21, 59))).toBe(true);
    expect(m.isOpen(EURUSD, utc(2025, 1, 10, 22, 0))).toBe(false);
  });

  it('formats hours the way IB does, in the instrument time zone', () => {
    expect(m.hours(AAPL, START)).toEqual({
      tradingHours:
        '20250108:0930-20250108:1600;20250109:0930-20250109:1600;20250110:0930-20250110:1600;20250111:CLOSED;20250112:CLOSED;20250113:0930-20250113:1600;20250114:0930-20250114:1600',
      liquidHours:
        '20250108:0930-20250108:1600;20250109:0930-20250109:1600;20250110:0930-20250110:1600;20250111:CLOSED;20250112:CLOSED;20250113:0930-20250113:1600;20250114:0930-20250114:1600',
    });
    // ES in Chicago time: 17:00–16:00 with the session dated by its end.
    expect(m.hours(ES, START)).toEqual({
      tradingHours:
        '20250107:1700-20250108:1600;20250108:1700-20250109:1600;20250109:1700-20250110:1600;20250111:CLOSED;20250112:CLOSED;20250112:1700-20250113:1600;20250113:1700-20250114:1600',
      liquidHours:
        '20250108:0830-20250108:1500;20250109:0830-20250109:1500;20250110:0830-20250110:1500;20250111:CLOSED;20250112:CLOSED;20250113:0830-20250113:1500;20250114:0830-20250114:1500',
    });
    expect(m.hours(EURUSD, START).tradingHours.split(';').slice(0, 4)).toEqual([
      '20250107:1700-20250108:1700',
      '20250108:1700-20250109:1700',
      '20250109:1700-20250110:1700',
      '20250111:CLOSED',
    ]);
    // Local times stay put across the DST change; the format holds for every instrument.
    expect(m.hours(AAPL, utc(2025, 3, 7, 15, 0)).tradingHours).toContain('20250310:0930-20250310:1600');
    const format = /^\d{8}:(\d{4}-\d{8}:\d{4}|CLOSED)(;\d{8}:(\d{4}-\d{8}:\d{4}|CLOSED)){6}$/;
    for (const instrument of INSTRUMENTS) {
      const h = m.hours(instrument.conId, utc(2025, 7, 1, 12, 0));
      expect(h.tradingHours).toMatch(format);
      expect(h.liquidHours).toMatch(format);
    }
    expect(() => m.hours(999, START)).toThrow(RangeError);
  });
});

describe("market sessions ('always')", () => {
  const m = createMarketModel({ seed: 1, instruments: INSTRUMENTS, tickRate: 4, sessions: 'always', startMs: START });

  it('trades every instrument around the clock, with trading days from New York midnight', () => {
    const saturday = utc(2025, 1, 11, 12, 0);
    for (const instrument of INSTRUMENTS) {
      expect(m.isOpen(instrument.conId, saturday)).toBe(true);
      expect(m.isOpen(instrument.conId, saturday, true)).toBe(true);
      expect(m.sessionEnd(instrument.conId, saturday)).toBe(utc(2025, 1, 12, 5, 0));
      expect(m.ticks(instrument.conId, saturday - 0.5, saturday + 4999.5)).toHaveLength(20);
    }
    expect(m.hours(AAPL, saturday).tradingHours.split(';')[0]).toBe('20250111:0000-20250112:0000');
    // The day's volume restarts at New York midnight.
    const midnight = utc(2025, 1, 9, 5, 0);
    const after = m.ticks(AAPL, midnight - 1, midnight + 5000);
    const firstTrade = after.find((t) => t.trade !== undefined);
    expect(firstTrade?.dayVolume).toBe(firstTrade?.trade?.size);
    expect(m.lastTick(AAPL, midnight - 1)?.dayVolume).toBeGreaterThan(1000);
  });
});
