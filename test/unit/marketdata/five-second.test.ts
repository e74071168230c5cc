// The 5-second EMAs and crossovers of one instrument: seeded from the venue's 5-second history, then
// live on md.ema.5s.<word> / md.signal.5s.<word>, apart from the 1-minute ones.
import { describe, expect, it } from 'vitest';
import { MessageBus, type CoreTopics } from '../../../src/main/bus';
import { VirtualClock } from '../../../src/main/clock';
import { InstrumentPipeline, parseMarketDataSettings } from '../../../src/main/marketdata';
import { createLogger } from '../../../src/main/ops';
import type { Bar, CrossSignal, EmaUpdate, Instrument } from '../../../src/shared';
import { textbookEma } from '../../support/ema';
import { aapl, TUESDAY_10AM as T0 } from '../../support/fixtures';

const S5 = 5_000;

const instrument: Instrument = aapl();

const flat = (time: number, close: number): Bar => ({ time, open: close, high: close, low: close, close, volume: 100, wap: close, count: 1 });

/** Times where the fast EMA's side of the slow one changes (touching is not crossing; the first side is not a cross). */
function textbookCrossings(times: readonly number[], closes: readonly number[], fast: number, slow: number): { time: number; direction: string }[] {
  const f = textbookEma(closes, fast);
  const s = textbookEma(closes, slow);
  const out: { time: number; direction: string }[] = [];
  let side = 0;
  for (let i = 0; i < closes.length; i++) {
    if (f[i] === undefined || s[i] === undefined) continue;
    const d = (f[i] as number) - (s[i] as number);
    const next = d > 0 ? 1 : d < 0 ? -1 : side;
    if (side !== 0 && next !== side) out.push({ time: times[i] as number, direction: next > 0 ? 'bullish' : 'bearish' });
    side = next;
  }
  return out;
}

function setup() {
  const clock = new VirtualClock(T0);
  const bus = new MessageBus<CoreTopics>((err) => {
    throw err;
  });
  const seen: { topic: string; data: unknown }[] = [];
  bus.subscribeAny('md.>', (data, topic) => seen.push({ topic, data }));
  const pipeline = new InstrumentPipeline(instrument, { bus, clock, logger: createLogger({ level: 'silent' }), settings: parseMarketDataSettings({ emaPeriods: [3, 6] }) });
  const on = <T>(topic: string) => seen.filter((s) => s.topic === topic).map((s) => s.data as T);
  const deliver = (b: Bar) => {
    clock.advanceTo(Math.max(clock.now(), b.time + S5));
    pipeline.onBar(b);
  };
  return { clock, pipeline, seen, on, deliver };
}

// A wave: the fast EMA crosses the slow one several times.
const wave = (i: number) => Math.round((100 + 3 * Math.sin(i / 4)) * 100) / 100;

describe('the 5-second EMAs and crossovers', () => {
  it('seed from the 5-second history and the live bars before it, at every 5-second bar, equal to the textbook EMAs, crossing where the textbook crosses; none published', () => {
    const { clock, pipeline, seen, deliver } = setup();
    const HIST = 120;
    const start = T0 - HIST * S5;
    const history = Array.from({ length: HIST }, (_, i) => flat(start + i * S5, wave(i)));
    // Two live bars arrive before the history answers; the history overlaps them and holds an off-grid bar.
    deliver(flat(T0, wave(HIST)));
    deliver(flat(T0 + S5, wave(HIST + 1)));
    const before = seen.length;
    pipeline.seed5s([...history, flat(T0 + 2_500, 1), flat(T0, 999)]);

    const closes = [...history.map((b) => b.close), wave(HIST), wave(HIST + 1)];
    const times = closes.map((_, i) => start + i * S5);
    const snap = pipeline.snapshot();
    expect(snap.seeded5s).toBe(true);
    expect(snap.bars5s.map((b) => b.time)).toEqual(times);
    // One EMA point per 5-second bar once the fast period is seeded, each at a 5-second bar.
    expect(snap.emas5s.map((p) => p.time)).toEqual(times.slice(2));
    expect(snap.emas5s.every((p) => p.size === '5s' && p.final)).toBe(true);
    const e3 = textbookEma(closes, 3);
    const e6 = textbookEma(closes, 6);
    snap.emas5s.forEach((p, k) => {
      expect(p.values[3]).toBeCloseTo(e3[k + 2] as number, 9);
      if (e6[k + 2] !== undefined) expect(p.values[6]).toBeCloseTo(e6[k + 2] as number, 9);
    });
    const expected = textbookCrossings(times, closes, 3, 6);
    expect(expected.length).toBeGreaterThan(2);
    expect(snap.signals5s.map((s) => ({ time: s.time, direction: s.direction }))).toEqual(expected);
    expect(snap.signals5s.every((s) => s.size === '5s' && times.includes(s.time))).toBe(true);
    // The 1-minute EMAs are not the 5-second ones.
    expect(snap.emas.some((p) => p.size === '5s')).toBe(false);
    expect(snap.signals).toEqual([]);
    // Seeding publishes only the latest 5-second EMAs (for late chart updates), no crossing.
    const published = seen.slice(before).map((s) => s.topic);
    expect(published).toEqual(['md.ema.5s.AAPL']);
    expect(clock.now()).toBeGreaterThan(T0);
  });

  it('live: each 5-second bar publishes its EMAs on md.ema.5s and a crossing on md.signal.5s, never on the 1-minute topics', () => {
    const { pipeline, on, deliver } = setup();
    pipeline.seed(undefined);
    pipeline.seed5s([]);
    const closes: number[] = [];
    const times: number[] = [];
    for (let i = 0; i < 60; i++) {
      const t = T0 + i * S5;
      closes.push(wave(i));
      times.push(t);
      deliver(flat(t, wave(i)));
    }
    const emas = on<EmaUpdate>('md.ema.5s.AAPL');
    expect(emas.map((e) => e.time)).toEqual(times.slice(2));
    expect(emas.every((e) => e.size === '5s' && e.final)).toBe(true);
    const signals = on<CrossSignal>('md.signal.5s.AAPL');
    expect(signals.map((s) => ({ time: s.time, direction: s.direction }))).toEqual(textbookCrossings(times, closes, 3, 6));
    expect(signals.length).toBeGreaterThan(0);
    // The 1-minute topics carry 1-minute EMAs only (at minute starts), without a size.
    const minuteEmas = on<EmaUpdate>('md.ema.AAPL');
    expect(minuteEmas.every((e) => e.size === undefined && e.time % 60_000 === 0)).toBe(true);
    expect(on<CrossSignal>('md.signal.AAPL').every((s) => s.size === undefined && s.time % 60_000 === 0)).toBe(true);
    expect(pipeline.snapshot().emas5s.map((p) => p.time)).toEqual(times.slice(2));
  });
});
