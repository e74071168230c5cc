// The desk's workspace keeper over a real SQLite repository: the venue's resolution of the list after a
// connect does not hold the trader's edits back, saves count a revision up whatever the clock does, and a
// failed save leaves no market data held.
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../../../src/main/clock';
import { createLogger } from '../../../src/main/ops';
import { openStore, storeFile, WorkspaceRepository, type Store } from '../../../src/main/store';
import { WorkspaceKeeper, type WorkspaceMarketData } from '../../../src/main/workspace';
import type { Instrument, InstrumentSpec, Workspace } from '../../../src/shared';
import { tempDir } from '../../support/fs';
import { CON_ID } from '../../support/fixtures';

const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) if (s.db.open) s.close();
});

function instrumentOf(spec: InstrumentSpec, conId: number): Instrument {
  return {
    conId,
    symbol: spec.symbol,
    secType: spec.secType,
    exchange: 'SMART',
    primaryExchange: 'NASDAQ',
    currency: 'USD',
    localSymbol: spec.symbol,
    tradingClass: spec.symbol,
    multiplier: 1,
    minTick: 0.01,
    longName: spec.symbol,
    lastTradeDateOrContractMonth: '',
    timeZoneId: 'US/Eastern',
    tradingHours: '',
    liquidHours: '',
  };
}

/** A venue whose answers the test gives, one by one, so what waits on what is seen. */
class HeldVenue implements WorkspaceMarketData {
  readonly asked: { spec: InstrumentSpec; answer: (i: Instrument) => void }[] = [];
  readonly subscribed: number[] = [];
  readonly unsubscribed: number[] = [];
  resolve(spec: InstrumentSpec): Promise<Instrument> {
    return new Promise((answer) => this.asked.push({ spec, answer }));
  }
  subscribe(instrument: Instrument): Promise<unknown> {
    this.subscribed.push(instrument.conId);
    return Promise.resolve();
  }
  unsubscribe(conId: number): boolean {
    this.unsubscribed.push(conId);
    return true;
  }
}

function keeperOn(saved: Workspace | undefined, marketData: WorkspaceMarketData, clock: Clock = systemClock): { keeper: WorkspaceKeeper; store: Store; published: Workspace[] } {
  const store = openStore(storeFile(tempDir(), 'paper'), 'paper');
  stores.push(store);
  const repository = new WorkspaceRepository(store.db);
  if (saved) repository.save(saved);
  const published: Workspace[] = [];
  const keeper = new WorkspaceKeeper({ repository, marketData, publish: (w) => published.push(w), clock, logger: createLogger({ level: 'silent' }) });
  keeper.start();
  return { keeper, store, published };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const saved: Workspace = {
  watchlist: [
    { word: 'AAPL', instrument: { symbol: 'AAPL', secType: 'STK', conId: CON_ID.AAPL } },
    { word: 'MSFT', instrument: { symbol: 'MSFT', secType: 'STK', conId: CON_ID.MSFT } },
    { word: 'NVDA', instrument: { symbol: 'NVDA', secType: 'STK' } },
  ],
  chart: null,
  edited: 1,
  revision: 4,
};

describe('the workspace keeper', () => {
  it('asks the venue for every entry at once after a connect, and an edit meanwhile does not wait for the answers', async () => {
    const venue = new HeldVenue();
    const { keeper } = keeperOn(saved, venue);
    const ready = keeper.venueReady();
    await turn();
    expect(venue.asked.map((a) => a.spec.symbol)).toEqual(['AAPL', 'MSFT', 'NVDA']);

    let charted: Workspace | undefined;
    void keeper.showChart(CON_ID.MSFT).then((w) => (charted = w));
    await turn();
    expect(charted).toMatchObject({ chart: CON_ID.MSFT, revision: 5 });

    venue.asked.forEach((a, i) => a.answer(instrumentOf(a.spec, [CON_ID.AAPL, CON_ID.MSFT, 4815747][i]!)));
    await ready;
    expect(venue.subscribed.sort()).toEqual([CON_ID.AAPL, CON_ID.MSFT, 4815747]);
    // The edit made meanwhile stays; the resolved NVDA is saved with its contract.
    expect(keeper.workspace).toMatchObject({ chart: CON_ID.MSFT, revision: 6 });
    expect(keeper.workspace.watchlist.map((e) => e.instrument.conId)).toEqual([CON_ID.AAPL, CON_ID.MSFT, 4815747]);
  });

  it('counts the revision up at every save even when the clock steps back', async () => {
    let now = 1_764_900_000_000;
    const clock: Clock = { ...systemClock, now: () => now };
    const { keeper, published } = keeperOn(saved, new HeldVenue(), clock);
    const first = await keeper.showChart(CON_ID.AAPL);
    now -= 60_000;
    const second = await keeper.showChart(CON_ID.MSFT);
    expect(second.edited).toBeLessThan(first.edited);
    expect(second.revision).toBeGreaterThan(first.revision);
    expect(published.at(-1)).toEqual(second);
  });

  it('releases the market data of an instrument whose adding could not be saved', async () => {
    const venue = new HeldVenue();
    const { keeper, store } = keeperOn(saved, venue);
    const adding = keeper.add({ symbol: 'TSLA', secType: 'STK' });
    await turn();
    // The database goes away between the venue's answer and the save.
    store.close();
    venue.asked[0]!.answer(instrumentOf(venue.asked[0]!.spec, 76792991));
    await expect(adding).rejects.toThrow();
    expect(venue.subscribed).toEqual([76792991]);
    expect(venue.unsubscribed).toEqual([76792991]);
    keeper.stop();
    // Not held: stop() releases nothing more.
    expect(venue.unsubscribed).toEqual([76792991]);
  });
});
