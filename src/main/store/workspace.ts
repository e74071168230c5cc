import { InstrumentSpecSchema, type WatchlistEntry, type Workspace } from '../../shared';
import type { Database } from './database';

/**
 * The trader's workspace in the mode's database: the watchlist in the trader's order and the charted
 * instrument. Written whole, in one transaction, at every change (a watchlist is a few hundred rows at most).
 */
export class WorkspaceRepository {
  private readonly getHead;
  private readonly getEntries;
  private readonly putHead;
  private readonly clearEntries;
  private readonly putEntry;
  private readonly write;

  constructor(db: Database) {
    this.getHead = db.prepare<[], { chart: number | null; edited: number; revision: number }>('SELECT chart, edited, revision FROM workspace WHERE id = 1');
    this.getEntries = db.prepare<[], { word: string; instrument: string }>('SELECT word, instrument FROM watchlist ORDER BY position');
    this.putHead = db.prepare(
      `INSERT INTO workspace (id, chart, edited, revision) VALUES (1, @chart, @edited, @revision)
       ON CONFLICT (id) DO UPDATE SET chart = excluded.chart, edited = excluded.edited, revision = excluded.revision`,
    );
    this.clearEntries = db.prepare('DELETE FROM watchlist');
    this.putEntry = db.prepare('INSERT INTO watchlist (position, word, instrument) VALUES (?, ?, ?)');
    this.write = db.transaction((w: Workspace) => {
      // Rows this version cannot read (a newer DualDesk's) are kept, after the list: the trader's, not ours to drop.
      const unreadable = this.getEntries.all().filter((row) => readEntry(row) === undefined);
      this.clearEntries.run();
      w.watchlist.forEach((e, i) => this.putEntry.run(i, e.word, JSON.stringify(e.instrument)));
      unreadable.forEach((row, i) => this.putEntry.run(w.watchlist.length + i, row.word, row.instrument));
      this.putHead.run({ chart: w.chart, edited: w.edited, revision: w.revision });
    });
  }

  /** The workspace as last saved, or undefined when this database never had one (a new desk). */
  load(): Workspace | undefined {
    const head = this.getHead.get();
    if (!head) return undefined;
    const watchlist: WatchlistEntry[] = [];
    for (const row of this.getEntries.all()) {
      // A row this version cannot read is skipped rather than refusing the whole workspace (and kept by save).
      const entry = readEntry(row);
      if (entry) watchlist.push(entry);
    }
    return { watchlist, chart: head.chart, edited: head.edited, revision: head.revision };
  }

  /** Replaces the saved workspace; durable before it returns. */
  save(workspace: Workspace): void {
    this.write(workspace);
  }
}

function readEntry(row: { word: string; instrument: string }): WatchlistEntry | undefined {
  const parsed = InstrumentSpecSchema.safeParse(safeJson(row.instrument));
  return parsed.success ? { word: row.word, instrument: withoutUndefined(parsed.data) } : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
