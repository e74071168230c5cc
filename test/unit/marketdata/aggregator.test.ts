import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/main/clock';
import { MinuteAggregator, type DropReason, type MinuteSink } from '../../../src/main/marketdata';
import type { Bar } from '../../../src/shared';
import { TUESDAY_10AM as T0 } from '../../support/fixtures';

const MIN = 60_000;
const GRACE = 10_000;
const WINDOW = 10;

interface Tick {
  readonly time: number;
  readonly price: number;
  readonly size: number;
}

interface Published {
  readonly bar: Bar;
  readonly final: boolean;
  readonly revised: boolean;
}

/** Brute force: one bar per `sizeMs` bucket from the ticks in it. */
function barsFromTicks(ticks: readonly Tick[], sizeMs: number): Bar[] {
  const buckets = new Map<number, Tick[]>();
  for (const t of ticks) {
    const start = Math.floor(t.time / sizeMs) * sizeMs;
    const list = buckets.get(start) ?? [];
    list.push(t);
    buckets.set(start, list);
  }
  return [...buckets.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([time, list]) => {
      const volume = list.reduce((s, t) => s + t.size, 0);
      return {
        time,
        open: list[0]!.price,
        high: Math.max(...list.map((t) => t.price)),
        low: Math.min(...list.map((t) => t.price)),
        close: list.at(-1)!.price,
        volume,
        wap: list.reduce((s, t) => s + t.price * t.size, 0) / volume,
        count: list.length,
      };
    });
}

/** Brute force: one 1-minute bar from its 5-second bars, taken in time order. */
function aggregate(bars: readonly Bar[]): Bar {
  const sorted = [...bars].sort((a, b) => a.time - b.time);
  let volume = 0;
  let notional = 0;
  let count = 0;
  for (const b of sorted) {
    volume += b.volume;
    notional += b.wap * b.volume;
    count += b.count;
  }
  const close = sorted.at(-1)!.close;
  return {
    time: Math.floor(sorted[0]!.time / MIN) * MIN,
    open: sorted[0]!.open,
    high: Math.max(...sorted.map((b) => b.high)),
    low: Math.min(...sorted.map((b) => b.low)),
    close,
    volume,
    wap: volume > 0 ? notional / volume : close,
    count,
  };
}

class Recorder implements MinuteSink {
  readonly published: Published[] = [];
  readonly drops: { bar: Bar; reason: DropReason }[] = [];
  onMinute: (p: Published) => void = () => undefined;
  minute(bar: Bar, final: boolean, revised: boolean): void {
    const p = { bar, final, revised };
    this.published.push(p);
    this.onMinute(p);
  }
  dropped(bar: Bar, reason: DropReason): void {
    this.drops.push({ bar, reason });
  }
}

function setup(options: { grace?: number; window?: number; start?: number } = {}) {
  const clock = new VirtualClock(options.start ?? T0);
  const sink = new Recorder();
  const agg = new MinuteAggregator(sink, { clock, finalizeGraceMs: options.grace ?? GRACE, windowMinutes: options.window ?? WINDOW });
  return { clock, sink, agg };
}

const bar = (time: number, close: number, extra: Partial<Bar> = {}): Bar => ({ time, open: close, high: close, low: close, close, volume: 100, wap: close, count: 1, ...extra });

// --- random streams ----------------------------------------------------------------------------

const tickArb = fc.record({
  dt: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 4_000 }) }, { weight: 1, arbitrary: fc.integer({ min: 4_000, max: 90_000 }) }),
  move: fc.integer({ min: -25, max: 25 }),
  size: fc.integer({ min: 1, max: 900 }),
});

function ticksFrom(steps: readonly { dt: number; move: number; size: number }[], startOffset: number): Tick[] {
  let time = T0 + startOffset;
  let cents = 10_000;
  return steps.map((s) => {
    time += s.dt;
    cents = Math.max(1, cents + s.move);
    return { time, price: cents / 100, size: s.size };
  });
}

