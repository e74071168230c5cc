import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { TradingMode } from '../../shared';
import { MIGRATIONS, type Migration } from './migrations';

export type Database = BetterSqlite3.Database;

/** Paper and live each have their own database file in the data directory. */
export function storeFile(dataDir: string, mode: TradingMode): string {
  return join(dataDir, `${mode}.db`);
}

export class StoreError extends Error {
  override readonly name = 'StoreError';
}

export interface Store {
  readonly db: Database;
  readonly file: string;
  readonly mode: TradingMode;
  /** The highest migration applied. */
  readonly schemaVersion: number;
  close(): void;
}

/**
 * Opens (creating if needed) the database of one trading mode, in WAL mode with full fsync, and
 * brings its schema up to date. A file that belongs to the other mode is refused: paper and live
 * must never share state, even when someone copies files around.
 */
export function openStore(file: string, mode: TradingMode, migrations: readonly Migration[] = MIGRATIONS): Store {
  const db = new BetterSqlite3(file);
  try {
    // Owner-only before the first write: SQLite gives the -wal and -shm files the same mode.
    chmodSync(file, 0o600);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    const schemaVersion = migrate(db, migrations);
    claimMode(db, file, mode);
    return {
      db,
      file,
      mode,
      schemaVersion,
      close: () => {
        if (db.open) db.close();
      },
    };
  } catch (err) {
    db.close();
    throw err;
  }
}

function migrate(db: Database, migrations: readonly Migration[]): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY,
             name       TEXT NOT NULL,
             applied_at TEXT NOT NULL
           ) STRICT`);
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  const current = row.v ?? 0;
  const known = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  if (current > known) {
    throw new StoreError(
      `database schema version ${current} is newer than this DualDesk knows (${known}); upgrade DualDesk`,
    );
  }
  const applied = new Set(db.prepare<[], { version: number }>('SELECT version FROM schema_migrations').all().map((r) => r.version));
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  // Every known version not applied yet, in order: one that landed after a higher one is not skipped.
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, new Date().toISOString());
    })();
  }
  return known;
}

function claimMode(db: Database, file: string, mode: TradingMode): void {
  db.prepare("INSERT OR IGNORE INTO desk_meta (key, value) VALUES ('mode', ?)").run(mode);
  const owner = (db.prepare("SELECT value FROM desk_meta WHERE key = 'mode'").get() as { value: string }).value;
  if (owner !== mode) {
    throw new StoreError(`${file} holds ${owner} trading state and cannot be opened in ${mode} mode`);
  }
}
