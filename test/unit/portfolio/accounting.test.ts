import { describe, expect, it } from 'vitest';
import { tradingDayOf } from '../../../src/main/clock';
import { applyToLot, markOfQuote, unrealizedOf, type Lot } from '../../../src/main/portfolio';

/** Applies signed fills in order; returns the lot and the realized total. */
function run(fills: [number, number][], multiplier = 1): { lot: Lot; realized: number; each: number[] } {
  let lot: Lot = { quantity: 0, avgPrice: 0 };
  let realized = 0;
  const each: number[] = [];
  for (const [q, p] of fills) {
    const c = applyToLot(lot, q, p, multiplier);
    lot = c.lot;
    realized += c.realized;
    each.push(c.realized);
  }
  return { lot, realized, each };
}

describe('average-cost accounting', () => {
  it('moves the average on adds (partial fills are just fills) and keeps it on reductions', () => {
    // Two partial fills of one order, then an add.
    const r = run([
      [100, 10],
      [50, 10.3],
      [50, 10.5],
    ]);
    expect(r.lot.quantity).toBe(200);
    expect(r.lot.avgPrice).toBeCloseTo(10.2, 12); // (1000 + 515 + 525) / 200
    expect(r.realized).toBe(0);
    const reduced = applyToLot(r.lot, -80, 11, 1);
    expect(reduced.realized).toBeCloseTo(64, 10); // (11 − 10.2) × 80
    expect(reduced.closed).toBe(80);
    expect(reduced.lot).toEqual({ quantity: 120, avgPrice: r.lot.avgPrice });
  });

  it('closes and reopens at the fill price when a fill crosses zero, both ways', () => {
    const r = run([
      [100, 10],
      [50, 10.3],
      [50, 10.5],
      [-80, 11], // +64
      [-200, 9.7], // closes 120 at −0.5: −60, opens −80 @ 9.7
      [30, 9.5], // short covers 30 at +0.2: +6
      [70, 9.9], // covers 50 at −0.2: −10, opens +20 @ 9.9
    ]);
    expect(r.each.map((x) => Math.round(x * 1e6) / 1e6)).toEqual([0, 0, 0, 64, -60, 6, -10]);
    expect(r.realized).toBeCloseTo(0, 9);
    expect(r.lot.quantity).toBe(20);
    expect(r.lot.avgPrice).toBe(9.9);
  });

  it('realizes short P&L with the sign of the side, and flattens to an average of 0', () => {
    const r = run([
      [-100, 50],
      [-100, 52], // −200 @ 51
    ]);
    expect(r.lot).toEqual({ quantity: -200, avgPrice: 51 });
    expect(unrealizedOf(r.lot, 45, 1)).toBe(1200); // (45 − 51) × −200
    const covered = applyToLot(r.lot, 200, 46, 1);
    expect(covered.realized).toBe(1000); // (46 − 51) × 200 × −1
    expect(covered.lot).toEqual({ quantity: 0, avgPrice: 0 });
  });

  it('scales by the futures multiplier', () => {
    const r = run(
      [
        [2, 5900],
        [1, 5906], // 3 @ 5902
        [-2, 5910], // (5910 − 5902) × 2 × 50 = 800
      ],
      50,
    );
    expect(r.realized).toBe(800);
    expect(r.lot).toEqual({ quantity: 1, avgPrice: 5902 });
    expect(unrealizedOf(r.lot, 5920, 50)).toBe(900);
  });

  it('treats float dust as flat (fractional quantities)', () => {
    const r = run([
      [0.1, 100],
      [0.2, 100],
      [-0.3, 101],
    ]);
    expect(r.lot.quantity).toBe(0);
    expect(r.realized).toBeCloseTo(0.3, 10);
  });
});

describe('marks', () => {
  it('take the last trade, else the mid of bid and ask, else nothing', () => {
    expect(markOfQuote({ conId: 1, bid: 9.9, ask: 10.1, last: 10.05, time: 0 })).toBe(10.05);
    expect(markOfQuote({ conId: 1, bid: 1.0801, ask: 1.0803, time: 0 })).toBeCloseTo(1.0802, 10);
    expect(markOfQuote({ conId: 1, bid: 9.9, time: 0 })).toBeUndefined();
    expect(markOfQuote({ conId: 1, bid: -1, ask: -1, last: 0, time: 0 })).toBeUndefined();
  });
});

describe('the trading day', () => {
  const ny = (y: number, mo: number, d: number, h: number, mi = 0) => {
    // November 2026 is EST (UTC−5); July is EDT (UTC−4).
    const offset = mo >= 4 && mo <= 10 ? 4 : 5;
    return Date.UTC(y, mo - 1, d, h + offset, mi);
  };

  it('rolls at 17:00 New York: the evening belongs to the next day', () => {
    expect(tradingDayOf(ny(2026, 11, 17, 10)).key).toBe('2026-11-17');
    expect(tradingDayOf(ny(2026, 11, 17, 16, 59)).key).toBe('2026-11-17');
    const evening = tradingDayOf(ny(2026, 11, 17, 17));
    expect(evening).toEqual({ key: '2026-11-18', start: ny(2026, 11, 17, 17), end: ny(2026, 11, 18, 17) });
  });

  it('gives the weekend to Monday', () => {
    const monday = { key: '2026-11-23', start: ny(2026, 11, 20, 17), end: ny(2026, 11, 23, 17) };
    expect(tradingDayOf(ny(2026, 11, 20, 17, 30))).toEqual(monday); // Friday evening
    expect(tradingDayOf(ny(2026, 11, 21, 12))).toEqual(monday); // Saturday
    expect(tradingDayOf(ny(2026, 11, 22, 18))).toEqual(monday); // Sunday evening
    expect(tradingDayOf(ny(2026, 11, 20, 16)).key).toBe('2026-11-20'); // Friday afternoon
  });

  it('follows daylight saving time and other rules', () => {
    expect(tradingDayOf(ny(2026, 7, 14, 16, 59)).key).toBe('2026-07-14');
    expect(tradingDayOf(ny(2026, 7, 14, 17)).key).toBe('2026-07-15');
    const midnight = { zone: 'America/New_York', rollMinute: 0 };
    expect(tradingDayOf(ny(2026, 11, 17, 23), midnight)).toEqual({ key: '2026-11-17', start: ny(2026, 11, 17, 0), end: ny(2026, 11, 18, 0) });
  });
});