const fateArb = fc.record({
  /** Delivery after the bar's end (ms); mostly prompt, sometimes late, rarely far too late. */
  delay: fc.oneof(
    { weight: 12, arbitrary: fc.integer({ min: 0, max: 1_500 }) },
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 30_000 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 900_000 }) },
  ),
  lose: fc.integer({ min: 0, max: 19 }).map((n) => n === 0),
  duplicate: fc.option(fc.integer({ min: 0, max: 60_000 }), { freq: 6 }),
  revision: fc.option(fc.record({ delay: fc.integer({ min: 0, max: 120_000 }), move: fc.integer({ min: -30, max: 30 }), extraVolume: fc.integer({ min: 0, max: 500 }) }), {
    freq: 8,
  }),
});

interface Delivery {
  readonly at: number;
  readonly seq: number;
  readonly bar: Bar;
}

interface Fate {
  readonly delay: number;
  readonly lose: boolean;
  readonly duplicate: number | null;
  readonly revision: { readonly delay: number; readonly move: number; readonly extraVolume: number } | null;
}

function deliveriesFor(bars: readonly Bar[], fates: readonly Fate[]): Delivery[] {
  const out: Delivery[] = [];
  let seq = 0;
  bars.forEach((b, i) => {
    const fate = fates[i % fates.length]!;
    if (fate.lose) return;
    const due = b.time + 5_000;
    out.push({ at: due + fate.delay, seq: seq++, bar: b });
    if (fate.duplicate !== null) out.push({ at: due + fate.delay + fate.duplicate, seq: seq++, bar: { ...b } });
    if (fate.revision !== null) {
      const close = Math.max(0.01, Math.round(b.close * 100 + fate.revision.move) / 100);
      const revised: Bar = { ...b, close, high: Math.max(b.high, close), low: Math.min(b.low, close), volume: b.volume + fate.revision.extraVolume };
      out.push({ at: due + fate.delay + fate.revision.delay, seq: seq++, bar: revised });
    }
  });
  return out.sort((a, b) => a.at - b.at || a.seq - b.seq);
}

