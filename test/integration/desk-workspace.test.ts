// The trader's workspace kept by the desk (demo venue in-process, real TCP, real SQLite): it survives a
// restart, a headless desk streams its watchlist's market data with no window open, every edit goes out
// whole on the `workspace` topic, and bad edits are refused in the trader's words.
import { describe, expect, it } from 'vitest';
import { MAX_WATCHLIST, type Workspace } from '../../src/shared';
import { openStore, storeFile, WorkspaceRepository } from '../../src/main/store';
import { WORKSPACE_CONSUMER } from '../../src/main/workspace';
import { tempDir } from '../support/fs';
import { startStreamDesk, subscribe, type TestStream } from '../support/stream';
import { until, untilAsync } from '../support/wait';

async function ok<T>(s: TestStream, name: string, args: unknown = {}): Promise<T> {
  const r = await s.desk.command(name, args);
  if (!r.ok) throw new Error(`${name} refused: ${r.error.code}: ${r.error.message}`);
  return r.value as T;
}

async function refused(s: TestStream, name: string, args: unknown) {
  const r = await s.desk.command(name, args);
  if (r.ok) throw new Error(`${name} was accepted`);
  return r.error;
}

/** The workspace once the venue has resolved every entry of the watchlist. */
async function resolvedWorkspace(s: TestStream): Promise<Workspace> {
  let w: Workspace | undefined;
  await untilAsync(async () => {
    w = await ok<Workspace>(s, 'getWorkspace');
    return w.watchlist.length > 0 && w.watchlist.every((e) => e.instrument.conId !== undefined);
  }, 'the watchlist resolved by the venue');
  return w as Workspace;
}

const conIdOf = (w: Workspace, word: string) => w.watchlist.find((e) => e.word === word)?.instrument.conId as number;
const words = (w: Workspace) => w.watchlist.map((e) => e.word);
const consumersOf = (s: TestStream, conId: number) => s.desk.core?.marketData?.subscriptions().find((i) => i.conId === conId)?.consumers ?? {};

