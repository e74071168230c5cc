// The pre-trade margin check. Only orders that increase exposure are checked (|position after| > |position|):
// the initial margin of every other position plus that of the position this order would lead to must not
// exceed the Equity with Loan Value. Other working orders are not counted (each order is checked alone).
import type { PaperAccountInternal } from './account';
import { venueErrors } from './errors';
import { initialMarginFor } from './margin';
import type { QuoteState } from './matching';
import type { OrderTicket, VenueError } from './types';

/**
 * The price the resulting position is valued at: the limit for LMT/STP LMT, the stop for STP,
 * the touch it would take for MKT (ask for buys, bid for sells), else the mark.
 */
function referencePrice(ticket: OrderTicket, quote: QuoteState | undefined, mark: number | undefined): number | undefined {
  switch (ticket.orderType) {
    case 'LMT':
    case 'STP LMT':
      return ticket.lmtPrice;
    case 'STP':
      return ticket.auxPrice;
    case 'MKT':
      if (quote !== undefined) return ticket.action === 'BUY' ? quote.tick.ask : quote.tick.bid;
      return mark;
  }
}

/** `remaining`: the quantity still to fill once the order (or modification) is accepted. */
export function buyingPowerError(account: PaperAccountInternal, ticket: OrderTicket, remaining: number, quote: QuoteState | undefined, atMs: number): VenueError | undefined {
  const conId = ticket.instrument.conId;
  const current = account.position(conId)?.quantity ?? 0;
  const after = current + (ticket.action === 'BUY' ? remaining : -remaining);
  if (Math.abs(after) <= Math.abs(current)) return undefined;
  const price = referencePrice(ticket, quote, account.markPrice(conId, atMs));
  // Without any price (no quote yet), the order cannot fill either: it is accepted and waits.
  if (price === undefined) return undefined;
  const initialMargin = account.initialMarginExcept(conId, atMs) + initialMarginFor(ticket.instrument, after, price);
  const equityWithLoan = account.figures(atMs).netLiquidation;
  if (initialMargin > equityWithLoan + 1e-6) return venueErrors.insufficientEquity(equityWithLoan, initialMargin);
  return undefined;
}