describe('1-minute bar aggregation', () => {
  it('equals a brute-force reference at every publication, on random tick streams with gaps, late, out-of-order, duplicate and revised bars', () => {
    const seen = { duplicates: 0, revisions: 0, dropped: 0, timerFinals: 0, outOfOrder: 0 };
    fc.assert(
      fc.property(
        fc.array(tickArb, { minLength: 1, maxLength: 400 }),
        fc.integer({ min: 0, max: MIN - 1 }),
        fc.array(fateArb, { minLength: 1, maxLength: 50 }),
        fc.constantFrom(1, 2, 3, WINDOW),
        (steps, offset, fates, window) => {
          const ticks = ticksFrom(steps, offset);
          const fiveSecond = barsFromTicks(ticks, 5_000);
          const deliveries = deliveriesFor(fiveSecond, fates);
          const { clock, sink, agg } = setup({ window });

          // The reference: the bars accepted so far (the last of each start time wins), by minute.
          const accepted = new Map<number, Bar>();
          let newest = Number.NEGATIVE_INFINITY;
          let expectedDrops = 0;
          const finalSeen = new Set<number>();
          const everPublished = new Set<number>();
          const referenceOf = (minute: number) => aggregate([...accepted.values()].filter((b) => Math.floor(b.time / MIN) === minute));
          sink.onMinute = ({ bar: b, final, revised }) => {
            const m = b.time / MIN;
            expect(Number.isInteger(m)).toBe(true);
            expect(b).toEqual(referenceOf(m));
            if (!final) {
              expect(revised).toBe(false);
              expect(finalSeen.has(m)).toBe(false);
              expect(m).toBe(newest);
            } else if (!revised) {
              expect(finalSeen.has(m)).toBe(false);
            } else {
              expect(finalSeen.has(m) || (!everPublished.has(m) && m < newest)).toBe(true);
            }
            if (final) finalSeen.add(m);
            everPublished.add(m);
          };

          for (const d of deliveries) {
            clock.advanceTo(Math.max(clock.now(), d.at));
            const m = Math.floor(d.bar.time / MIN);
            if (m <= newest - window) expectedDrops++;
            else {
              newest = Math.max(newest, m);
              accepted.set(d.bar.time, d.bar);
            }
            agg.push(d.bar);
            // Every minute whose end + grace has passed is final.
            for (const b of accepted.values()) {
              const bm = Math.floor(b.time / MIN);
              if ((bm + 1) * MIN + GRACE <= clock.now()) expect(finalSeen.has(bm)).toBe(true);
            }
          }
          clock.advance(MIN + GRACE);

          expect(agg.stats.dropped).toBe(expectedDrops);
          expect(sink.drops.every((x) => x.reason === 'too-old')).toBe(true);
          const minutes = new Set([...accepted.values()].map((b) => Math.floor(b.time / MIN)));
          expect([...everPublished].sort()).toEqual([...minutes].sort());
          for (const m of minutes) {
            const last = sink.published.filter((p) => p.bar.time === m * MIN).at(-1)!;
            expect(last.final).toBe(true);
            expect(last.bar).toEqual(referenceOf(m));
          }
          expect(clock.pending()).toBe(0);
          for (const k of ['duplicates', 'revisions', 'dropped', 'timerFinals'] as const) seen[k] += agg.stats[k];
          seen.outOfOrder += deliveries.filter((d, i) => i > 0 && d.bar.time < deliveries[i - 1]!.bar.time).length;
        },
      ),
      { numRuns: 300 },
    );
    // The streams did exercise every path.
    for (const [k, n] of Object.entries(seen)) expect(n, k).toBeGreaterThan(0);
  });

  it('in a clean stream, builds the same 1-minute bars as aggregating the ticks directly, each final as its last 5-second bar arrives', () => {
    fc.assert(
      fc.property(fc.array(tickArb, { minLength: 1, maxLength: 400 }), fc.integer({ min: 0, max: MIN - 1 }), (steps, offset) => {
        const ticks = ticksFrom(steps, offset);
        const { clock, sink, agg } = setup();
        for (const b of barsFromTicks(ticks, 5_000)) {
          clock.advanceTo(Math.max(clock.now(), b.time + 5_000));
          agg.push(b);
        }
        clock.advance(MIN + GRACE);
        const finals = sink.published.filter((p) => p.final);
        expect(sink.published.some((p) => p.revised)).toBe(false);
        const direct = barsFromTicks(ticks, MIN);
        expect(finals.map((p) => p.bar.time)).toEqual(direct.map((b) => b.time));
        finals.forEach(({ bar: b }, i) => {
          const d = direct[i]!;
          expect({ ...b, wap: 0 }).toEqual({ ...d, wap: 0 });
          expect(b.wap).toBeCloseTo(d.wap, 9);
        });
        expect(agg.stats).toMatchObject({ dropped: 0, duplicates: 0, revisions: 0 });
      }),
      { numRuns: 300 },
    );
  });

  it('publishes the forming minute on every 5-second bar and closes it with its :55 bar', () => {
    const { clock, sink, agg } = setup();
    agg.push(bar(T0, 10, { volume: 100, wap: 10 }));
    agg.push(bar(T0 + 5_000, 12, { low: 9, volume: 300, wap: 11 }));
    expect(sink.published.map((p) => [p.bar.close, p.final, p.revised])).toEqual([
      [10, false, false],
      [12, false, false],
    ]);
    expect(sink.published[1]!.bar).toEqual({ time: T0, open: 10, high: 12, low: 9, close: 12, volume: 400, wap: (10 * 100 + 11 * 300) / 400, count: 2 });
    clock.advanceTo(T0 + MIN);
    agg.push(bar(T0 + 55_000, 11));
    expect(sink.published.at(-1)).toMatchObject({ final: true, revised: false, bar: { close: 11, volume: 500, count: 3 } });
    expect(clock.pending()).toBe(0);
  });

  it('closes a minute when a bar of a later minute arrives, or when the clock passes its end plus the grace', () => {
    const { clock, sink, agg } = setup();
    agg.push(bar(T0 + 10_000, 10));
    clock.advanceTo(T0 + MIN + 5_000);
    agg.push(bar(T0 + MIN, 11));
    expect(sink.published.map((p) => [p.bar.time - T0, p.final])).toEqual([
      [0, false],
      [0, true],
      [MIN, false],
    ]);
    // The feed goes quiet: the timer closes the minute at its end + grace, not before.
    clock.advanceTo(T0 + 2 * MIN + GRACE - 1);
    expect(sink.published).toHaveLength(3);
    clock.advance(1);
    expect(sink.published.at(-1)).toMatchObject({ final: true, revised: false, bar: { time: T0 + MIN } });
    expect(agg.stats.timerFinals).toBe(1);
  });

  it('recomputes a final minute from its kept 5-second bars when a late or corrected bar arrives; an identical repeat changes nothing', () => {
    const { clock, sink, agg } = setup();
    agg.push(bar(T0, 10));
    agg.push(bar(T0 + 30_000, 12));
    clock.advanceTo(T0 + MIN + GRACE);
    expect(sink.published.at(-1)).toMatchObject({ final: true, revised: false, bar: { close: 12, volume: 200 } });
    agg.push(bar(T0 + 55_000, 13)); // late
    expect(sink.published.at(-1)).toMatchObject({ final: true, revised: true, bar: { close: 13, high: 13, volume: 300, count: 3 } });
    agg.push(bar(T0 + 30_000, 11, { volume: 50 })); // corrected
    expect(sink.published.at(-1)).toMatchObject({ final: true, revised: true, bar: { close: 13, high: 13, volume: 250 } });
    const n = sink.published.length;
    agg.push(bar(T0 + 30_000, 11, { volume: 50 })); // the same again
    expect(sink.published).toHaveLength(n);
    expect(agg.stats).toMatchObject({ revisions: 2, duplicates: 1 });
  });

  it('fills a skipped minute from a late bar as a revision, and drops (counts, reports) bars older than the window', () => {
    const { clock, sink, agg } = setup({ window: 3 });
    agg.push(bar(T0, 10));
    clock.advanceTo(T0 + 2 * MIN + 5_000);
    agg.push(bar(T0 + 2 * MIN, 12));
    agg.push(bar(T0 + MIN + 20_000, 11)); // minute 1 had no bar until now
    expect(sink.published.at(-1)).toMatchObject({ final: true, revised: true, bar: { time: T0 + MIN, close: 11 } });
    clock.advanceTo(T0 + 3 * MIN + 5_000);
    agg.push(bar(T0 + 3 * MIN, 13)); // window: minutes 1..3
    agg.push(bar(T0 + 5_000, 9)); // minute 0: too old
    expect(sink.drops).toEqual([{ bar: bar(T0 + 5_000, 9), reason: 'too-old' }]);
    expect(agg.stats.dropped).toBe(1);
  });

  it('refuses malformed bars (off the 5-second grid, non-finite, high below low) and sanitises MIDPOINT bars without volume', () => {
    const { sink, agg } = setup();
    agg.push(bar(T0 + 1_000, 10));
    agg.push(bar(T0, Number.NaN));
    agg.push(bar(T0, 10, { high: 9, low: 11 }));
    expect(sink.drops.map((d) => d.reason)).toEqual(['invalid', 'invalid', 'invalid']);
    agg.push(bar(T0, 1.1, { volume: -1, wap: -1, count: -1 }));
    expect(sink.published.at(-1)!.bar).toMatchObject({ volume: 0, wap: 1.1, count: 0 });
  });

  it('closes at once a minute whose first bar arrives after its end + grace, and stops its timer when closed', () => {
    const { clock, sink, agg } = setup();
    clock.advanceTo(T0 + MIN + GRACE + 1);
    agg.push(bar(T0, 10));
    expect(sink.published).toEqual([{ bar: expect.objectContaining({ time: T0 }) as Bar, final: true, revised: false }]);
    agg.push(bar(T0 + 2 * MIN, 10));
    expect(clock.pending()).toBe(1);
    agg.close();
    expect(clock.pending()).toBe(0);
  });
});
