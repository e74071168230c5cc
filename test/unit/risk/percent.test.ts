import { describe, expect, it } from 'vitest';
import { finePct } from '../../../src/main/risk';
import { percentDecimals } from '../../../src/shared/percent';

describe('percentages in the trader’s words', () => {
  it('keep 2 decimals from 1 % up and for 0, and enough below 1 % never to read 0.00 % for a value that is not 0', () => {
    expect([4.5, 100, 0, 1].map(percentDecimals)).toEqual([2, 2, 2, 2]);
    expect(finePct(4.5)).toBe('4.50%');
    expect(finePct(0.5)).toBe('0.50%');
    expect(finePct(0.003)).toBe('0.0030%');
    expect(finePct(0.00063157)).toBe('0.00063%');
    expect(finePct(-0.0042)).toBe('-0.0042%');
    // At most 6 decimals: anything smaller is noise on an account.
    expect(finePct(1e-9)).toBe('0.000000%');
    for (const v of [0.9, 0.05, 0.0071, 0.000123]) expect(Number(finePct(v).slice(0, -1))).not.toBe(0);
  });
});
