import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EmaEngine, MarketDataSettingsError, parseMarketDataSettings } from '../../../src/main/marketdata';
import { textbookEma } from '../../support/ema';
import { TUESDAY_10AM as T0 } from '../../support/fixtures';

const MIN = 60_000;

/**
 * The same EMA in the engine's arithmetic (prev + alpha·(c − prev), the seed sum accumulated in order):
 * the crossover reference uses it so that the sign at exactly 0 compares bit for bit.
 */
function sameArithmeticEma(closes: readonly number[], n: number): number[] {
  const alpha = 2 / (n + 1);
  const out: number[] = [];
  let sum = 0;
  let prev = Number.NaN;
  closes.forEach((c, i) => {
    if (i + 1 <= n) {
      sum += c;
      prev = i + 1 === n ? sum / n : Number.NaN;
    } else prev = prev + alpha * (c - prev);
    out.push(prev);
  });
  return out;
}

/** Reference crossings: the side is sign(fast − slow) once both exist; 0 keeps the previous side; a cross is a change of non-zero side. */
function referenceCrosses(closes: readonly number[], fast: number, slow: number): (-1 | 0 | 1)[] {
  const f = sameArithmeticEma(closes, fast);
  const s = sameArithmeticEma(closes, slow);
  let side = 0;
  return closes.map((_, i) => {
    const d = f[i]! - s[i]!;
    const now = d > 0 ? 1 : d < 0 ? -1 : side;
    const cross = side !== 0 && now !== side ? (now as -1 | 1) : 0;
    side = now;
    return cross;
  });
}

const closeArb = fc.integer({ min: 1, max: 100_000 }).map((c) => c / 100);
const periodsArb = fc.uniqueArray(fc.integer({ min: 2, max: 30 }), { minLength: 2, maxLength: 4 }).map((p) => [...p].sort((a, b) => a - b));

function expectClose(actual: number, expected: number | undefined): void {
  if (expected === undefined) expect(actual).toBeNaN();
  else expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)));
}

