// The market data hub's settings, validated once at the boundary.
import { z } from 'zod';
import { DEFAULT_FINALIZE_GRACE_MS, DEFAULT_WINDOW_MINUTES } from './aggregator';

export const MAX_EMA_PERIOD = 1_000;
/** Four hours of minutes: more than the chart shows at first. */
export const SHARED_HISTORY_BARS = 240;

const period = z.number({ error: 'must be a number' }).int('must be an integer').min(2, 'must be at least 2').max(MAX_EMA_PERIOD, `must be at most ${MAX_EMA_PERIOD}`);

export const MarketDataSettingsSchema = z
  .strictObject({
    /** EMA periods in 1-minute bars. */
    emaPeriods: z.array(period).min(1, 'name at least one period').max(8, 'at most 8 periods').default([9, 21]),
    /** The crossover: two of emaPeriods, fast < slow; false for none. Default: the shortest and the longest period. */
    signal: z.union([z.strictObject({ fast: period, slow: period }), z.literal(false)]).optional(),
    /** How long after a minute's end its 1-minute bar is closed when no bar has closed it. */
    finalizeGraceMs: z.number().int().min(0).max(60_000).default(DEFAULT_FINALIZE_GRACE_MS),
    /** Minutes kept for late and revised 5-second bars. */
    revisionWindowMinutes: z.number().int().min(1).max(60).default(DEFAULT_WINDOW_MINUTES),
    /** Final 1-minute bars (and EMA points) kept per instrument for a chart's initial load. */
    chartBars: z.number().int().min(1).max(20_000).default(1_440),
    /** Closed 1-minute bars in md.history.1m.<word> (the chart's history for viewers, who have no command); 0 for none. */
    sharedHistoryBars: z.number().int().min(0).max(1_440).default(SHARED_HISTORY_BARS),
  })
  .superRefine((s, ctx) => {
    if (new Set(s.emaPeriods).size !== s.emaPeriods.length) ctx.addIssue({ code: 'custom', path: ['emaPeriods'], message: 'periods must be distinct' });
    if (s.signal) {
      if (!(s.signal.fast < s.signal.slow)) ctx.addIssue({ code: 'custom', path: ['signal'], message: `fast (${s.signal.fast}) must be below slow (${s.signal.slow})` });
      for (const which of ['fast', 'slow'] as const) {
        if (!s.emaPeriods.includes(s.signal[which]))
          ctx.addIssue({ code: 'custom', path: ['signal', which], message: `must be one of the EMA periods (${s.emaPeriods.join(', ')})` });
      }
    }
  });

export type MarketDataSettingsInput = z.input<typeof MarketDataSettingsSchema>;

export interface MarketDataSettings {
  /** Ascending. */
  readonly emaPeriods: readonly number[];
  readonly signal: { readonly fast: number; readonly slow: number } | undefined;
  readonly finalizeGraceMs: number;
  readonly revisionWindowMinutes: number;
  readonly chartBars: number;
  /** At most chartBars (the history is the tail of the chart's bars). */
  readonly sharedHistoryBars: number;
  /** 1-minute bars of history asked for on subscribe: 3 × the longest period (and at least a day's request). */
  readonly historyMinutes: number;
}

export class MarketDataSettingsError extends Error {
  override readonly name = 'MarketDataSettingsError';
}

/** Validates settings; the error names every bad field. */
export function parseMarketDataSettings(input: unknown = {}): MarketDataSettings {
  const r = MarketDataSettingsSchema.safeParse(input);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `marketData${i.path.length > 0 ? `.${i.path.join('.')}` : ''}: ${i.message}`);
    throw new MarketDataSettingsError(`invalid market data settings:\n  ${problems.join('\n  ')}`);
  }
  const s = r.data;
  const periods = [...s.emaPeriods].sort((a, b) => a - b);
  const longest = periods[periods.length - 1] as number;
  const signal = s.signal === false ? undefined : (s.signal ?? (periods.length >= 2 ? { fast: periods[0] as number, slow: longest } : undefined));
  return {
    emaPeriods: periods,
    signal,
    finalizeGraceMs: s.finalizeGraceMs,
    revisionWindowMinutes: s.revisionWindowMinutes,
    chartBars: s.chartBars,
    sharedHistoryBars: Math.min(s.sharedHistoryBars, s.chartBars),
    historyMinutes: 3 * longest,
  };
}

/**
 * The history request's duration: '1 D' (IB's last day of 1-minute bars; the default EMAs need 63
 * minutes), or enough 390-minute sessions (US regular hours, the shortest usual day) for longer periods.
 */
export function historyDuration(historyMinutes: number): string {
  return `${Math.max(1, Math.ceil(historyMinutes / 390))} D`;
}