describe('the workspace kept by the desk (demo venue)', () => {
  it('streams the default watchlist headless, publishes every edit whole, and finds it all again after a restart', async () => {
    const dataDir = tempDir();
    const first = await startStreamDesk({ demo: true, dataDir });
    const { received } = await subscribe(first);

    // No window, no subscribe command: the desk holds the watchlist's market data itself.
    const initial = await resolvedWorkspace(first);
    expect(words(initial)).toEqual(['AAPL', 'MSFT', 'SPY']);
    expect(initial).toMatchObject({ chart: null, edited: 0 });
    for (const word of ['AAPL', 'MSFT', 'SPY']) {
      await until(() => received.frames.some((f) => f.topic === `md.quote.${word}`), `md.quote.${word} on the stream`);
      expect(consumersOf(first, conIdOf(initial, word))).toEqual({ [WORKSPACE_CONSUMER]: 1 });
    }
    await until(() => received.frames.some((f) => f.topic === 'md.bar.5s.AAPL'), 'AAPL’s 5-second bars on the stream');

    const added = await ok<Workspace>(first, 'addToWatchlist', { instrument: { symbol: 'NVDA', secType: 'STK' } });
    expect(words(added)).toEqual(['AAPL', 'MSFT', 'SPY', 'NVDA']);
    expect(added.edited).toBeGreaterThan(0);
    const nvda = conIdOf(added, 'NVDA');
    expect(added.watchlist[3]?.instrument).toMatchObject({ symbol: 'NVDA', secType: 'STK', conId: nvda });
    await until(() => received.frames.some((f) => f.topic === 'workspace' && words(f.data as Workspace).includes('NVDA')), 'the new watchlist on the stream');
    await until(() => received.frames.some((f) => f.topic === 'md.quote.NVDA'), 'NVDA quotes on the stream');

    const charted = await ok<Workspace>(first, 'showChart', { conId: nvda });
    expect(charted.chart).toBe(nvda);
    await until(() => received.frames.some((f) => f.topic === 'workspace' && (f.data as Workspace).chart === nvda), 'the chart on the stream');

    const msft = conIdOf(added, 'MSFT');
    const removed = await ok<Workspace>(first, 'removeFromWatchlist', { conId: msft });
    expect(words(removed)).toEqual(['AAPL', 'SPY', 'NVDA']);
    expect(removed.chart).toBe(nvda);
    await until(() => received.frames.some((f) => f.topic === 'workspace' && !words(f.data as Workspace).includes('MSFT')), 'MSFT gone from the stream’s workspace');
    // The desk's hold on MSFT is released (no other consumer had it: the hub closes it).
    expect(consumersOf(first, msft)[WORKSPACE_CONSUMER]).toBeUndefined();

    // Removing the charted instrument closes the chart.
    const unchartered = await ok<Workspace>(first, 'removeFromWatchlist', { conId: nvda });
    expect(unchartered).toMatchObject({ chart: null });
    const last = await ok<Workspace>(first, 'addToWatchlist', { instrument: { symbol: 'NVDA', secType: 'STK' } });
    await ok<Workspace>(first, 'showChart', { conId: nvda });
    const saved = await ok<Workspace>(first, 'getWorkspace');
    expect(words(last)).toEqual(['AAPL', 'SPY', 'NVDA']);
    await first.desk.stop();

    const second = await startStreamDesk({ demo: true, dataDir });
    const again = await ok<Workspace>(second, 'getWorkspace');
    expect(again).toEqual(saved);
    // A viewer joining now gets the workspace in its snapshot, and the restarted desk streams its instruments again.
    const late = await subscribe(second);
    await until(() => late.received.snapshots.length > 0, 'a snapshot');
    expect(late.received.snapshots[0]?.state['workspace']).toEqual(saved);
    await until(() => late.received.frames.some((f) => f.topic === 'md.quote.NVDA'), 'NVDA quotes after the restart');
    expect(consumersOf(second, nvda)).toEqual({ [WORKSPACE_CONSUMER]: 1 });
  });

  it('refuses duplicates, instruments not on the watchlist, unknown symbols and bad arguments, and keeps the workspace as it was', async () => {
    const s = await startStreamDesk({ demo: true });
    const w = await resolvedWorkspace(s);
    const aapl = conIdOf(w, 'AAPL');

    expect(await refused(s, 'addToWatchlist', { instrument: { symbol: 'AAPL', secType: 'STK' } })).toMatchObject({
      code: 'already-on-watchlist',
      message: 'AAPL is already on the watchlist.',
    });
    expect(await refused(s, 'addToWatchlist', { instrument: { symbol: 'aapl', secType: 'STK', conId: aapl } })).toMatchObject({ code: 'already-on-watchlist' });
    expect(await refused(s, 'removeFromWatchlist', { conId: 987_654_321 })).toEqual({ code: 'not-on-watchlist', message: 'Contract 987654321 is not on the watchlist.' });
    expect(await refused(s, 'showChart', { conId: 987_654_321 })).toMatchObject({ code: 'not-on-watchlist' });
    expect(await refused(s, 'addToWatchlist', { instrument: { symbol: 'NOSUCH', secType: 'STK' } })).toMatchObject({ code: 'unknown-instrument' });
    expect(await refused(s, 'addToWatchlist', { instrument: { symbol: '', secType: 'STK' } })).toMatchObject({
      code: 'invalid-arguments',
      message: expect.stringMatching(/Symbol must not be empty/) as unknown,
    });
    expect(await refused(s, 'removeFromWatchlist', { conId: -1 })).toMatchObject({ code: 'invalid-arguments' });
    expect(await refused(s, 'showChart', {})).toMatchObject({ code: 'invalid-arguments' });
    expect(await ok<Workspace>(s, 'getWorkspace')).toEqual(w);
    // The desk lives on: a good edit still goes through.
    expect(await ok<Workspace>(s, 'showChart', { conId: aapl })).toMatchObject({ chart: aapl });
  });

  it(`refuses an instrument over the limit of ${MAX_WATCHLIST}`, async () => {
    const dataDir = tempDir();
    const first = await startStreamDesk({ demo: true, dataDir });
    await resolvedWorkspace(first);
    await first.desk.stop();
    // A full watchlist written as the desk would have saved it (contracts the demo venue does not know: they stay, unserved).
    const store = openStore(storeFile(dataDir, 'paper'), 'paper');
    const full: Workspace = {
      watchlist: Array.from({ length: MAX_WATCHLIST }, (_, i) => ({ word: `X${i}`, instrument: { symbol: `X${i}`, secType: 'STK' as const, conId: 900_000 + i } })),
      chart: null,
      edited: 1,
      revision: 1,
    };
    new WorkspaceRepository(store.db).save(full);
    store.close();

    const s = await startStreamDesk({ demo: true, dataDir });
    expect(await ok<Workspace>(s, 'getWorkspace')).toEqual(full);
    // Edits no longer wait behind the venue's resolution of the list: adding NVDA below needs the venue in sync.
    await untilAsync(async () => (await ok<{ venue?: { synced: boolean } }>(s, 'getHealth')).venue?.synced === true, 'the venue in sync');
    const error = await refused(s, 'addToWatchlist', { instrument: { symbol: 'NVDA', secType: 'STK' } });
    expect(error).toEqual({ code: 'watchlist-full', message: `The watchlist holds at most ${MAX_WATCHLIST} instruments: remove one before adding NVDA.` });
    const fewer = await ok<Workspace>(s, 'removeFromWatchlist', { conId: 900_000 });
    expect(fewer.watchlist).toHaveLength(MAX_WATCHLIST - 1);
    expect(words(await ok<Workspace>(s, 'addToWatchlist', { instrument: { symbol: 'NVDA', secType: 'STK' } })).at(-1)).toBe('NVDA');
  });
});
