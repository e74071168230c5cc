/**
 * Portfolio: positions, P&L and equity, DualDesk's own books, seeded from and cross-checked against
 * the venue.
 *
 * Accounting: AVERAGE COST, per instrument (conId).
 * - Opening or adding moves the average price (quantity-weighted mean of the open quantity's fill
 *   prices). Reducing realizes (price − average) × quantity × multiplier, signed by the side (shorts
 *   gain when the price falls). A fill through zero closes the old position (realizing) and opens the
 *   remainder at its price. Partial fills are just fills.
 * - Commissions are NOT in the average price (IB's averageCost includes them; ours does not). They are
 *   tracked per position and in total, and come out of cash. A commission reported after its fill
 *   (`applyCommission`) replaces what the fill carried; one reported before its fill waits for it.
 * - realizedPnl is before commissions; EquitySnapshot.totalPnl = equity − dailyStartEquity, so it
 *   includes realized, the change in unrealized and commissions.
 * - Positions seeded from the venue start from its basis: averageCost / multiplier (which includes
 *   the opening commissions, as IB reports it).
 *
 * Marks: a quote's last trade price, else the mid of bid and ask (FX has no last). Taken from the
 * bus's `md.quote.*` (marksFromBus, default) and/or `mark(conId, price)`. A fill marks an instrument
 * that has no mark yet at its price. unrealizedPnl = (mark − avgPrice) × quantity × multiplier.
 *
 * Equity = cash + Σ market value (quantity × mark × multiplier). Cash is seeded at the first sync as
 * the venue's NetLiquidation minus the venue's market value of its positions (Σ quantity ×
 * averageCost + UnrealizedPnL) — TotalCashValue less futures' notional when those figures are
 * missing — and then moves with every fill (−signed quantity × price × multiplier) and commission.
 * Futures are thus carried at notional on both sides (cash and market value): equity is the same as
 * with variation margin, but `cashBalance()` is not the venue's TotalCashValue when futures are held.
 * Until a seeded position has a mark it is worth the venue's cost plus its share of the venue's
 * UnrealizedPnL, so equity equals NetLiquidation at the sync instead of jumping when quotes arrive.
 *
 * The trading day rolls at 17:00 America/New_York (configurable); the weekend belongs to Monday.
 * dailyStartEquity is the equity at the first sync of the trading day (or at the roll, when DualDesk
 * runs through it). Daily min/max and the all-time high are updated on every equity change (each
 * mark), not only when published. The day's start, min, max, realized P&L, commissions, trades and
 * last trade time, and the all-time high, are in SQLite (migration 5): written at once on fills,
 * syncs and rolls, and at most every second for anchor moves from marks. A restart mid-day resumes
 * the day's row. Per-position realized P&L and commissions are for the day too (reset at the roll),
 * but cover only the fills this process applied.
 *
 * Publishing: `position.<topicWord(localSymbol or symbol)>` (Position) and `equity` (EquitySnapshot).
 * Fills, commissions, syncs and the day roll publish at once; marks at most one `equity` and one
 * `position.<word>` per position every publishIntervalMs (250 ms): the first at once, the rest
 * coalesced into one trailing publish with the latest values.
 *
 * The venue (attachVenue, or call sync / venuePosition / venueAccountValue):
 * - First sync: positions and cash seeded; executions in the snapshot are already in them and are
 *   not applied again when they arrive as fills ('reflected'); fills handed over before it are held.
 * - Every later sync: quantities compared, allowing for the snapshot's executions that have not yet
 *   arrived as fills; a difference is a discrepancy 'held' (callback + warning, both values): DualDesk's
 *   figure stays until the trader adopts the venue's (`adoptVenue`: the venue is the truth for
 *   holdings; fills since count on top), with cash re-anchored to the venue so equity does not jump by
 *   the value of holdings that changed without fills. The trading core holds trading meanwhile. With
 *   nothing pending, NetLiquidation is compared with equity.
 * - Streamed positions and NetLiquidation are compared after a grace period (2 s; the fill may still
 *   be on its way) and only flagged; they clear when the two agree again.
 *   With the positions agreeing, cash (the venue's in DualDesk's terms, less executions on their way,
 *   against DualDesk's less commissions reported for fills it applied) beyond max(USD 1, 1 bp of
 *   NetLiquidation) is held the same way, and adopted with `adoptVenue`.
 * - Equity tolerance: max(10, 0.1 % of the gross position value), in the base currency.
 *
 * Currencies: every amount is taken to be in the account's base currency (default USD). FX pairs'
 * P&L is in their quote currency (USD for EUR.USD). A position in another currency is summed
 * unconverted, with a warning: the NetLiquidation cross-check will show the difference.
 */
export { applyToLot, cashFlowOf, QUANTITY_EPSILON, unrealizedOf } from './accounting';
export type { Lot, LotChange } from './accounting';
export { markOfQuote, Portfolio } from './portfolio';
export type { PortfolioOptions } from './portfolio';
export { PortfolioInputError } from './types';
export type { DayRecord, Discrepancy, EquityHigh, FillOutcome, InstrumentInfo, PortfolioMemory, SyncReport } from './types';
