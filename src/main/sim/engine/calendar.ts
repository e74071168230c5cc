// The account's trading-day boundary: 00:00 America/New_York for every instrument (a simplification:
// IB rolls each product at its own session close; one boundary keeps daily P&L easy to reason about).
import { DAY_MS, localTime, localToUtc } from '../../clock';

const ZONE = 'America/New_York';

/** The New York calendar date of `ms`, 'YYYY-MM-DD' (sorts like time). */
export function tradingDayKey(ms: number): string {
  return new Date(localTime(ZONE, ms).dayNum * DAY_MS).toISOString().slice(0, 10);
}

/** Epoch ms of 00:00 New York time on the day containing `ms` (DST switches at 02:00, so midnight is unambiguous). */
export function tradingDayStart(ms: number): number {
  return localToUtc(ZONE, localTime(ZONE, ms).dayNum, 0);
}
