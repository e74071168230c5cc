import { chmodSync, closeSync, openSync, readSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
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

export interface OpenStoreOptions {
  readonly migrations?: readonly Migration[];
  /** Called before a database with no tables is set up as a new one; throwing refuses it (history says it should not be new). */
  readonly whenNew?: () => void;
}

/**
 * Opens (creating if needed) the database of one trading mode, in WAL mode with full fsync, and
 * brings its schema up to date. A damaged file, a damaged write-ahead log, a file that is not
 * DualDesk's, and one that belongs to the other mode are refused: paper and live must never share
 * state, and trading state must never be silently replaced by an empty one.
 */
export function openStore(file: string, mode: TradingMode, options: OpenStoreOptions = {}): Store {
  checkWalHeader(file);
  let db: Database | undefined;
  try {
    db = new BetterSqlite3(file);
    // Owner-only before the first write: SQLite gives the -wal and -shm files the same mode.
    chmodSync(file, 0o600);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    checkIntegrity(db, file);
    if (isNew(db, file)) options.whenNew?.();
    const schemaVersion = migrate(db, options.migrations ?? MIGRATIONS);
    claimMode(db, file, mode);
    const opened = db;
    return {
      db: opened,
      file,
      mode,
      schemaVersion,
      close: () => {
        if (opened.open) opened.close();
      },
    };
  } catch (err) {
    db?.close();
    // SQLite's and the file system's errors (they carry a code) do not say which file; the others speak for themselves.
    const code = (err as { code?: unknown }).code;
    if (typeof code !== 'string') throw err;
    const hint = /^(SQLITE_READONLY|SQLITE_CANTOPEN|EACCES|EPERM)/.test(code) ? ' (the file and its directory must be writable)' : '';
    throw new StoreError(`cannot open the ${mode} trading database ${file}: ${(err as Error).message}${hint}`, { cause: err });
  }
}

/** SQLite's own check of the file's structure (pages, indexes, constraints), which a bare open does not do. */
function checkIntegrity(db: Database, file: string): void {
  const problems = db.pragma('quick_check', { simple: false }) as { quick_check: string }[];
  // One line: SQLite prefixes its findings with the schema's name and a line break.
  const first = problems[0]?.quick_check.replace('*** in database main ***', '').replace(/\s+/g, ' ').trim();
  if (first !== 'ok')
    throw new StoreError(
      `${file} is damaged (SQLite quick_check: ${first ?? 'no answer'}${problems.length > 1 ? `, and ${problems.length - 1} more` : ''}); restore it from a backup`,
    );
}

/** True for a database with no tables yet; a database with tables must be DualDesk's. */
function isNew(db: Database, file: string): boolean {
  const tables = db.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all();
  if (tables.length === 0) return true;
  if (!tables.includes('schema_migrations') || !tables.includes('desk_meta')) {
    throw new StoreError(`${file} is not a DualDesk database (it holds ${tables.slice(0, 5).join(', ')}${tables.length > 5 ? ', …' : ''})`);
  }
  return false;
}

const WAL_MAGIC_LE = 0x377f0682;
const WAL_MAGIC_BE = 0x377f0683;
const WAL_FORMAT = 3007000;
const WAL_HEADER_BYTES = 32;

/**
 * Refuses a write-ahead log whose header is damaged: SQLite would take it for an empty log and
 * silently drop every transaction in it that was not yet copied into the database.
 */
export function checkWalHeader(file: string): void {
  const wal = `${file}-wal`;
  let header: Buffer;
  try {
    if (statSync(wal).size === 0) return;
    header = Buffer.alloc(WAL_HEADER_BYTES);
    const fd = openSync(wal, 'r');
    try {
      header = header.subarray(0, readSync(fd, header, 0, WAL_HEADER_BYTES, 0));
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new StoreError(`cannot read ${wal}: ${(err as Error).message}`, { cause: err });
  }
  if (!walHeaderValid(header)) {
    throw new StoreError(
      `${wal} is damaged (its header is not a valid SQLite write-ahead log): opening ${basename(file)} would silently drop the transactions in it; ` +
        `restore both files from a backup, or move ${basename(wal)} away to accept that loss`,
    );
  }
}

function walHeaderValid(h: Buffer): boolean {
  if (h.length < WAL_HEADER_BYTES) return false;
  const magic = h.readUInt32BE(0);
  if (magic !== WAL_MAGIC_LE && magic !== WAL_MAGIC_BE) return false;
  const pageSize = h.readUInt32BE(8);
  if (h.readUInt32BE(4) !== WAL_FORMAT || pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return false;
  // SQLite's checksum over the first 24 bytes, in the byte order the magic names.
  const word = (i: number) => (magic === WAL_MAGIC_BE ? h.readUInt32BE(i) : h.readUInt32LE(i));
  let s0 = 0;
  let s1 = 0;
  for (let i = 0; i < 24; i += 8) {
    s0 = (s0 + word(i) + s1) >>> 0;
    s1 = (s1 + word(i + 4) + s0) >>> 0;
  }
  return s0 === h.readUInt32BE(24) && s1 === h.readUInt32BE(28);
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
    throw new StoreError(`database schema version ${current} is newer than this DualDesk knows (${known}); upgrade DualDesk`);
  }
  const applied = new Set(
    db
      .prepare<[], { version: number }>('SELECT version FROM schema_migrations')
      .all()
      .map((r) => r.version),
  );
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
