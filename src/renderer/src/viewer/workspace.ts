// The trader's workspace as the desk publishes it on the `workspace` topic: the watchlist and the
// charted instrument. Checked here, at the viewer's boundary: a desk that does not publish it (an
// older one) or publishes something else leaves the viewer on the instruments its quotes name.
import { z } from 'zod';

const EntrySchema = z.object({
  word: z.string().max(64),
  instrument: z.object({ symbol: z.string().max(64), secType: z.string().max(8), localSymbol: z.string().max(64).optional(), conId: z.number().int().optional() }),
});

const WorkspaceSchema = z.object({
  watchlist: z.array(EntrySchema).max(1_000),
  chart: z.number().int().nullable(),
  edited: z.number(),
});

export interface SharedWatchItem {
  readonly conId: number;
  /** What the trader calls it (its local symbol, else its symbol). */
  readonly symbol: string;
}

export interface SharedWorkspace {
  readonly watchlist: readonly SharedWatchItem[];
  readonly chart: number | null;
}

/** The workspace in the viewer's terms (entries the venue has not resolved to a contract are left out), or undefined if it is not one. */
export function parseWorkspace(data: unknown): SharedWorkspace | undefined {
  const parsed = WorkspaceSchema.safeParse(data);
  if (!parsed.success) return undefined;
  const watchlist: SharedWatchItem[] = [];
  for (const e of parsed.data.watchlist) {
    if (e.instrument.conId === undefined) continue;
    watchlist.push({ conId: e.instrument.conId, symbol: e.instrument.localSymbol || e.instrument.symbol || e.word });
  }
  return { watchlist, chart: parsed.data.chart };
}
