import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MessageBus, type CoreTopics } from '../../../src/main/bus';
import { VirtualClock } from '../../../src/main/clock';
import { InstrumentPipeline, parseMarketDataSettings, type MarketDataSettingsInput } from '../../../src/main/marketdata';
import { createLogger } from '../../../src/main/ops';
import type { Bar, BarUpdate, CrossSignal, EmaUpdate } from '../../../src/shared';
import { textbookEma } from '../../support/ema';
import { aapl, TUESDAY_10AM as T0, CON_ID } from '../../support/fixtures';

const MIN = 60_000;

const instrument = aapl;

const flat = (time: number, close: number, volume = 100): Bar => ({ time, open: close, high: close, low: close, close, volume, wap: close, count: 1 });

function setup(settings: MarketDataSettingsInput = {}, inst = instrument()) {
  const clock = new VirtualClock(T0);
  const bus = new MessageBus<CoreTopics>((err) => {
    throw err;
  });
  const seen: { topic: string; data: unknown }[] = [];
  bus.subscribeAny('md.>', (data, topic) => seen.push({ topic, data }));
  const pipeline = new InstrumentPipeline(inst, { bus, clock, logger: createLogger({ level: 'silent' }), settings: parseMarketDataSettings(settings) });
  const of = <T>(prefix: string) => seen.filter((s) => s.topic.startsWith(prefix)).map((s) => s.data as T);
  /** Delivers a 5-second bar at its end (when the venue sends it). */
  const deliver = (b: Bar) => {
    clock.advanceTo(Math.max(clock.now(), b.time + 5_000));
    pipeline.onBar(b);
  };
  return { clock, bus, seen, pipeline, deliver, bars: () => of<BarUpdate>('md.bar.1m.'), emas: () => of<EmaUpdate>('md.ema.'), signals: () => of<CrossSignal>('md.signal.') };
}

