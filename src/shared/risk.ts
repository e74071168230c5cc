// Risk as the UI and viewers see it: alerts as a limit is approached or hit, the trading state, the
// limits the trader edits, why the gate refused an order, and the session's challenge.
import { z } from 'zod';
import type { TradingMode } from './mode';
import type { SecurityType } from './market';
import type { TradingState } from './trading';

export const ALERT_SEVERITIES = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** A limit approached or reached (the seed's RISK_ALERT). */
export interface RiskAlert {
  /** Stable, for programs: 'DAILY_LOSS', 'MAX_DRAWDOWN', 'PROFIT_TARGET', 'KILL_SWITCH', ... */
  readonly type: string;
  readonly severity: AlertSeverity;
  readonly title: string;
  /** In the trader's words: 'Daily loss at 4.50% (limit: 5.00%)'. */
  readonly message: string;
  /** The measured value and the limit, in the limit's unit. */
  readonly value?: number;
  readonly limit?: number;
  readonly at: number;
}

/** The trading state changed (ACTIVE / REDUCING / HALTED), and why. */
export interface TradingStateChange {
  readonly state: TradingState;
  readonly previous: TradingState;
  readonly reason: string;
  /** Latched states (a limit hit, the kill switch) stay until the trader re-arms. */
  readonly latched: boolean;
  readonly at: number;
}

// ---------------------------------------------------------------------------------------------------
// Limits

/** A whole number of units per security type: shares (STK), base-currency units (CASH), contracts (FUT). */
const units = (what: string) =>
  z
    .number({ error: `must be a whole number of ${what}` })
    .int(`must be a whole number of ${what}`)
    .positive(`must be at least 1 (${what})`)
    .max(Number.MAX_SAFE_INTEGER, 'is too large');

const perSecType = () =>
  z.strictObject(
    {
      STK: units('shares'),
      CASH: units('base-currency units'),
      FUT: units('contracts'),
    },
    { error: 'must give a value for each security type: { STK, CASH, FUT }' },
  );

const amount = (what: string) =>
  z
    .number({ error: `must be an amount of ${what}` })
    .positive(`must be greater than 0 (${what})`)
    .max(1e15, 'is too large');

const percent = (what: string, max = 100) =>
  z
    .number({ error: `must be a percentage (${what})` })
    .positive(`must be greater than 0 % (${what})`)
    .max(max, `must be at most ${max} % (${what})`);

const millis = (min: number, max: number, what: string) =>
  z
    .number({ error: `must be a number of milliseconds (${what})` })
    .int(`must be a whole number of milliseconds (${what})`)
    .min(min, `must be at least ${min} ms (${what})`)
    .max(max, `must be at most ${max} ms (${what})`);

export const LIMIT_ACTIONS = ['REDUCING', 'HALTED'] as const;
export type LimitAction = (typeof LIMIT_ACTIONS)[number];

/**
 * The limits the trader edits (per trading mode). Amounts are in the account's base currency;
 * quantities in the instrument's units; percentages as 5 for 5 %.
 */
export const RiskLimitsSchema = z.strictObject({
  /** Largest quantity of one order, per security type. */
  maxOrderQuantity: perSecType(),
  /** Largest quantity × price × multiplier of one order. */
  maxOrderNotional: amount('base currency per order'),
  /** Largest absolute position in one instrument after the order (and the same side's working orders) would fill. */
  maxPosition: perSecType(),
  /** Largest Σ |quantity × price × multiplier| over all positions after the order would fill. */
  maxGrossExposure: amount('base currency over all positions'),
  /** Fat-finger band: a limit or stop price at most this far from the last price. */
  priceBandPct: percent('distance from the last price', 50),
  /** At most `maxOrders` orders accepted in any `windowMs`. */
  rateLimit: z.strictObject(
    {
      maxOrders: z
        .number({ error: 'must be a whole number of orders' })
        .int('must be a whole number of orders')
        .min(1, 'must allow at least 1 order')
        .max(1_000, 'must be at most 1000 orders'),
      windowMs: millis(100, 3_600_000, 'rate window'),
    },
    { error: 'must be { maxOrders, windowMs }' },
  ),
  /** An order with the same instrument, side and quantity as one accepted this recently is refused as a duplicate; 0 turns the guard off. */
  duplicateWindowMs: millis(0, 60_000, 'duplicate-order window'),
  /** Loss since the start-of-day equity, as a % of it. */
  dailyLossPct: percent('of start-of-day equity'),
  /** The same in money; whichever is reached first counts. null: no absolute limit. */
  dailyLossAmount: amount('base currency lost in a day').nullable(),
  /** Fall from the highest equity ever, as a % of it. */
  maxDrawdownPct: percent('of the equity high'),
  /** Warn as a loss reaches these fractions of its limit; ascending, each between 0 and 1. */
  warningFractions: z
    .array(z.number({ error: 'must be a fraction between 0 and 1' }).gt(0, 'must be greater than 0').lt(1, 'must be less than 1 (the limit itself is always reported)'), {
      error: 'must be a list of fractions, e.g. [0.8, 0.9]',
    })
    .max(5, 'at most 5 warning levels')
    .refine((fs) => fs.every((f, i) => i === 0 || f > (fs[i - 1] as number)), 'must be in ascending order without repeats'),
  /** What reaching the daily loss or drawdown limit does (latched until the trader re-arms). */
  onLimit: z.enum(LIMIT_ACTIONS, { error: "must be 'REDUCING' or 'HALTED'" }),
  /** Gain since the challenge started, as a % of its start equity, that passes the challenge. null: none. */
  profitTargetPct: percent('gain over the challenge start equity', 1_000).nullable(),
});

export type RiskLimits = z.output<typeof RiskLimitsSchema>;
export type RiskLimitsInput = z.input<typeof RiskLimitsSchema>;

/** Paper is for practice; live is stricter on every limit. The trader edits both. */
export function defaultRiskLimits(mode: TradingMode): RiskLimits {
  if (mode === 'live') {
    return {
      maxOrderQuantity: { STK: 1_000, CASH: 500_000, FUT: 5 },
      maxOrderNotional: 100_000,
      maxPosition: { STK: 5_000, CASH: 2_000_000, FUT: 20 },
      maxGrossExposure: 500_000,
      priceBandPct: 5,
      rateLimit: { maxOrders: 10, windowMs: 10_000 },
      duplicateWindowMs: 2_000,
      dailyLossPct: 5,
      dailyLossAmount: null,
      maxDrawdownPct: 10,
      warningFractions: [0.8, 0.9],
      onLimit: 'HALTED',
      profitTargetPct: null,
    };
  }
  return {
    maxOrderQuantity: { STK: 10_000, CASH: 5_000_000, FUT: 50 },
    maxOrderNotional: 1_000_000,
    maxPosition: { STK: 50_000, CASH: 20_000_000, FUT: 200 },
    maxGrossExposure: 5_000_000,
    priceBandPct: 10,
    rateLimit: { maxOrders: 30, windowMs: 10_000 },
    duplicateWindowMs: 1_000,
    dailyLossPct: 10,
    dailyLossAmount: null,
    maxDrawdownPct: 20,
    warningFractions: [0.8, 0.9],
    onLimit: 'REDUCING',
    profitTargetPct: null,
  };
}

export type RiskLimitsParse = { readonly ok: true; readonly limits: RiskLimits } | { readonly ok: false; readonly problems: readonly string[] };

/** Validates limits; each problem names its field: 'maxOrderNotional: must be greater than 0 (...)'. */
export function parseRiskLimits(input: unknown): RiskLimitsParse {
  const r = RiskLimitsSchema.safeParse(input);
  if (r.success) return { ok: true, limits: r.data };
  const problems = r.error.issues.flatMap((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => `${path === '' ? k : `${path}.${k}`}: is not a risk limit`);
    }
    return [`${path === '' ? 'limits' : path}: ${issue.message}`];
  });
  return { ok: false, problems };
}

