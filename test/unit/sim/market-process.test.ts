import { describe, expect, it } from 'vitest';
import { createMarketModel, defaultInstruments, type Bar } from '../../../src/main/sim/market';

// Statistical properties of the price process, measured on 5-second midpoint closes.
const START = Date.UTC(2025, 0, 20, 0, 0);
const DAYS = 4;
const INTERVALS_PER_YEAR_24_7 = (365.25 * 86_400) / 5;

function logReturns(bars: readonly Bar[]): number[] {
  const out: number[] = [];
  for (let k = 1; k < bars.length; k++) {
    const a = bars[k - 1];
    const b = bars[k];
    if (a !== undefined && b !== undefined && b.time - a.time === 5000) out.push(Math.log(b.close / a.close));
  }
  return out;
}

function autocorrelation(xs: readonly number[], lag: number): number {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    const d = (xs[i] ?? 0) - mean;
    den += d * d;
    if (i >= lag) num += d * ((xs[i - lag] ?? 0) - mean);
  }
  return num / den;
}

describe('market price process', () => {
  const instruments = defaultInstruments(['SPY', 'NVDA'], START);
  const model = createMarketModel({ seed: 2024, instruments, tickRate: 1, sessions: 'always', startMs: START, historyDays: DAYS });
  const series = instruments.map((instrument) => ({
    instrument,
    returns: logReturns(model.bars(instrument.conId, { endMs: START, durationMs: DAYS * 86_400_000, barSizeMs: 5000, source: 'MIDPOINT', rthOnly: false })),
  }));

  it('realises the target annualised volatility over trading time', () => {
    for (const { instrument, returns } of series) {
      expect(returns.length).toBeGreaterThan(DAYS * 17_000);
      const variance = returns.reduce((s, r) => s + r * r, 0) / returns.length;
      const annualised = Math.sqrt(variance * INTERVALS_PER_YEAR_24_7);
      expect(annualised / instrument.annualVolatility).toBeGreaterThan(0.8);
      expect(annualised / instrument.annualVolatility).toBeLessThan(1.25);
    }
  });

  it('clusters volatility: absolute returns are positively autocorrelated for many lags', () => {
    for (const { returns } of series) {
      const absolute = returns.map(Math.abs);
      // With ~70 000 returns the standard error of an autocorrelation is ~0.004: i.i.d. returns give ~0.
      const early = [1, 2, 5, 10].map((lag) => autocorrelation(absolute, lag));
      const late = [60, 120].map((lag) => autocorrelation(absolute, lag));
      for (const rho of early) expect(rho).toBeGreaterThan(0.02);
      for (const rho of late) expect(rho).toBeGreaterThan(0.01);
      // Returns themselves are (nearly) uncorrelated: no free lunch in the midpoint.
      expect(Math.abs(autocorrelation(returns, 1))).toBeLessThan(0.1);
    }
  });

  it('has fat tails from jumps and clustering (excess kurtosis)', () => {
    for (const { returns } of series) {
      const variance = returns.reduce((s, r) => s + r * r, 0) / returns.length;
      const kurtosis = returns.reduce((s, r) => s + r ** 4, 0) / returns.length / (variance * variance);
      expect(kurtosis).toBeGreaterThan(3.3);
    }
  });
});
