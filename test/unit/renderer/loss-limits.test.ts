// The Account & risk bars: the percent beside a money limit is that money's percent, whichever limit binds.
import { describe, expect, it } from 'vitest';
import { dailyMeasure, drawdownMeasure } from '../../../src/renderer/src/desk/loss-limits';
import { defaultRiskLimits, type EquitySnapshot, type RiskStatus } from '../../../src/shared';

const equity = (over: Partial<EquitySnapshot> = {}): EquitySnapshot => ({ equity: 99_500, dailyStartEquity: 100_000, maxEquityEver: 100_000, ...over }) as EquitySnapshot;
const status = (limits: Partial<RiskStatus['limits']>): RiskStatus =>
  ({ dailyLossPct: 0.5, drawdownPct: 0.5, limits: { ...defaultRiskLimits('paper'), ...limits } }) as unknown as RiskStatus;

describe('loss limits in the trader’s words', () => {
  it('gives the absolute daily limit its own percent when it binds (1,000 of 100,000 is 1 %, not the 5 % limit)', () => {
    const m = dailyMeasure(status({ dailyLossPct: 5, dailyLossAmount: 1_000 }), equity());
    expect(m.limitMoney).toBe(1_000);
    expect(m.limitPct).toBeCloseTo(1, 10);
    expect(m.usedMoney).toBe(500);
  });

  it('keeps the percent limit and its money when the percent binds', () => {
    const m = dailyMeasure(status({ dailyLossPct: 2, dailyLossAmount: 10_000 }), equity());
    expect(m.limitMoney).toBe(2_000);
    expect(m.limitPct).toBeCloseTo(2, 10);
    expect(dailyMeasure(status({ dailyLossPct: 2, dailyLossAmount: null }), equity()).limitPct).toBeCloseTo(2, 10);
  });

  it('falls back to percent alone without an equity, and measures the drawdown from the high', () => {
    expect(dailyMeasure(status({ dailyLossPct: 5, dailyLossAmount: 1_000 }), undefined)).toEqual({ usedPct: 0.5, limitPct: 5 });
    const d = drawdownMeasure(status({ maxDrawdownPct: 10 }), equity({ maxEquityEver: 120_000 }));
    expect(d.limitMoney).toBe(12_000);
    expect(d.limitPct).toBeCloseTo(10, 10);
    expect(d.usedMoney).toBe(20_500);
  });
});
