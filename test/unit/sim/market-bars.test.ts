import { describe, expect, it } from 'vitest';
import { createMarketModel, defaultInstruments, type Bar, type BarSource, type MarketModel, type MarketTick } from '../../../src/main/sim/market';
import { CON_ID } from '../../support/fixtures';

// Monday 2025-03-10 15:00 UTC = 11:00 New York (EDT, the day after the DST change).
const START = Date.UTC(2025, 2, 10, 15, 0);
const INSTRUMENTS = defaultInstruments(['AAPL', 'EUR.USD', 'ES'], START);
const { AAPL, EURUSD } = CON_ID;
const ES = INSTRUMENTS[2]?.conId ?? 0;
const MIN = 60_000;
const HOUR = 3_600_000;

interface Aggregate {
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  wap: number;
  count: number;
}

/** Brute-force aggregation of ticks the way the bars are specified. */
function aggregate(ticks: readonly MarketTick[], source: BarSource): Aggregate | undefined {
  const values: { price: number; size: number }[] = [];
  for (const t of ticks) {
    if (source === 'TRADES') {
      if (t.trade !== undefined) values.push(t.trade);
    } else {
      values.push({ price: source === 'BID' ? t.bid : source === 'ASK' ? t.ask : (t.bid + t.ask) / 2, size: 0 });
    }
  }
  const first = values[0];
  const last = values[values.length - 1];
  if (first === undefined || last === undefined) return undefined;
  const volume = values.reduce((s, v) => s + v.size, 0);
  return {
    open: first.price,
    high: values.reduce((m, v) => Math.max(m, v.price), -Infinity),
    low: values.reduce((m, v) => Math.min(m, v.price), Infinity),
    close: last.price,
    volume,
    wap: source === 'TRADES' ? values.reduce((s, v) => s + v.price * v.size, 0) / volume : values.reduce((s, v) => s + v.price, 0) / values.length,
    count: values.length,
  };
}

/** Ticks with start <= time < end. */
const ticksIn = (m: MarketModel, conId: number, start: number, end: number): MarketTick[] => m.ticks(conId, start - 1, end).filter((t) => t.time >= start && t.time < end);

function expectBarMatches(bar: Bar | undefined, agg: Aggregate | undefined): void {
  expect(bar === undefined).toBe(agg === undefined);
  if (bar === undefined || agg === undefined) return;
  expect(bar.open).toBeCloseTo(agg.open, 9);
  expect(bar.high).toBeCloseTo(agg.high, 9);
  expect(bar.low).toBeCloseTo(agg.low, 9);
  expect(bar.close).toBeCloseTo(agg.close, 9);
  expect(bar.volume).toBe(agg.volume);
  expect(bar.count).toBe(agg.count);
  expect(bar.wap).toBeCloseTo(agg.wap, 7);
}

