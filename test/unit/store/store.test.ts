import { copyFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { checkWalHeader, MIGRATIONS, openStore, storeFile, StoreError } from '../../../src/main/store';
import { tempDir } from '../../support/fs';

describe('store', () => {
  it('keeps paper and live in separate files', () => {
    const dir = tempDir();
    expect(storeFile(dir, 'paper')).not.toBe(storeFile(dir, 'live'));
    const paper = openStore(storeFile(dir, 'paper'), 'paper');
    const live = openStore(storeFile(dir, 'live'), 'live');
    expect(paper.file).not.toBe(live.file);
    paper.close();
    live.close();
  });

  it('opens in WAL mode with full sync, owner-only, with every migration applied once', () => {
    const file = storeFile(tempDir(), 'paper');
    const store = openStore(file, 'paper');
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    store.close();
    const again = openStore(file, 'paper');
    const applied = again.db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
    expect(applied).toEqual(MIGRATIONS.map((m) => m.version));
    again.close();
  });

  it('refuses to open a paper database in live mode (and the reverse)', () => {
    const dir = tempDir();
    const file = join(dir, 'copied.db');
    openStore(file, 'paper').close();
    expect(() => openStore(file, 'live')).toThrow(StoreError);
    expect(() => openStore(file, 'live')).toThrow(/holds paper trading state and cannot be opened in live mode/);
  });

  it('applies a migration that landed below one already applied (branches merged out of order)', () => {
    const file = storeFile(tempDir(), 'paper');
    const base = MIGRATIONS.filter((m) => m.version <= 2);
    const later = { version: 9, name: 'later', sql: 'CREATE TABLE later_one (x INTEGER) STRICT;' };
    const between = { version: 8, name: 'between', sql: 'CREATE TABLE between_one (x INTEGER) STRICT;' };
    openStore(file, 'paper', { migrations: [...base, later] }).close();
    const store = openStore(file, 'paper', { migrations: [...base, between, later] });
    expect(store.db.prepare('SELECT version FROM schema_migrations ORDER BY version').all()).toEqual([1, 2, 8, 9].map((version) => ({ version })));
    expect(() => store.db.prepare('SELECT x FROM between_one').all()).not.toThrow();
    store.close();
  });

  it('refuses a database written by a newer schema', () => {
    const file = storeFile(tempDir(), 'paper');
    const newer = [...MIGRATIONS, { version: 999, name: 'future', sql: 'CREATE TABLE future (x INTEGER) STRICT' }];
    openStore(file, 'paper', { migrations: newer }).close();
    expect(() => openStore(file, 'paper')).toThrow(/schema version 999 is newer than this DualDesk knows/);
  });

  it('rolls back a failing migration entirely', () => {
    const file = storeFile(tempDir(), 'paper');
    const broken = [...MIGRATIONS, { version: 2, name: 'broken', sql: 'CREATE TABLE half (x INTEGER); SELECT * FROM no_such_table;' }];
    expect(() => openStore(file, 'paper', { migrations: broken })).toThrow(/no such table/);
    const store = openStore(file, 'paper');
    expect(store.db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get()).toBeUndefined();
    store.close();
  });

  it('asks before setting up a database with no tables (missing, zero-length, or its log lost), and a refusal leaves it new', () => {
    const file = storeFile(tempDir(), 'paper');
    writeFileSync(file, '');
    const refuse = () => {
      throw new StoreError('history says otherwise');
    };
    expect(() => openStore(file, 'paper', { whenNew: refuse })).toThrow('history says otherwise');
    expect(() => openStore(file, 'paper', { whenNew: refuse })).toThrow('history says otherwise');
    let asked = 0;
    openStore(file, 'paper', { whenNew: () => void asked++ }).close();
    // Once set up it is no longer new.
    openStore(file, 'paper', { whenNew: refuse }).close();
    expect(asked).toBe(1);
  });

  it('refuses a file SQLite cannot read, naming it', () => {
    const file = storeFile(tempDir(), 'paper');
    writeFileSync(file, Buffer.alloc(8192, 7));
    expect(() => openStore(file, 'paper')).toThrow(`cannot open the paper trading database ${file}: file is not a database`);
  });

  it('refuses a damaged database (quick_check)', () => {
    const file = storeFile(tempDir(), 'paper');
    const store = openStore(file, 'paper');
    store.close();
    // A freelist that points past the end of the file: SQLite opens it without a word, quick_check does not.
    const bytes = readFileSync(file);
    bytes.writeUInt32BE(bytes.length / bytes.readUInt16BE(16) + 5, 32);
    bytes.writeUInt32BE(1, 36);
    writeFileSync(file, bytes);
    expect(() => openStore(file, 'paper')).toThrow(/paper\.db is damaged \(SQLite quick_check: Freelist: invalid page number \d+\); restore it from a backup$/);
  });

  it('refuses a SQLite database that is not DualDesk’s', () => {
    const file = join(tempDir(), 'other.db');
    const other = new BetterSqlite3(file);
    other.exec('CREATE TABLE photos (id INTEGER PRIMARY KEY)');
    other.close();
    expect(() => openStore(file, 'paper')).toThrow(`${file} is not a DualDesk database (it holds photos)`);
  });

  it('refuses a write-ahead log with a damaged header, and reads one left by a crash', () => {
    const dir = tempDir();
    const file = storeFile(dir, 'paper');
    const store = openStore(file, 'paper');
    store.db.prepare("INSERT INTO desk_meta (key, value) VALUES ('survives', 'yes')").run();
    // A copy taken while it is open is what a crash leaves: the transactions are still in the -wal.
    const crashed = join(dir, 'crashed.db');
    copyFileSync(file, crashed);
    copyFileSync(`${file}-wal`, `${crashed}-wal`);
    store.close();
    expect(() => checkWalHeader(crashed)).not.toThrow();
    const damaged = join(dir, 'damaged.db');
    copyFileSync(crashed, damaged);
    const wal = readFileSync(`${crashed}-wal`);
    wal.writeUInt32BE(wal.readUInt32BE(12) ^ 1, 12); // one bit of the checkpoint sequence number
    writeFileSync(`${damaged}-wal`, wal);
    expect(() => openStore(damaged, 'paper')).toThrow(`${damaged}-wal is damaged (its header is not a valid SQLite write-ahead log)`);
    const reopened = openStore(crashed, 'paper');
    expect(reopened.db.prepare("SELECT value FROM desk_meta WHERE key = 'survives'").pluck().get()).toBe('yes');
    reopened.close();
  });
});
