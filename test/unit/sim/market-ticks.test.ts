import { describe, expect, it } from 'vitest';
import { createMarketModel, defaultInstruments, type MarketModelOptions, type MarketTick } from '../../../src/main/sim/market';
import { CON_ID, SIM_WEDNESDAY_10AM as START } from '../../support/fixtures';

const INSTRUMENTS = defaultInstruments(undefined, START);
const { AAPL, EURUSD } = CON_ID;

function options(overrides: Partial<MarketModelOptions> = {}): MarketModelOptions {
  return { seed: 1234, instruments: INSTRUMENTS, tickRate: 4, sessions: 'always', startMs: START, historyDays: 1, ...overrides };
}

const onGrid = (price: number, minTick: number): boolean => Math.abs(price / minTick - Math.round(price / minTick)) < 1e-6;

describe('market ticks: determinism', () => {
  it('gives identical ticks for identical options, and different ones for another seed', () => {
    const a = createMarketModel(options());
    const b = createMarketModel(options());
    const c = createMarketModel(options({ seed: 1235 }));
    for (const instrument of INSTRUMENTS) {
      const ta = a.ticks(instrument.conId, START - 60_000, START + 60_000);
      expect(ta.length).toBe(2 * 60 * 4);
      expect(b.ticks(instrument.conId, START - 60_000, START + 60_000)).toEqual(ta);
      expect(c.ticks(instrument.conId, START - 60_000, START + 60_000)).not.toEqual(ta);
    }
  });

  it('does not depend on the order, size or repetition of queries', () => {
    const whole = createMarketModel(options()).ticks(AAPL, START, START + 20_000);

    const halves = createMarketModel(options());
    expect([...halves.ticks(AAPL, START, START + 10_000), ...halves.ticks(AAPL, START + 10_000, START + 20_000)]).toEqual(whole);

    // A poller's small windows, the later part first, repeated.
    const polled = createMarketModel(options());
    polled.ticks(AAPL, START + 15_000, START + 60_000);
    const pieces: MarketTick[] = [];
    for (let t = START; t < START + 20_000; t += 37) {
      polled.ticks(AAPL, t, Math.min(t + 37, START + 20_000));
      pieces.push(...polled.ticks(AAPL, t, Math.min(t + 37, START + 20_000)));
    }
    expect(pieces).toEqual(whole);

    // Bars (and summaries) first, far into the future first, then ticks.
    const barsFirst = createMarketModel(options());
    barsFirst.bars(AAPL, { endMs: START + 3_600_000, durationMs: 7_200_000, barSizeMs: 60_000, source: 'TRADES', rthOnly: false });
    barsFirst.lastTick(AAPL, START + 86_400_000);
    expect(barsFirst.ticks(AAPL, START, START + 20_000)).toEqual(whole);
  });

  it('gives the same bars whether ticks or bars are asked first', () => {
    const query = { endMs: START, durationMs: 3_600_000, barSizeMs: 60_000, source: 'TRADES', rthOnly: false } as const;
    const ticksFirst = createMarketModel(options());
    ticksFirst.ticks(AAPL, START - 1_800_000, START);
    const barsFirst = createMarketModel(options());
    expect(barsFirst.bars(AAPL, query)).toEqual(ticksFirst.bars(AAPL, query));
  });

  it('keeps the price path when only the tick rate changes', () => {
    const slow = createMarketModel(options({ tickRate: 1 }));
    const fast = createMarketModel(options({ tickRate: 40 }));
    const mid = (t: MarketTick | undefined): number => ((t?.bid ?? 0) + (t?.ask ?? 0)) / 2;
    // Same 5-s closes up to the bridge's last few hundred ms and a tick or two of quantisation.
    for (let k = 1; k <= 20; k++) {
      const at = START + k * 60_000 - 1;
      expect(Math.abs(mid(slow.lastTick(AAPL, at)) - mid(fast.lastTick(AAPL, at)))).toBeLessThan(0.2);
    }
  });
});