describe('one instrument’s market data on the bus', () => {
  it('publishes under the topic word of the local symbol (EUR.USD → EUR-USD, futures by contract) and caches the last quote', () => {
    const fx = setup({}, instrument({ conId: 12087792, symbol: 'EUR', localSymbol: 'EUR.USD', secType: 'CASH' }));
    fx.pipeline.onQuote({ conId: 12087792, bid: 1.1, ask: 1.1001, time: T0 });
    fx.deliver(flat(T0, 1.1));
    expect(fx.seen.map((s) => s.topic)).toEqual(['md.quote.EUR-USD', 'md.bar.1m.EUR-USD', 'md.bar.5s.EUR-USD']);
    expect(fx.seen[2]!.data).toMatchObject({ size: '5s', final: true, bar: { time: T0, close: 1.1 } });
    expect(fx.pipeline.snapshot().bars5s.map((b) => b.time)).toEqual([T0]);
    expect(fx.seen[0]!.data).toEqual({ conId: 12087792, bid: 1.1, ask: 1.1001, time: T0, symbol: 'EUR.USD' });
    expect(fx.pipeline.lastQuote()).toBe(fx.seen[0]!.data);
    const es = setup({}, instrument({ conId: 1, symbol: 'ES', localSymbol: 'ESZ6', secType: 'FUT' }));
    es.deliver(flat(T0, 6000));
    expect(es.seen.map((s) => s.topic)).toEqual(['md.bar.1m.ESZ6', 'md.bar.5s.ESZ6']);
    expect(es.bars()[0]).toMatchObject({ conId: 1, symbol: 'ESZ6', size: '1m', final: false, revised: false });
  });

  it('seeds the EMAs from history, publishes provisional EMAs for the forming minute, commits them on the final bar, and signals the crossover once', () => {
    const { pipeline, deliver, clock, bars, emas, signals } = setup({ emaPeriods: [2, 3] });
    // History: falling closes (fast below slow), up to the minute before now.
    clock.advanceTo(T0 + 10 * MIN + 1);
    const history = [10, 9, 8, 7, 6].map((c, i) => flat(T0 + (5 + i) * MIN, c));
    pipeline.seed(history);
    const seededAt = emas();
    expect(seededAt).toEqual([
      { conId: CON_ID.AAPL, symbol: 'AAPL', time: T0 + 9 * MIN, values: { 2: expect.any(Number) as number, 3: expect.any(Number) as number }, final: true },
    ]);
    const ref = (closes: number[], n: number) => textbookEma(closes, n).at(-1)!;
    expect(seededAt[0]!.values[2]).toBeCloseTo(ref([10, 9, 8, 7, 6], 2), 12);
    expect(seededAt[0]!.values[3]).toBeCloseTo(ref([10, 9, 8, 7, 6], 3), 12);

    // Minute 10 forms with a jump: provisional EMAs cross, but no signal until the minute is final.
    deliver(flat(T0 + 10 * MIN, 9));
    deliver(flat(T0 + 10 * MIN + 5_000, 12));
    expect(bars().map((b) => [b.bar.close, b.final])).toEqual([
      [9, false],
      [12, false],
    ]);
    const provisional = emas().slice(1);
    expect(provisional.map((e) => [e.time, e.final])).toEqual([
      [T0 + 10 * MIN, false],
      [T0 + 10 * MIN, false],
    ]);
    expect(provisional[1]!.values[2]).toBeCloseTo(ref([10, 9, 8, 7, 6, 12], 2), 12);
    expect(provisional[1]!.values[2]! > provisional[1]!.values[3]!).toBe(true);
    expect(signals()).toEqual([]);
    expect(pipeline.currentEma()).toBe(provisional[1]);

    deliver(flat(T0 + 10 * MIN + 55_000, 13)); // the minute's last bar closes it
    expect(bars().at(-1)).toMatchObject({ final: true, revised: false, bar: { close: 13, open: 9, high: 13, low: 9, volume: 300 } });
    const committed = emas().at(-1)!;
    expect(committed).toMatchObject({ time: T0 + 10 * MIN, final: true });
    expect(committed.values[3]).toBeCloseTo(ref([10, 9, 8, 7, 6, 13], 3), 12);
    expect(signals()).toEqual([
      {
        conId: CON_ID.AAPL,
        symbol: 'AAPL',
        time: T0 + 10 * MIN,
        direction: 'bullish',
        fastPeriod: 2,
        slowPeriod: 3,
        fast: committed.values[2],
        slow: committed.values[3],
        price: 13,
      },
    ]);
    // The chart's initial load: history then live bars, the EMA points, the crossing.
    const snap = pipeline.snapshot();
    expect(snap.bars.map((b) => b.close)).toEqual([10, 9, 8, 7, 6, 13]);
    // A point per minute from the first with any EMA (period 2 has one from the second close).
    expect(snap.emas.map((e) => [(e.time - T0) / MIN, Object.keys(e.values)])).toEqual([
      [6, ['2']],
      [7, ['2', '3']],
      [8, ['2', '3']],
      [9, ['2', '3']],
      [10, ['2', '3']],
    ]);
    expect(snap.signals).toHaveLength(1);
    expect(snap.seeded).toBe(true);
  });

  it('recomputes the EMAs from a revised minute on and republishes them, then the forming minute’s provisional ones', () => {
    const { pipeline, deliver, clock, bars, emas } = setup({ emaPeriods: [2, 3] });
    pipeline.seed([]);
    for (let m = 0; m < 4; m++) for (const s of [0, 55]) deliver(flat(T0 + m * MIN + s * 1000, 10 + m));
    deliver(flat(T0 + 4 * MIN, 20)); // minute 4 forming
    const before = emas().length;
    // A corrected bar for minute 2 (its :55 bar said 12, the venue now says 30).
    pipeline.onBar(flat(T0 + 2 * MIN + 55_000, 30));
    expect(bars().at(-1)).toMatchObject({ final: true, revised: true, bar: { time: T0 + 2 * MIN, close: 30 } });
    const after = emas().slice(before);
    expect(after.map((e) => [(e.time - T0) / MIN, e.final])).toEqual([
      [2, true],
      [3, true],
      [4, false],
    ]);
    const closes = [10, 11, 30, 13];
    expect(after[1]!.values[3]).toBeCloseTo(textbookEma(closes, 3).at(-1)!, 12);
    expect(after[2]!.values[2]).toBeCloseTo(textbookEma([...closes, 20], 2).at(-1)!, 12);
    expect(clock.pending()).toBe(1);
    pipeline.close();
    expect(clock.pending()).toBe(0);
  });

  it('while history loads, publishes live bars; the EMAs then seed from history before the first live minute and the live minutes after it', () => {
    const { pipeline, deliver, clock, emas } = setup({ emaPeriods: [2, 3] });
    clock.advanceTo(T0 + 5 * MIN + 30_000);
    deliver(flat(T0 + 5 * MIN + 30_000, 50)); // subscribed mid-minute: minute 5 is partial
    deliver(flat(T0 + 5 * MIN + 55_000, 51));
    deliver(flat(T0 + 6 * MIN, 52));
    expect(emas()).toEqual([]);
    // The venue's history includes minute 5 (half-formed when it was read): the live one wins.
    pipeline.seed([1, 2, 3, 4, 5, 99].map((c, i) => flat(T0 + i * MIN, c)));
    expect(pipeline.snapshot().bars.map((b) => b.close)).toEqual([1, 2, 3, 4, 5, 51]);
    const closes = [1, 2, 3, 4, 5, 51];
    expect(emas().map((e) => [(e.time - T0) / MIN, e.final])).toEqual([
      [5, true],
      [6, false],
    ]);
    expect(emas()[0]!.values[3]).toBeCloseTo(textbookEma(closes, 3).at(-1)!, 12);
    expect(emas()[1]!.values[3]).toBeCloseTo(textbookEma([...closes, 52], 3).at(-1)!, 12);
  });

  it('on random streams with late, duplicate and revised bars, the last final EMAs of every minute equal the reference over the final closes, and signals alternate', () => {
    const barArb = fc.record({ slot: fc.integer({ min: 0, max: 11 }), move: fc.integer({ min: -40, max: 40 }), late: fc.integer({ min: 0, max: 9 }) });
    fc.assert(
      fc.property(fc.array(barArb, { minLength: 1, maxLength: 250 }), fc.array(fc.integer({ min: 5_000, max: 15_000 }), { maxLength: 40 }), (steps, historyCents) => {
        const { pipeline, clock, bars, emas, signals } = setup({ emaPeriods: [3, 5, 8], revisionWindowMinutes: 4 });
        clock.advanceTo(T0 + 60 * MIN);
        const history = historyCents.map((c, i) => flat(T0 + (60 - historyCents.length + i) * MIN, c / 100));
        pipeline.seed(history);
        // Bars walk forward in time; some are delivered again later, changed (late = how many bars later).
        let t = T0 + 60 * MIN;
        let cents = 10_000;
        const pending: { due: number; bar: Bar }[] = [];
        steps.forEach((s, i) => {
          t += 5_000 * (1 + (s.slot % 3 === 0 ? s.slot : 0));
          cents = Math.max(100, cents + s.move);
          const b = flat(t, cents / 100, 100 + s.slot);
          pending.push({ due: i, bar: b });
          if (s.late > 6) pending.push({ due: i + s.late, bar: { ...b, close: b.close + 0.5, high: b.high + 0.5 } });
        });
        pending.sort((a, b) => a.due - b.due);
        for (const p of pending) {
          clock.advanceTo(Math.max(clock.now(), p.bar.time + 5_000));
          pipeline.onBar(p.bar);
        }
        clock.advance(10 * MIN);
        // The truth: the last final 1-minute bar published for each minute, after the history.
        const finalClose = new Map<number, number>();
        for (const u of bars()) if (u.final) finalClose.set(u.bar.time, u.bar.close);
        const series = [...history.map((b) => [b.time, b.close] as const), ...[...finalClose.entries()].sort((a, b) => a[0] - b[0])];
        const closes = series.map((s) => s[1]);
        // On the bus for live minutes (history minutes are not published one by one), and in the cache for all.
        const published = new Map<number, EmaUpdate>();
        for (const e of emas()) if (e.final) published.set(e.time, e);
        const cached = new Map(pipeline.snapshot().emas.map((e) => [e.time, e]));
        for (const n of [3, 5, 8]) {
          const ref = textbookEma(closes, n);
          series.forEach(([time], i) => {
            const sources = finalClose.has(time) ? [published, cached] : [cached];
            for (const source of sources) {
              const got = source.get(time)?.values[n];
              if (ref[i] === undefined) expect(got).toBeUndefined();
              else expect(Math.abs(got! - ref[i]) <= 1e-9 * ref[i]).toBe(true);
            }
          });
        }
        const dirs = signals().map((s) => s.direction);
        for (let i = 1; i < dirs.length; i++) expect(dirs[i]).not.toBe(dirs[i - 1]);
      }),
      { numRuns: 150 },
    );
  });
});
