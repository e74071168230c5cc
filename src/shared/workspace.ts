// The trader's workspace: the watchlist and the charted instrument. It belongs to the desk (the mode's
// database), so every window, the headless desk and every viewer see the same one.
import type { InstrumentSpec, SecurityType } from './market';

export interface WatchlistEntry {
  /** The symbol as the trader typed it (AAPL, EUR.USD). */
  readonly word: string;
  /** What the venue resolved it to: conId set, so the entry names exactly one contract. */
  readonly instrument: InstrumentSpec;
}

export interface Workspace {
  readonly watchlist: readonly WatchlistEntry[];
  /** The conId charted, or null for none. */
  readonly chart: number | null;
  /** When the trader last changed it (epoch ms); 0 when never edited (the defaults). */
  readonly edited: number;
  /** Counts the desk's saves of it, only ever up (a clock stepping back does not): a window keeps the highest. */
  readonly revision: number;
}

/** More lines than a trader reads, and than the venue's market data lines allow. */
export const MAX_WATCHLIST = 200;

/** A new desk's watchlist (resolved by the venue when the desk starts). */
export const DEFAULT_WATCHLIST: readonly { readonly symbol: string; readonly secType: SecurityType }[] = [
  { symbol: 'AAPL', secType: 'STK' },
  { symbol: 'MSFT', secType: 'STK' },
  { symbol: 'SPY', secType: 'STK' },
];