describe('EMA engine', () => {
  it('matches the textbook EMA for every period, seeded with the simple average of the first n closes', () => {
    fc.assert(
      fc.property(fc.array(closeArb, { minLength: 1, maxLength: 200 }), periodsArb, fc.integer({ min: 2, max: 40 }), (closes, periods, capacity) => {
        const ema = new EmaEngine({ periods, capacity });
        closes.forEach((c, i) => expect(ema.commit(T0 + i * MIN, c)).toBe(Math.min(i, capacity - 1)));
        expect(ema.length).toBe(Math.min(closes.length, capacity));
        periods.forEach((n, k) => {
          const ref = textbookEma(closes, n);
          for (let i = 0; i < ema.length; i++) expectClose(ema.valueAt(i, k), ref[closes.length - ema.length + i]);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('gives a provisional value equal to committing the forming close, without committing it', () => {
    fc.assert(
      fc.property(fc.array(closeArb, { minLength: 0, maxLength: 60 }), closeArb, periodsArb, (closes, forming, periods) => {
        const ema = new EmaEngine({ periods, capacity: 12 });
        closes.forEach((c, i) => ema.commit(T0 + i * MIN, c));
        const out = new Float64Array(periods.length);
        const any = ema.provisional(forming, out);
        periods.forEach((n, k) => expectClose(out[k]!, textbookEma([...closes, forming], n).at(-1)));
        expect(any).toBe(closes.length + 1 >= periods[0]!);
        expect(ema.length).toBe(Math.min(closes.length, 12));
      }),
      { numRuns: 200 },
    );
  });

  it('reports the crossings of a reference computation on final closes', () => {
    fc.assert(
      fc.property(fc.array(closeArb, { minLength: 1, maxLength: 300 }), periodsArb, (closes, periods) => {
        const fast = periods[0]!;
        const slow = periods.at(-1)!;
        const ema = new EmaEngine({ periods, signal: { fast, slow }, capacity: 5 });
        const crosses = closes.map((c, i) => {
          ema.commit(T0 + i * MIN, c);
          return ema.lastCross;
        });
        expect(crosses).toEqual(referenceCrosses(closes, fast, slow));
      }),
      { numRuns: 300 },
    );
  });

  it('does not cross on a touch: fast − slow at exactly 0 keeps the side; going through 0 signals once, on the far side', () => {
    // Periods 3 and 7 (alphas 1/2 and 1/4) on integer closes: every value is exact in binary.
    const run = (closes: number[]) => {
      const ema = new EmaEngine({ periods: [3, 7], signal: { fast: 3, slow: 7 }, capacity: 20 });
      return closes.map((c, i) => {
        ema.commit(T0 + i * MIN, c);
        const at = ema.length - 1;
        return { diff: ema.valueAt(at, 0) - ema.valueAt(at, 1), side: ema.sideAt(at), cross: ema.lastCross };
      });
    };
    const flat = [8, 8, 8, 8, 8, 8, 8];
    // Equal at the seed (no side yet), fast above (the first side: not a cross), a touch at 9 = 9, back above.
    const touch = run([...flat, 16, 6, 10]);
    expect(touch.slice(6).map((r) => [r.diff, r.side, r.cross])).toEqual([
      [0, 0, 0],
      [2, 1, 0],
      [0, 1, 0],
      [0.25, 1, 0],
    ]);
    // Through 0: the touch keeps the side, the next minute below is the one bearish cross.
    const through = run([...flat, 16, 6, 2, 4]);
    expect(through.slice(8).map((r) => [r.diff, r.side, r.cross])).toEqual([
      [0, 1, 0],
      [-1.75, -1, -1],
      [-1.6875, -1, 0],
    ]);
    expect(referenceCrosses([...flat, 16, 6, 2, 4], 3, 7)).toEqual(through.map((r) => r.cross));
  });

  it('recomputes from a revised or late minute to equal the reference over the corrected closes, and crossings alternate', () => {
    const opArb = fc.oneof(
      fc.record({ kind: fc.constant('append' as const), gap: fc.integer({ min: 1, max: 3 }), close: closeArb }),
      fc.record({ kind: fc.constant('revise' as const), back: fc.nat(), close: closeArb }),
      fc.record({ kind: fc.constant('fill' as const), back: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 150 }), periodsArb, fc.integer({ min: 3, max: 14 }), closeArb, (ops, periods, capacity, fillClose) => {
        const fast = periods[0]!;
        const slow = periods.at(-1)!;
        const ema = new EmaEngine({ periods, signal: { fast, slow }, capacity });
        const closes = new Map<number, number>(); // minute → close, the truth
        let last = -1;
        let latestSide = 0;
        const emitted: number[] = [];
        for (const op of ops) {
          const kept = Array.from({ length: ema.length }, (_, i) => ema.timeAt(i));
          let changed: number;
          if (op.kind === 'append') {
            last += op.gap;
            closes.set(last, op.close);
            changed = ema.commit(T0 + last * MIN, op.close);
            expect(changed).toBe(ema.length - 1);
          } else if (op.kind === 'revise') {
            if (kept.length === 0) continue;
            const t = kept[kept.length - 1 - (op.back % kept.length)]!;
            const minute = (t - T0) / MIN;
            const same = closes.get(minute) === op.close;
            closes.set(minute, op.close);
            changed = ema.commit(t, op.close);
            if (same) expect(changed).toBe(-1);
            else expect(ema.timeAt(changed)).toBe(t);
          } else {
            // A minute missing between two kept ones arrives late.
            const holes: number[] = [];
            for (let i = 1; i < kept.length; i++) for (let t = kept[i - 1]! + MIN; t < kept[i]!; t += MIN) holes.push(t);
            if (holes.length === 0) continue;
            const t = holes[op.back % holes.length]!;
            closes.set((t - T0) / MIN, fillClose);
            changed = ema.commit(t, fillClose);
            expect(changed).toBeGreaterThanOrEqual(0);
            expect(ema.timeAt(changed)).toBe(t);
          }
          if (ema.lastCross !== 0) emitted.push(ema.lastCross);
          // A cross is reported exactly when the latest minute's side changed from one side to the other.
          const side = ema.sideAt(ema.length - 1);
          expect(ema.lastCross).toBe(side !== latestSide && side !== 0 && latestSide !== 0 ? side : 0);
          latestSide = side;
          // Every kept minute equals the reference over all the closes as they now stand.
          const minutes = [...closes.keys()].sort((a, b) => a - b);
          const series = minutes.map((m) => closes.get(m)!);
          expect(ema.length).toBe(Math.min(minutes.length, capacity));
          const offset = minutes.length - ema.length;
          for (let i = 0; i < ema.length; i++) expect(ema.timeAt(i)).toBe(T0 + minutes[offset + i]! * MIN);
          periods.forEach((n, k) => {
            const ref = sameArithmeticEma(series, n);
            for (let i = 0; i < ema.length; i++)
              expect(Object.is(ema.valueAt(i, k), ref[offset + i]) || Math.abs(ema.valueAt(i, k) - ref[offset + i]!) <= 1e-9 * ref[offset + i]!).toBe(true);
          });
          const f = sameArithmeticEma(series, fast);
          const sl = sameArithmeticEma(series, slow);
          let refSide = 0;
          const refSides = series.map((_, i) => (refSide = f[i]! - sl[i]! > 0 ? 1 : f[i]! - sl[i]! < 0 ? -1 : refSide));
          for (let i = 0; i < ema.length; i++) expect(ema.sideAt(i)).toBe(refSides[offset + i]);
        }
        for (let i = 1; i < emitted.length; i++) expect(emitted[i]).not.toBe(emitted[i - 1]);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses bad periods and signals', () => {
    expect(() => new EmaEngine({ periods: [1, 5], capacity: 4 })).toThrow(/at least 2/);
    expect(() => new EmaEngine({ periods: [2.5], capacity: 4 })).toThrow(/integer/);
    expect(() => new EmaEngine({ periods: [5, 5], capacity: 4 })).toThrow(/distinct/);
    expect(() => new EmaEngine({ periods: [5, 9], signal: { fast: 9, slow: 5 }, capacity: 4 })).toThrow(/below the slow/);
    expect(() => new EmaEngine({ periods: [5, 9], signal: { fast: 5, slow: 21 }, capacity: 4 })).toThrow(/among the EMA periods/);
  });
});

describe('market data settings', () => {
  it('defaults to EMAs 9 and 21 with their crossover, a 10 s grace and 10 minutes for revisions', () => {
    expect(parseMarketDataSettings()).toEqual({
      emaPeriods: [9, 21],
      signal: { fast: 9, slow: 21 },
      finalizeGraceMs: 10_000,
      revisionWindowMinutes: 10,
      chartBars: 1_440,
      sharedHistoryBars: 240,
      historyMinutes: 63,
    });
    expect(parseMarketDataSettings({ emaPeriods: [50, 5, 20] })).toMatchObject({ emaPeriods: [5, 20, 50], signal: { fast: 5, slow: 50 }, historyMinutes: 150 });
    expect(parseMarketDataSettings({ emaPeriods: [5], signal: false }).signal).toBeUndefined();
  });

  it('names every bad field', () => {
    const bad = () => parseMarketDataSettings({ emaPeriods: [1, 9, 9.5], signal: { fast: 21, slow: 9 }, finalizeGraceMs: -1 });
    expect(bad).toThrow(MarketDataSettingsError);
    expect(bad).toThrow(/marketData\.emaPeriods\.0: must be at least 2/);
    expect(bad).toThrow(/marketData\.emaPeriods\.2: must be an integer/);
    expect(bad).toThrow(/marketData\.finalizeGraceMs/);
    expect(() => parseMarketDataSettings({ emaPeriods: [9, 21], signal: { fast: 21, slow: 9 } })).toThrow(/marketData\.signal: fast \(21\) must be below slow \(9\)/);
    expect(() => parseMarketDataSettings({ emaPeriods: [9, 21], signal: { fast: 5, slow: 21 } })).toThrow(/marketData\.signal\.fast: must be one of the EMA periods \(9, 21\)/);
    expect(() => parseMarketDataSettings({ emaPeriod: [9] })).toThrow(/Unrecognized key/);
  });
});
