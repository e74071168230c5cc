import { existsSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';

/** What a stream journal file holds: proof that this mode has run in this data directory before. */
export interface JournalHistory {
  readonly epoch: string;
  readonly messages: number;
  /** The last seq issued: the head mark, which retention never removes (the highest row's seq in a file older than the mark). */
  readonly lastSeq: number;
}

/**
 * Reads a stream journal's history without opening it for writing; undefined when there is none
 * (no file, or a file never given an epoch). A file that cannot be read is an error, not "no history".
 */
export function readJournalHistory(file: string): JournalHistory | undefined {
  if (!existsSync(file)) return undefined;
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
    const tables = new Set(db.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all());
    if (!tables.has('stream_meta')) return undefined;
    const epoch = db.prepare<[], string>("SELECT value FROM stream_meta WHERE key = 'epoch'").pluck().get();
    if (epoch === undefined) return undefined;
    const rows = tables.has('stream_journal')
      ? db.prepare<[], { messages: number; lastSeq: number | null }>('SELECT COUNT(*) AS messages, MAX(seq) AS lastSeq FROM stream_journal').get()
      : undefined;
    const head = db.prepare<[], string>("SELECT value FROM stream_meta WHERE key = 'head'").pluck().get();
    return { epoch, messages: rows?.messages ?? 0, lastSeq: Math.max(Number(head ?? 0), rows?.lastSeq ?? 0) };
  } catch (err) {
    throw new Error(`cannot read the stream journal ${file}: ${(err as Error).message}`, { cause: err });
  } finally {
    db?.close();
  }
}
