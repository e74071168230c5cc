// Risk as the UI and viewers see it: alerts as a limit is approached or hit, and the trading state.
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