describe('market ticks: invariants', () => {
  const model = createMarketModel(options());
  for (const instrument of INSTRUMENTS) {
    it(`${instrument.localSymbol}: quotes on the grid, bid < ask, sizes in lots, times increasing`, () => {
      const from = START - 600_000;
      const ticks = model.ticks(instrument.conId, from, START);
      expect(ticks.length).toBe(600 * 4);
      // Collected rather than asserted one by one: thousands of expect() calls are slow.
      const problems: string[] = [];
      const check = (ok: boolean, what: string, t: MarketTick): void => {
        if (!ok && problems.length < 10) problems.push(`${what}: ${JSON.stringify(t)}`);
      };
      let previous = from;
      let volume = ticks[0] !== undefined ? ticks[0].dayVolume - (ticks[0].trade?.size ?? 0) : 0;
      let trades = 0;
      for (const t of ticks) {
        check(t.time > previous && t.time <= START, 'time', t);
        previous = t.time;
        check(t.bid > 0 && t.bid < t.ask, 'bid < ask', t);
        check(onGrid(t.bid, instrument.minTick) && onGrid(t.ask, instrument.minTick), 'grid', t);
        check(t.bidSize > 0 && t.askSize > 0, 'sizes > 0', t);
        check(t.bidSize % instrument.lotSize === 0 && t.askSize % instrument.lotSize === 0, 'lots', t);
        if (t.trade !== undefined) {
          trades++;
          check(instrument.hasTrades, 'trade without trades', t);
          check(t.trade.price >= t.bid && t.trade.price <= t.ask, 'trade inside the quote', t);
          check(onGrid(t.trade.price, instrument.minTick), 'trade on grid', t);
          check(t.trade.size > 0 && t.trade.size % instrument.lotSize === 0, 'trade size in lots', t);
          volume += t.trade.size;
        }
        // dayVolume grows by exactly the trade sizes (no session boundary in this window).
        check(t.dayVolume === volume, 'dayVolume', t);
      }
      expect(problems).toEqual([]);
      if (instrument.hasTrades) {
        expect(trades / ticks.length).toBeGreaterThan(0.3);
        expect(trades / ticks.length).toBeLessThan(0.6);
      } else {
        expect(trades).toBe(0);
        expect(ticks.every((t) => t.dayVolume === 0)).toBe(true);
      }
    });
  }

  it('spreads ticks evenly: round(tickRate·5) per 5-s interval', () => {
    const m = createMarketModel(options({ tickRate: 3.3 }));
    for (let k = 0; k < 10; k++) {
      const from = START + k * 5000;
      expect(m.ticks(AAPL, from - 0.5, from + 4999.5).length).toBe(Math.round(3.3 * 5));
    }
  });

  it('keeps strictly increasing times at stress rates (fractional milliseconds)', () => {
    const m = createMarketModel(options({ tickRate: 2000, historyDays: 0 }));
    const ticks = m.ticks(AAPL, START, START + 5000);
    expect(ticks.length).toBe(10_000);
    for (let j = 1; j < ticks.length; j++) expect((ticks[j]?.time ?? 0) > (ticks[j - 1]?.time ?? 0)).toBe(true);
  });

  it('answers lastTick with the last tick at or before the time', () => {
    const m = createMarketModel(options());
    for (const at of [START, START + 1234, START + 5000, START + 77_777]) {
      const window = m.ticks(AAPL, at - 10_000, at);
      expect(m.lastTick(AAPL, at)).toEqual(window[window.length - 1]);
    }
    expect(m.lastTick(AAPL, START - 2 * 86_400_000)).toBeUndefined();
  });

  it('serves nothing before the origin or for unknown instruments', () => {
    const m = createMarketModel(options());
    expect(m.ticks(AAPL, START - 2 * 86_400_000, START - 86_400_000)).toEqual([]);
    expect(m.ticks(AAPL, START - 86_400_000, START - 86_400_000 + 5000)).toHaveLength(20);
    expect(m.ticks(999, START, START + 5000)).toEqual([]);
    expect(m.lastTick(999, START)).toBeUndefined();
    expect(m.byConId(EURUSD)?.localSymbol).toBe('EUR.USD');
    expect(m.byConId(999)).toBeUndefined();
  });
});

describe('market ticks: sessions', () => {
  // Friday 2025-01-10; the stock session is 14:30–21:00 UTC.
  const FRIDAY_OPEN = Date.UTC(2025, 0, 10, 14, 30);
  const FRIDAY_CLOSE = Date.UTC(2025, 0, 10, 21, 0);
  const m = createMarketModel(options({ sessions: 'exchange', startMs: Date.UTC(2025, 0, 13, 15, 0), historyDays: 5 }));

  it('ticks only while the session is open, freezing quotes when closed', () => {
    const day = m.ticks(AAPL, FRIDAY_OPEN - 3_600_000, FRIDAY_CLOSE + 3_600_000);
    expect(day.length).toBe(6.5 * 3600 * 4);
    expect(day[0]?.time).toBeGreaterThanOrEqual(FRIDAY_OPEN);
    expect(day[day.length - 1]?.time).toBeLessThan(FRIDAY_CLOSE);
    expect(day.every((t) => m.isOpen(AAPL, t.time))).toBe(true);
    // The weekend is quiet, and the market stands where Friday left it.
    expect(m.ticks(AAPL, FRIDAY_CLOSE, Date.UTC(2025, 0, 13, 14, 30))).toEqual([]);
    expect(m.lastTick(AAPL, Date.UTC(2025, 0, 12, 12, 0))).toEqual(day[day.length - 1]);
  });

  it('resets dayVolume at each session start', () => {
    const monday = m.ticks(AAPL, Date.UTC(2025, 0, 13, 14, 30) - 1, Date.UTC(2025, 0, 13, 14, 31));
    const first = monday[0];
    expect(first?.dayVolume).toBe(first?.trade?.size ?? 0);
    const firstTrade = monday.find((t) => t.trade !== undefined);
    expect(firstTrade?.dayVolume).toBe(firstTrade?.trade?.size);
    // FX has no trades and no volume even though it trades all week.
    expect(m.ticks(EURUSD, FRIDAY_OPEN, FRIDAY_OPEN + 60_000).every((t) => t.dayVolume === 0)).toBe(true);
  });
});

describe('history density', () => {
  it('runs history before the start at the default rate and the live market at the configured rate', () => {
    const startMs = Date.UTC(2026, 10, 17, 15, 0, 0);
    const make = (tickRate: number) => createMarketModel({ seed: 3, instruments: defaultInstruments(['AAPL'], startMs), tickRate, sessions: 'always', startMs });
    const slow = make(4);
    const fast = make(400);
    const conId = CON_ID.AAPL;
    // The last history interval and the first live one.
    expect(fast.ticks(conId, startMs - 5_001, startMs - 1)).toHaveLength(20);
    expect(fast.ticks(conId, startMs - 1, startMs + 4_999)).toHaveLength(2_000);
    expect(slow.ticks(conId, startMs - 1, startMs + 4_999)).toHaveLength(20);
    // The past is the same market whatever the live rate.
    expect(fast.ticks(conId, startMs - 600_000, startMs - 1)).toEqual(slow.ticks(conId, startMs - 600_000, startMs - 1));
  });
});
