// The trader's workspace kept by the desk: loaded when the mode's core starts, its watchlist's market
// data held under its own consumer name (so a headless desk streams it with no window open), saved at
// every edit and published whole on the `workspace` topic for every window and viewer to follow.
import { DEFAULT_WATCHLIST, DeskCommandError, MAX_WATCHLIST, type Instrument, type InstrumentSpec, type WatchlistEntry, type Workspace } from '../../shared';
import type { Clock } from '../clock';
import type { Logger } from '../ops';
import type { WorkspaceRepository } from '../store';

/** The market data consumer the watchlist's subscriptions are counted under (the UI's are 'ui'). */
export const WORKSPACE_CONSUMER = 'workspace';

/** Watchlist entries the venue is asked to resolve at once after a connect. */
const RESOLVING_AT_ONCE = 8;

/** What the keeper needs of the trading core; errors are DeskCommandErrors in the trader's words. */
export interface WorkspaceMarketData {
  resolve(spec: InstrumentSpec): Promise<Instrument>;
  subscribe(instrument: Instrument, consumer: string): Promise<unknown>;
  unsubscribe(conId: number, consumer: string): boolean;
}

export interface WorkspaceKeeperOptions {
  readonly repository: WorkspaceRepository;
  /** Absent with no venue: the workspace is kept and shown; adding (which needs the venue) is refused. */
  readonly marketData: WorkspaceMarketData | undefined;
  readonly publish: (workspace: Workspace) => void;
  readonly clock: Clock;
  readonly logger: Logger;
}

