// Portfolio: positions, P&L and equity, DualDesk's own books. The accounting and its rules: docs/ACCOUNTING.md.
export { applyToLot, cashFlowOf, QUANTITY_EPSILON, unrealizedOf } from './accounting';
export type { Lot, LotChange } from './accounting';
export { markOfQuote } from './books';
export { Portfolio } from './portfolio';
export type { PortfolioOptions } from './portfolio';
export { PortfolioInputError } from './types';
export type { DayRecord, Discrepancy, EquityHigh, FillOutcome, InstrumentInfo, PortfolioMemory, SyncReport } from './types';