/** The unit of a security type's quantities, in the trader's words. */
export function quantityUnit(secType: SecurityType): string {
  return secType === 'STK' ? 'shares' : secType === 'FUT' ? 'contracts' : 'units';
}

// ---------------------------------------------------------------------------------------------------
// Pre-trade decisions

/** Why the risk gate refused an order; stable, for programs. */
export const RISK_REJECT_CODES = [
  'unknown-instrument',
  'invalid-quantity',
  'invalid-price',
  'off-tick',
  'trading-halted',
  'reduce-only',
  'no-reference-price',
  'no-fx-rate',
  'max-order-quantity',
  'max-order-notional',
  'max-position',
  'max-gross-exposure',
  'price-band',
  'rate-limit',
  'duplicate-order',
] as const;
export type RiskRejectCode = (typeof RISK_REJECT_CODES)[number];

export interface RiskAccepted {
  readonly ok: true;
}

export interface RiskRejection {
  readonly ok: false;
  readonly code: RiskRejectCode;
  /** In the trader's words: 'Order notional 120,000 exceeds the limit of 100,000 per order'. */
  readonly reason: string;
}

export type RiskDecision = RiskAccepted | RiskRejection;

/** The order ticket's preview: the gate's verdict, or before it the venue's refusal (`venue-unavailable`) or the stream's (`stream-unavailable`: the screens would not show the order). */
export type OrderPreview = RiskAccepted | RiskRejection | { readonly ok: false; readonly code: 'venue-unavailable' | 'stream-unavailable'; readonly reason: string };

// ---------------------------------------------------------------------------------------------------
// The session's challenge (prop-trading style, the seed's CHALLENGE_STATUS_CHANGED)

export const CHALLENGE_STATUSES = ['ACTIVE', 'PASSED', 'FAILED'] as const;
export type ChallengeStatus = (typeof CHALLENGE_STATUSES)[number];

export const CHALLENGE_REASONS = ['PROFIT_TARGET', 'DAILY_LOSS_LIMIT', 'MAX_DRAWDOWN', 'RESET'] as const;
export type ChallengeReason = (typeof CHALLENGE_REASONS)[number];

export interface ChallengeStatusChange {
  readonly previous: ChallengeStatus;
  readonly status: ChallengeStatus;
  readonly reason: ChallengeReason;
  /** The equity the challenge is measured from (absent until the first equity after a start or reset). */
  readonly startEquity?: number;
  readonly equity?: number;
  readonly at: number;
}

// ---------------------------------------------------------------------------------------------------
// What the UI shows

export interface RiskStatus {
  readonly state: TradingState;
  readonly reason: string;
  readonly latched: boolean;
  readonly since: number;
  /** The trading day the account limits are counted in (the portfolio's day key, 'YYYY-MM-DD'), once equity has been seen. */
  readonly tradingDay?: string;
  /** Daily loss and drawdown as a % (0 when none), from the latest equity. */
  readonly dailyLossPct: number;
  readonly drawdownPct: number;
  /** The daily loss limit was reached this trading day: re-arming waits for the next one. */
  readonly dailyLimitReached: boolean;
  /** The drawdown is at or over its limit. */
  readonly drawdownLimitReached: boolean;
  readonly challenge: ChallengeStatus;
  readonly challengeStartEquity?: number;
  readonly limits: RiskLimits;
  /** A kill switch has not verified flat at the venue yet (it carries on by itself, across restarts); set by the desk. */
  readonly killSwitchPending?: boolean;
}
