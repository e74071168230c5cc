// What the risk gate's verdict on a ticket depends on besides the ticket: a change here re-checks it.
import type { EquitySnapshot, Position, RiskStatus, TradingMode, VenueStatus } from '../../../shared';

export interface CheckInputs {
  readonly mode: TradingMode;
  readonly venue: VenueStatus | undefined;
  readonly risk: RiskStatus | undefined;
  readonly equity: EquitySnapshot | undefined;
  /** The position in the ticket's instrument (the position limits look at it). */
  readonly position: Position | undefined;
}

/** Equity in steps of about 1 %: a ticking P&L re-checks the ticket only when it moves that far. */
function equityStep(equity: number | undefined): string {
  return equity === undefined || !(equity > 0) ? '-' : String(Math.round(Math.log(equity) / Math.log(1.01)));
}

/** A key that changes when something the verdict depends on does (never on a mere tick of the account). */
export function recheckContext({ mode, venue, risk, equity, position }: CheckInputs): string {
  return JSON.stringify([
    mode,
    venue?.state,
    venue?.synced,
    venue?.armed,
    venue?.trading.allowed,
    venue?.trading.reason,
    risk?.state,
    risk?.reason,
    risk?.killSwitchPending,
    equityStep(equity?.equity),
    position?.quantity ?? 0,
  ]);
}