describe('market bars', () => {
  const model = createMarketModel({ seed: 99, instruments: INSTRUMENTS, tickRate: 4, sessions: 'exchange', startMs: START });

  it.each<[number, BarSource]>([
    [AAPL, 'TRADES'],
    [AAPL, 'MIDPOINT'],
    [AAPL, 'BID'],
    [EURUSD, 'ASK'],
    [ES, 'TRADES'],
  ])('5-second bars of %i %s equal the aggregation of their ticks', (conId, source) => {
    const endMs = START;
    const bars = model.bars(conId, { endMs, durationMs: 300 * 5000, barSizeMs: 5000, source, rthOnly: false });
    expect(bars.length).toBeGreaterThan(source === 'TRADES' ? 250 : 299);
    const byTime = new Map(bars.map((b) => [b.time, b]));
    for (let t = endMs - 300 * 5000; t < endMs; t += 5000) {
      const ticks = ticksIn(model, conId, t, t + 5000);
      expectBarMatches(byTime.get(t), aggregate(ticks, source));
      // Exactly equal (not just close) for the prices that are tick values.
      const bar = byTime.get(t);
      if (bar !== undefined && source !== 'MIDPOINT') {
        expect(bar.high).toBe(Math.max(...ticks.map((x) => (source === 'TRADES' ? (x.trade?.price ?? -Infinity) : source === 'BID' ? x.bid : x.ask))));
      }
    }
  });

  it('1-minute bars aggregate twelve 5-second bars', () => {
    for (const source of ['TRADES', 'MIDPOINT'] as const) {
      const minutes = model.bars(AAPL, { endMs: START, durationMs: HOUR, barSizeMs: MIN, source, rthOnly: false });
      const fives = model.bars(AAPL, { endMs: START, durationMs: HOUR, barSizeMs: 5000, source, rthOnly: false });
      expect(minutes).toHaveLength(60);
      for (const bar of minutes) {
        const parts = fives.filter((b) => b.time >= bar.time && b.time < bar.time + MIN);
        expect(parts.length).toBeGreaterThan(0);
        expect(bar.open).toBe(parts[0]?.open);
        expect(bar.close).toBe(parts[parts.length - 1]?.close);
        expect(bar.high).toBe(Math.max(...parts.map((b) => b.high)));
        expect(bar.low).toBe(Math.min(...parts.map((b) => b.low)));
        expect(bar.volume).toBe(parts.reduce((s, b) => s + b.volume, 0));
        expect(bar.count).toBe(parts.reduce((s, b) => s + b.count, 0));
        const weight = (b: Bar): number => (source === 'TRADES' ? b.volume : b.count);
        expect(bar.wap).toBeCloseTo(parts.reduce((s, b) => s + b.wap * weight(b), 0) / parts.reduce((s, b) => s + weight(b), 0), 7);
      }
    }
  });

  it('aligns bars to their size and omits closed stretches', () => {
    // Friday 11:00 EST to Monday 12:00 EDT: two partial stock sessions around a weekend.
    const bars = model.bars(AAPL, { endMs: Date.UTC(2025, 2, 10, 16, 0), durationMs: 72 * HOUR, barSizeMs: 30 * MIN, source: 'TRADES', rthOnly: false });
    expect(bars.every((b) => b.time % (30 * MIN) === 0)).toBe(true);
    expect(bars.every((b) => model.isOpen(AAPL, b.time))).toBe(true);
    // Friday 11:00–16:00 is 10 bars, Monday 09:30–12:00 is 5.
    expect(bars).toHaveLength(15);
    // Hourly stock bars in New York time start on the hour; the 09:00 bar holds 09:30–10:00.
    const hourly = model.bars(AAPL, { endMs: Date.UTC(2025, 2, 10, 20, 0), durationMs: 7 * HOUR, barSizeMs: HOUR, source: 'TRADES', rthOnly: false });
    expect(hourly[0]?.time).toBe(Date.UTC(2025, 2, 10, 13, 0));
    expect(hourly).toHaveLength(7);
  });

  it('keeps only liquid hours with rthOnly (ES trades overnight, its RTH is 09:30–16:00 New York)', () => {
    const endMs = Date.UTC(2025, 2, 7, 22, 0); // Friday 18:00 New York
    const all = model.bars(ES, { endMs, durationMs: 24 * HOUR, barSizeMs: 30 * MIN, source: 'TRADES', rthOnly: false });
    const rth = model.bars(ES, { endMs, durationMs: 24 * HOUR, barSizeMs: 30 * MIN, source: 'TRADES', rthOnly: true });
    expect(all).toHaveLength(46); // Thursday 18:00 to Friday 17:00
    expect(rth).toHaveLength(13); // 09:30 to 16:00
    expect(rth[0]?.time).toBe(Date.UTC(2025, 2, 7, 14, 30));
    expect(rth.every((b) => model.isOpen(ES, b.time, true))).toBe(true);
  });

  it('builds daily bars per session, stamped with the session start', () => {
    const days = model.bars(AAPL, { endMs: START, durationMs: 6 * 86_400_000, barSizeMs: 86_400_000, source: 'TRADES', rthOnly: false });
    // Wed, Thu, Fri (the origin is Wednesday 11:00, so Wednesday is partial); Monday is still forming.
    expect(days.map((d) => new Date(d.time).toISOString())).toEqual(['2025-03-05T14:30:00.000Z', '2025-03-06T14:30:00.000Z', '2025-03-07T14:30:00.000Z']);
    const friday = days[2];
    const minutes = model.bars(AAPL, { endMs: Date.UTC(2025, 2, 7, 21, 0), durationMs: 6.5 * HOUR, barSizeMs: MIN, source: 'TRADES', rthOnly: false });
    expect(minutes).toHaveLength(390);
    expect(friday?.open).toBe(minutes[0]?.open);
    expect(friday?.close).toBe(minutes[minutes.length - 1]?.close);
    expect(friday?.high).toBe(Math.max(...minutes.map((b) => b.high)));
    expect(friday?.low).toBe(Math.min(...minutes.map((b) => b.low)));
    expect(friday?.volume).toBe(minutes.reduce((s, b) => s + b.volume, 0));

    const forming = model.bars(AAPL, { endMs: START, durationMs: 86_400_000, barSizeMs: 86_400_000, source: 'TRADES', rthOnly: false, includeForming: true });
    expect(forming).toHaveLength(1);
    expect(forming[0]?.time).toBe(Date.UTC(2025, 2, 10, 13, 30));
    expect(forming[0]?.volume).toBe(model.lastTick(AAPL, START)?.dayVolume);
  });

  it('adds the forming bar from the ticks up to endMs only when asked', () => {
    const endMs = START + 2 * MIN + 17_250;
    const query = { endMs, durationMs: 10 * MIN, barSizeMs: MIN, source: 'MIDPOINT', rthOnly: false } as const;
    const complete = model.bars(AAPL, query);
    const forming = model.bars(AAPL, { ...query, includeForming: true });
    expect(complete[complete.length - 1]?.time).toBe(START + MIN);
    expect(forming.slice(0, -1)).toEqual(complete);
    const last = forming[forming.length - 1];
    expect(last?.time).toBe(START + 2 * MIN);
    expectBarMatches(last, aggregate(model.ticks(AAPL, START + 2 * MIN - 1, endMs), 'MIDPOINT'));
  });

  it('has no TRADES bars for FX', () => {
    expect(model.bars(EURUSD, { endMs: START, durationMs: HOUR, barSizeMs: MIN, source: 'TRADES', rthOnly: false })).toEqual([]);
    expect(model.bars(EURUSD, { endMs: START, durationMs: HOUR, barSizeMs: MIN, source: 'MIDPOINT', rthOnly: false })).toHaveLength(60);
  });

  it('summarises the day consistently with its ticks', () => {
    // Shortly after each session's start (ES and FX sessions begin on Sunday evening New York).
    for (const [conId, at, sessionStart] of [
      [AAPL, START, Date.UTC(2025, 2, 10, 13, 30)],
      [AAPL, Date.UTC(2025, 2, 10, 13, 31, 7), Date.UTC(2025, 2, 10, 13, 30)],
      [ES, Date.UTC(2025, 2, 9, 22, 40), Date.UTC(2025, 2, 9, 22, 0)],
      [EURUSD, Date.UTC(2025, 2, 9, 21, 40), Date.UTC(2025, 2, 9, 21, 0)],
    ] as const) {
      const summary = model.daySummary(conId, at);
      const instrument = model.byConId(conId);
      const ticks = model.ticks(conId, sessionStart - 1, at);
      const agg = aggregate(ticks, instrument?.hasTrades === true ? 'TRADES' : 'MIDPOINT');
      expect(summary.open).toBeCloseTo(agg?.open ?? NaN, 9);
      expect(summary.high).toBeCloseTo(agg?.high ?? NaN, 9);
      expect(summary.low).toBeCloseTo(agg?.low ?? NaN, 9);
      expect(summary.volume).toBe(agg?.volume ?? 0);
      expect(summary.volume).toBe(model.lastTick(conId, at)?.dayVolume);
    }
    // The previous close is Friday's last trade.
    const friday = model.ticks(AAPL, Date.UTC(2025, 2, 7, 20, 59), Date.UTC(2025, 2, 7, 21, 0)).filter((t) => t.trade !== undefined);
    expect(model.daySummary(AAPL, START).prevClose).toBe(friday[friday.length - 1]?.trade?.price);
    // Before Monday's open the day has no trades yet; the previous close still stands.
    const early = model.daySummary(AAPL, Date.UTC(2025, 2, 10, 12, 0));
    expect(early).toEqual({ open: undefined, high: undefined, low: undefined, prevClose: friday[friday.length - 1]?.trade?.price, volume: 0 });
  });

  it('builds a day of 1-minute bars (and reports how long it took)', () => {
    const m = createMarketModel({ seed: 5, instruments: INSTRUMENTS, tickRate: 4, sessions: 'always', startMs: START });
    const t0 = performance.now();
    const bars = m.bars(AAPL, { endMs: START, durationMs: 86_400_000, barSizeMs: MIN, source: 'TRADES', rthOnly: false });
    const elapsed = performance.now() - t0;
    expect(bars).toHaveLength(1440);
    // Reported, not asserted: wall-clock time depends on the machine.
    console.info(`1 day of 1-minute bars (tickRate 4, 24 h): ${elapsed.toFixed(1)} ms`);
  });
});
