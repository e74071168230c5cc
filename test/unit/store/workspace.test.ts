import { describe, expect, it } from 'vitest';
import { openStore, storeFile, WorkspaceRepository } from '../../../src/main/store';
import type { Workspace } from '../../../src/shared';
import { tempDir } from '../../support/fs';

const workspace: Workspace = {
  watchlist: [
    { word: 'SPY', instrument: { symbol: 'SPY', secType: 'STK', conId: 756733, exchange: 'SMART', currency: 'USD', localSymbol: 'SPY' } },
    { word: 'EUR.USD', instrument: { symbol: 'EUR', secType: 'CASH', conId: 12087792, exchange: 'IDEALPRO', currency: 'USD', localSymbol: 'EUR.USD' } },
    { word: 'AAPL', instrument: { symbol: 'AAPL', secType: 'STK' } },
  ],
  chart: 12087792,
  edited: 1_764_900_000_000,
  revision: 7,
};

describe('the workspace in the mode’s database', () => {
  it('has none in a new database, and reads back what was saved, in the trader’s order, after a reopen', () => {
    const file = storeFile(tempDir(), 'paper');
    const store = openStore(file, 'paper');
    const repo = new WorkspaceRepository(store.db);
    expect(repo.load()).toBeUndefined();
    repo.save(workspace);
    // Saved whole: a shorter list replaces the longer one.
    repo.save({ ...workspace, watchlist: workspace.watchlist.slice(0, 2), chart: null });
    repo.save(workspace);
    store.close();

    const again = openStore(file, 'paper');
    expect(new WorkspaceRepository(again.db).load()).toEqual(workspace);
    again.close();
  });

  it('skips a row it cannot read and keeps the rest', () => {
    const store = openStore(storeFile(tempDir(), 'paper'), 'paper');
    const repo = new WorkspaceRepository(store.db);
    repo.save(workspace);
    store.db.prepare('UPDATE watchlist SET instrument = ? WHERE word = ?').run('{"symbol": 42}', 'SPY');
    store.db.prepare('UPDATE watchlist SET instrument = ? WHERE word = ?').run('not json', 'AAPL');
    expect(repo.load()?.watchlist.map((e) => e.word)).toEqual(['EUR.USD']);
    store.close();
  });

  it('keeps a row it cannot read through the next save (a newer DualDesk’s entry is not dropped)', () => {
    const file = storeFile(tempDir(), 'paper');
    const store = openStore(file, 'paper');
    const repo = new WorkspaceRepository(store.db);
    repo.save(workspace);
    store.db.prepare('UPDATE watchlist SET instrument = ? WHERE word = ?').run('{"symbol": 42}', 'SPY');
    const loaded = repo.load()!;
    repo.save({ ...loaded, watchlist: loaded.watchlist.slice(0, 1), revision: loaded.revision + 1 });
    store.close();

    const again = openStore(file, 'paper');
    const rows = again.db.prepare<[], { word: string; instrument: string }>('SELECT word, instrument FROM watchlist ORDER BY position').all();
    expect(rows.map((r) => r.word)).toEqual(['EUR.USD', 'SPY']);
    expect(rows[1]!.instrument).toBe('{"symbol": 42}');
    expect(new WorkspaceRepository(again.db).load()).toMatchObject({ revision: 8, watchlist: [{ word: 'EUR.USD' }] });
    again.close();
  });
});