export class WorkspaceKeeper {
  private current: Workspace = { watchlist: [], chart: null, edited: 0, revision: 0 };
  /** Watchlist instruments whose market data the keeper holds, by conId. */
  private readonly held = new Set<number>();
  /** Edits (and the venue's resolution of the list) run one at a time, in the order they came. */
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: WorkspaceKeeperOptions) {}

  get workspace(): Workspace {
    return this.current;
  }

  /** Loads the saved workspace (a new desk's: the default watchlist, resolved once the venue is in sync) and publishes it. */
  start(): void {
    this.current = this.options.repository.load() ?? { watchlist: DEFAULT_WATCHLIST.map((s) => ({ word: s.symbol, instrument: { ...s } })), chart: null, edited: 0, revision: 0 };
    this.options.publish(this.current);
  }

  stop(): void {
    this.stopped = true;
    const md = this.options.marketData;
    for (const conId of this.held) md?.unsubscribe(conId, WORKSPACE_CONSUMER);
    this.held.clear();
  }

  /**
   * The venue is in sync (after every connect): each entry is resolved and its market data held. An entry
   * the venue cannot serve now stays on the list (the trader removes it), and is tried again at the next sync.
   * The entries are resolved all at once outside the queue (the trader's edits do not wait behind up to 200
   * round trips); only the result is applied in it, to the list as it is then.
   */
  async venueReady(): Promise<void> {
    const md = this.options.marketData;
    if (!md || this.stopped) return;
    const todo = this.current.watchlist.filter((e) => e.instrument.conId === undefined || !this.held.has(e.instrument.conId));
    if (todo.length === 0) return;
    const resolved = new Map<WatchlistEntry, Instrument>();
    const waiting = [...todo];
    // A few at a time: the venue paces its requests (and a burst of 200 would crowd out the trader's own).
    const worker = async (): Promise<void> => {
      for (let entry = waiting.shift(); entry && !this.stopped; entry = waiting.shift()) {
        try {
          resolved.set(entry, await md.resolve(entry.instrument));
        } catch (err) {
          if (!this.stopped) this.options.logger.warn({ word: entry.word, reason: (err as Error).message }, 'watchlist: no market data for this entry now');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(RESOLVING_AT_ONCE, waiting.length) }, worker));
    if (this.stopped || resolved.size === 0) return;
    await this.serially(async () => {
      let changed = false;
      // Two entries naming one contract (a default and the trader's own): the first stays.
      const seen = new Set<number>();
      const plan: { entry: WatchlistEntry; instrument?: Instrument }[] = [];
      for (const entry of this.current.watchlist) {
        const instrument = resolved.get(entry);
        const conId = instrument?.conId ?? entry.instrument.conId;
        if (instrument && seen.has(instrument.conId)) {
          changed = true;
          continue;
        }
        if (conId !== undefined) seen.add(conId);
        plan.push(instrument ? { entry, instrument } : { entry });
      }
      const held = await Promise.all(
        plan.map(async ({ entry, instrument }) => {
          if (!instrument) return true;
          try {
            await this.hold(instrument);
            return true;
          } catch (err) {
            if (!this.stopped) this.options.logger.warn({ word: entry.word, reason: (err as Error).message }, 'watchlist: no market data for this entry now');
            return false;
          }
        }),
      );
      if (this.stopped) return;
      const entries = plan.map(({ entry, instrument }, i) => {
        if (!instrument || !held[i] || entry.instrument.conId !== undefined) return entry;
        changed = true;
        return { word: entry.word, instrument: specOf(instrument) };
      });
      if (changed) this.commit({ ...this.current, watchlist: entries });
    });
  }

  /** Adds an instrument (the venue resolves it; its market data is held from now on). */
  add(spec: InstrumentSpec): Promise<Workspace> {
    return this.serially(async () => {
      if (this.current.watchlist.length >= MAX_WATCHLIST) {
        throw new DeskCommandError('watchlist-full', `The watchlist holds at most ${MAX_WATCHLIST} instruments: remove one before adding ${spec.symbol}.`);
      }
      const md = this.options.marketData;
      if (!md) throw new DeskCommandError('no-venue', 'No venue is configured: start with --demo, or --venue tws|gateway.');
      const instrument = await md.resolve(spec);
      const name = instrument.localSymbol || instrument.symbol;
      const known = this.current.watchlist.some(
        (e) =>
          e.instrument.conId === instrument.conId ||
          (e.instrument.conId === undefined && e.instrument.secType === instrument.secType && e.instrument.symbol.toUpperCase() === instrument.symbol),
      );
      if (known) throw new DeskCommandError('already-on-watchlist', `${name} is already on the watchlist.`);
      const fresh = !this.held.has(instrument.conId);
      await this.hold(instrument);
      try {
        return this.edit({ watchlist: [...this.current.watchlist, { word: spec.symbol.trim(), instrument: specOf(instrument) }] });
      } catch (err) {
        // Not saved, so not on the list: its market data is not held either.
        if (fresh && this.held.delete(instrument.conId)) md.unsubscribe(instrument.conId, WORKSPACE_CONSUMER);
        throw err;
      }
    });
  }

  /** Removes an instrument; its market data is released (other consumers' stays), and its chart closed. */
  remove(conId: number): Promise<Workspace> {
    return this.serially(() => {
      const watchlist = this.current.watchlist.filter((e) => e.instrument.conId !== conId);
      if (watchlist.length === this.current.watchlist.length) throw notOnWatchlist(conId);
      if (this.held.delete(conId)) this.options.marketData?.unsubscribe(conId, WORKSPACE_CONSUMER);
      return this.edit({ watchlist, chart: this.current.chart === conId ? null : this.current.chart });
    });
  }

  /** Charts an instrument on the watchlist, or none (null). */
  showChart(conId: number | null): Promise<Workspace> {
    return this.serially(() => {
      if (conId !== null && !this.current.watchlist.some((e) => e.instrument.conId === conId)) throw notOnWatchlist(conId);
      if (conId === this.current.chart) return this.current;
      return this.edit({ chart: conId });
    });
  }

  private async hold(instrument: Instrument): Promise<void> {
    if (this.held.has(instrument.conId)) return;
    await this.options.marketData?.subscribe(instrument, WORKSPACE_CONSUMER);
    if (this.stopped) {
      this.options.marketData?.unsubscribe(instrument.conId, WORKSPACE_CONSUMER);
      return;
    }
    this.held.add(instrument.conId);
  }

  private edit(change: Partial<Omit<Workspace, 'edited' | 'revision'>>): Workspace {
    return this.commit({ ...this.current, ...change, edited: this.options.clock.now() });
  }

  /** Saved before it is published: what a window sees is what a restart finds. Every save counts the revision up. */
  private commit(change: Omit<Workspace, 'revision'>): Workspace {
    const next: Workspace = { ...change, revision: this.current.revision + 1 };
    this.options.repository.save(next);
    this.current = next;
    this.options.publish(next);
    return next;
  }

  private serially<T>(run: () => T | Promise<T>): Promise<T> {
    const done = this.queue.then(() => {
      if (this.stopped) throw new DeskCommandError('not-ready', 'DualDesk is switching mode or stopping; try again in a moment.');
      return run();
    });
    this.queue = done.catch(() => undefined);
    return done;
  }
}

function notOnWatchlist(conId: number): DeskCommandError {
  return new DeskCommandError('not-on-watchlist', `Contract ${conId} is not on the watchlist.`);
}

/** What names the resolved contract again after a restart (the conId), and what the screens show. */
function specOf(i: Instrument): InstrumentSpec {
  return {
    symbol: i.symbol,
    secType: i.secType,
    conId: i.conId,
    exchange: i.exchange,
    currency: i.currency,
    ...(i.localSymbol ? { localSymbol: i.localSymbol } : {}),
    ...(i.lastTradeDateOrContractMonth ? { lastTradeDateOrContractMonth: i.lastTradeDateOrContractMonth } : {}),
  };
}
