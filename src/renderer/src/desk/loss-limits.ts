// The daily-loss and drawdown bars' numbers: the money limit and the percent beside it always say the same limit.
import type { EquitySnapshot, RiskStatus } from '../../../shared';

/** A loss against its limit, in money (when the equity is known) and in percent. */
export interface LossMeasure {
  readonly usedPct: number;
  readonly limitPct: number;
  readonly usedMoney?: number;
  readonly limitMoney?: number;
}

/**
 * The daily loss against the start-of-day equity. The money limit is the tighter of the % and the
 * absolute one (the core's "whichever first"), and its percent is that money's share of the start equity.
 */
export function dailyMeasure(risk: RiskStatus, equity: EquitySnapshot | undefined): LossMeasure {
  const l = risk.limits;
  if (!equity || !(equity.dailyStartEquity > 0)) return { usedPct: risk.dailyLossPct, limitPct: l.dailyLossPct };
  const byPct = (equity.dailyStartEquity * l.dailyLossPct) / 100;
  const limitMoney = l.dailyLossAmount !== null ? Math.min(byPct, l.dailyLossAmount) : byPct;
  return {
    usedPct: risk.dailyLossPct,
    limitPct: (limitMoney / equity.dailyStartEquity) * 100,
    usedMoney: Math.max(0, equity.dailyStartEquity - equity.equity),
    limitMoney,
  };
}

/** The fall from the equity high, its limit in money and that money's share of the high. */
export function drawdownMeasure(risk: RiskStatus, equity: EquitySnapshot | undefined): LossMeasure {
  const l = risk.limits;
  const high = equity ? Math.max(equity.maxEquityEver, equity.equity) : 0;
  if (!equity || !(high > 0)) return { usedPct: risk.drawdownPct, limitPct: l.maxDrawdownPct };
  const limitMoney = (high * l.maxDrawdownPct) / 100;
  return { usedPct: risk.drawdownPct, limitPct: (limitMoney / high) * 100, usedMoney: high - equity.equity, limitMoney };
}
