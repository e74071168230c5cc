import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, openStore, storeFile, StoreError } from '../../src/main/store';
import { tempDir } from '../support/fs';

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
    openStore(file, 'paper', [...base, later]).close();
    const store = openStore(file, 'paper', [...base, between, later]);
    expect(store.db.prepare('SELECT version FROM schema_migrations ORDER BY version').all()).toEqual([1, 2, 8, 9].map((version) => ({ version })));
    expect(() => store.db.prepare('SELECT x FROM between_one').all()).not.toThrow();
    store.close();
  });

  it('refuses a database written by a newer schema', () => {
    const file = storeFile(tempDir(), 'paper');
    const newer = [...MIGRATIONS, { version: 999, name: 'future', sql: 'CREATE TABLE future (x INTEGER) STRICT' }];
    openStore(file, 'paper', newer).close();
    expect(() => openStore(file, 'paper')).toThrow(/schema version 999 is newer than this DualDesk knows/);
  });

  it('rolls back a failing migration entirely', () => {
    const file = storeFile(tempDir(), 'paper');
    const broken = [...MIGRATIONS, { version: 2, name: 'broken', sql: 'CREATE TABLE half (x INTEGER); SELECT * FROM no_such_table;' }];
    expect(() => openStore(file, 'paper', broken)).toThrow(/no such table/);
    const store = openStore(file, 'paper');
    expect(store.db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get()).toBeUndefined();
    store.close();
  });
});
