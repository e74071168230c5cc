// The market data hub (the seed's star topology): one venue subscription per instrument for any number
// of consumers. The first consumer of an instrument resolves it, opens the venue's quote and 5-second
// bar feeds and seeds the EMAs from history; the last one to leave closes them. Everything the
// instrument produces goes out on the bus (md.quote / md.bar.1m / md.bar.5s / md.ema / md.signal.<word>,
// and the 5-second EMAs and crossings on md.ema.5s / md.signal.5s.<word>) and is cached for late
// joiners and a chart's initial load. Signals only: nothing here sends orders.
//
// Venue errors are never swallowed: before a subscription is ready they reject its promise with the
// venue's error; afterwards they reach every consumer's onError and the hub's 'feedError' event, and
// are logged. A feed the venue refused (unknown contract, no permission, no line left) is gone: the
// instrument's subscription is closed, and a later subscribe starts afresh.
//
// Choices (the issue is silent on them):
// - Priorities: bars, EMAs and signals NORMAL; quotes LOW. Delivery is synchronous, so priority only
//   orders messages published while another is being delivered: a quote is superseded by the next one
//   (each carries the whole latest quote), while a closed bar, an EMA or a signal is an event that
//   consumers (the chart, a strategy) must not see late behind a burst of quotes; halts
//   (FLASH_CRASH/URGENT) overtake both.
// - History: '1 D' of 1-minute bars (MIDPOINT for CASH, TRADES otherwise, outside regular hours too),
//   or more days when 3 × the longest period exceeds a 390-minute session; the default EMAs need 63.
//   A shorter answer (early after a weekend) is used as it is and logged; a failed one is reported and
//   the EMAs seed from live closes.
// - 5-second history: the venue's last hour ('3600 S' of '5 secs', IB's longest for that size), asked
//   for alongside and seeding the 5-second bars and EMAs when it comes. A subscription is ready without
//   waiting for it: IB paces small bars (60 requests in 10 minutes), so a long watchlist's 5-second
//   history may come minutes later, and the 1-minute EMAs must not wait for it. A failed one is
//   reported (not fatal) and the 5-second EMAs start from the live bars.
// - Payload symbol and topic word: the local symbol (EUR.USD, ESZ6), falling back to the symbol.
// - 1-minute bar grace, EMA seeding and the crossover at exactly 0: see aggregator.ts and ema.ts.
import { EventEmitter } from 'node:events';
import type { CoreTopics, MessageBus, SymbolQuote } from '../bus';
import type { Clock } from '../clock';
import type { Logger } from '../ops';
import type { Bar, BarSource, EmaUpdate, Instrument, InstrumentSpec } from '../../shared';
import { InstrumentPipeline, type MarketDataSnapshot, type PipelineStats } from './pipeline';
import type { ContractPort, MarketDataPort } from '../venue';
import { historyDuration, parseMarketDataSettings, type MarketDataSettings, type MarketDataSettingsInput } from './settings';

/** The 5-second history asked for on subscribe: an hour, the longest IB serves at that bar size. */
const FIVE_SECOND_HISTORY = '3600 S';

/** What the hub needs from the venue. */
export type MarketDataVenue = MarketDataPort & ContractPort;

export interface MarketDataHubOptions {
  readonly venue: MarketDataVenue;
  readonly bus: MessageBus<CoreTopics>;
  /** Times the closing of 1-minute bars (the simulator's virtual clock in tests). */
  readonly clock: Clock;
  readonly logger: Logger;
  /** Validated here (MarketDataSettingsError names every bad field). */
  readonly settings?: MarketDataSettingsInput;
}

/** 'history5s': the 5-second history (the 5-second EMAs then start from the live bars). */
export type MarketDataFeed = 'quotes' | 'bars' | 'history' | 'history5s';

export interface MarketDataError {
  readonly conId: number;
  readonly symbol: string;
  readonly feed: MarketDataFeed;
  /** The venue's error as the adapter reports it (a VenueError: kind, IB code, the trader-facing message). */
  readonly error: Error;
  /**
   * True when the instrument's market data stopped (its subscription was closed). False for a failed
   * history request (the EMAs then seed from live closes) and for pacing, where the feed goes on.
   */
  readonly fatal: boolean;
}

export interface SubscribeOptions {
  readonly onError?: (error: MarketDataError) => void;
}

export interface MarketDataSubscription {
  readonly instrument: Instrument;
  readonly consumer: string;
  /** The topic word: md.quote.<word>, md.bar.1m.<word>, md.bar.5s.<word>, md.ema[.5s].<word>, md.signal[.5s].<word>. */
  readonly word: string;
  /** Releases this subscription (once; later calls do nothing). */
  close(): void;
}

export interface MarketDataSubscriptionInfo {
  readonly conId: number;
  readonly symbol: string;
  readonly word: string;
  readonly ready: boolean;
  /** Consumer name → open subscriptions. */
  readonly consumers: Readonly<Record<string, number>>;
}

export interface MarketDataHubStats extends PipelineStats {
  readonly instruments: number;
  readonly subscriptions: number;
}

export interface MarketDataHubEvents {
  feedError: [MarketDataError];
}

export class MarketDataClosedError extends Error {
  override readonly name = 'MarketDataClosedError';
}

type EntryState = 'starting' | 'ready' | 'closed';

class Handle implements MarketDataSubscription {
  closed = false;
  readonly instrument: Instrument;
  readonly word: string;

  constructor(
    private readonly hub: MarketDataHub,
    readonly entry: Entry,
    readonly consumer: string,
    readonly onError: ((error: MarketDataError) => void) | undefined,
  ) {
    this.instrument = entry.instrument;
    this.word = entry.pipeline.word;
  }

  close(): void {
    this.hub.release(this);
  }
}

class Entry {
  state: EntryState = 'starting';
  readonly handles = new Set<Handle>();
  stopQuotes: (() => void) | undefined;
  stopBars: (() => void) | undefined;
  readonly ready: Promise<void>;
  settle!: (err?: Error) => void;

  constructor(
    readonly instrument: Instrument,
    readonly pipeline: InstrumentPipeline,
    readonly source: BarSource,
  ) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.settle = (err) => (err ? reject(err) : resolve());
    });
    // Rejections reach the subscribers awaiting it; none may be left unhandled when nobody is.
    this.ready.catch(() => undefined);
  }
}

export class MarketDataHub extends EventEmitter<MarketDataHubEvents> {
  readonly settings: MarketDataSettings;
  private readonly venue: MarketDataVenue;
  private readonly log: Logger;
  private readonly entries = new Map<number, Entry>();
  private closed = false;

  constructor(private readonly options: MarketDataHubOptions) {
    super();
    this.settings = parseMarketDataSettings(options.settings ?? {});
    this.venue = options.venue;
    this.log = options.logger.child({ component: 'marketdata' });
  }

  /**
   * Subscribes `consumer` to an instrument (a spec the venue resolves, or an instrument already
   * resolved). Resolves once the venue feeds are open and the EMAs seeded; rejects with the venue's
   * error (unknown instrument, no line left, no permission...). Each call is one reference: close the
   * returned subscription (or call unsubscribe) once per subscribe.
   */
  async subscribe(target: InstrumentSpec | Instrument, consumer: string, options: SubscribeOptions = {}): Promise<MarketDataSubscription> {
    if (typeof consumer !== 'string' || consumer.trim() === '') throw new TypeError('market data: the consumer needs a name');
    this.assertOpen();
    const instrument = isInstrument(target) ? target : await this.resolve(target);
    this.assertOpen();
    const entry = this.entries.get(instrument.conId) ?? this.open(instrument);
    const handle = new Handle(this, entry, consumer, options.onError);
    entry.handles.add(handle);
    try {
      await entry.ready;
    } catch (err) {
      handle.closed = true;
      entry.handles.delete(handle);
      throw err;
    }
    return handle;
  }

  /** Releases one subscription of `consumer` to the instrument; false when it had none. */
  unsubscribe(conId: number, consumer: string): boolean {
    const entry = this.entries.get(conId);
    if (!entry) return false;
    let found: Handle | undefined;
    for (const h of entry.handles) if (h.consumer === consumer) found = h;
    if (!found) return false;
    this.release(found);
    return true;
  }

  /** @internal Called by a subscription's close(). */
  release(handle: Handle): void {
    if (handle.closed) return;
    handle.closed = true;
    const entry = handle.entry;
    entry.handles.delete(handle);
    if (entry.handles.size > 0 || entry.state === 'closed') return;
    this.log.info({ conId: entry.instrument.conId, symbol: entry.pipeline.symbol }, 'last consumer left: closing the venue subscriptions');
    this.teardown(entry, new MarketDataClosedError(`market data for ${entry.pipeline.symbol} was unsubscribed before it was ready`));
  }

  // --- caches -----------------------------------------------------------------------------------

  quote(conId: number): SymbolQuote | undefined {
    return this.entries.get(conId)?.pipeline.lastQuote();
  }

  /** Recent final 1-minute bars and the forming one, oldest first. */
  bars(conId: number): Bar[] {
    return this.entries.get(conId)?.pipeline.recentBars() ?? [];
  }

  /** The current EMAs (provisional while a minute forms). */
  ema(conId: number): EmaUpdate | undefined {
    return this.entries.get(conId)?.pipeline.currentEma();
  }

  snapshot(conId: number): MarketDataSnapshot | undefined {
    return this.entries.get(conId)?.pipeline.snapshot();
  }

  subscriptions(): MarketDataSubscriptionInfo[] {
    return [...this.entries.values()].map((e) => {
      const consumers: Record<string, number> = {};
      for (const h of e.handles) consumers[h.consumer] = (consumers[h.consumer] ?? 0) + 1;
      return { conId: e.instrument.conId, symbol: e.pipeline.symbol, word: e.pipeline.word, ready: e.state === 'ready', consumers };
    });
  }

  stats(): MarketDataHubStats {
    const total = { instruments: 0, subscriptions: 0, quotes: 0, bars: 0, duplicates: 0, revisions: 0, dropped: 0, invalid: 0, timerFinals: 0, emaTooOld: 0 };
    for (const e of this.entries.values()) {
      total.instruments++;
      total.subscriptions += e.handles.size;
      const s = e.pipeline.stats();
      total.quotes += s.quotes;
      total.bars += s.bars;
      total.duplicates += s.duplicates;
      total.revisions += s.revisions;
      total.dropped += s.dropped;
      total.invalid += s.invalid;
      total.timerFinals += s.timerFinals;
      total.emaTooOld += s.emaTooOld;
    }
    return total;
  }

  /** Closes every venue subscription; later subscribes are refused. */
  close(): void {
    this.closed = true;
    for (const entry of [...this.entries.values()]) this.teardown(entry, new MarketDataClosedError('the market data hub was closed'));
  }

  // --- inside -----------------------------------------------------------------------------------

  private assertOpen(): void {
    if (this.closed) throw new MarketDataClosedError('the market data hub is closed');
  }

  private resolve(spec: InstrumentSpec): Promise<Instrument> {
    const known = spec.conId !== undefined ? this.entries.get(spec.conId) : undefined;
    return known ? Promise.resolve(known.instrument) : this.venue.resolve(spec);
  }

  private open(instrument: Instrument): Entry {
    const pipeline = new InstrumentPipeline(instrument, { bus: this.options.bus, clock: this.options.clock, logger: this.log, settings: this.settings });
    // FX has no trades: IB serves its bars as MIDPOINT.
    const source: BarSource = instrument.secType === 'CASH' ? 'MIDPOINT' : 'TRADES';
    const entry = new Entry(instrument, pipeline, source);
    this.entries.set(instrument.conId, entry);
    try {
      entry.stopQuotes = this.venue.subscribeQuotes(instrument, { onQuote: pipeline.onQuote, onError: (err) => this.feedFailed(entry, 'quotes', err) });
      entry.stopBars = this.venue.subscribeBars(instrument, source, { onBar: pipeline.onBar, onError: (err) => this.feedFailed(entry, 'bars', err) });
    } catch (err) {
      this.log.warn({ conId: instrument.conId, symbol: pipeline.symbol, err: (err as Error).message }, 'market data subscription refused');
      this.teardown(entry, err as Error);
      throw err;
    }
    this.log.info({ conId: instrument.conId, symbol: pipeline.symbol, source }, 'market data subscribed at the venue');
    void this.loadHistory(entry);
    void this.loadHistory5s(entry);
    return entry;
  }

  private async loadHistory(entry: Entry): Promise<void> {
    let history: Bar[] | undefined;
    try {
      history = await this.venue.historicalBars(entry.instrument, {
        duration: historyDuration(this.settings.historyMinutes),
        barSize: '1 min',
        source: entry.source,
        rthOnly: false,
      });
    } catch (err) {
      if (entry.state === 'closed') return;
      // The live feeds go on; the EMAs seed from live closes instead.
      this.report(entry, 'history', err as Error, false);
    }
    if (entry.state !== 'starting') return;
    if (history && history.length < this.settings.historyMinutes) {
      this.log.info(
        { conId: entry.instrument.conId, symbol: entry.pipeline.symbol, bars: history.length, wanted: this.settings.historyMinutes },
        'less history than 3 × the longest EMA period: the EMAs start from what there is',
      );
    }
    entry.pipeline.seed(history);
    entry.state = 'ready';
    entry.settle();
  }

  private async loadHistory5s(entry: Entry): Promise<void> {
    let history: Bar[] | undefined;
    try {
      history = await this.venue.historicalBars(entry.instrument, { duration: FIVE_SECOND_HISTORY, barSize: '5 secs', source: entry.source, rthOnly: false });
    } catch (err) {
      if (entry.state === 'closed') return;
      this.report(entry, 'history5s', err as Error, false);
    }
    if (entry.state === 'closed') return;
    entry.pipeline.seed5s(history);
  }

  private feedFailed(entry: Entry, feed: MarketDataFeed, err: Error): void {
    if (entry.state === 'closed') return;
    // The adapter keeps a feed through pacing; any other error ended it.
    const fatal = (err as { kind?: string }).kind !== 'pacing';
    this.report(entry, feed, err, fatal);
    if (fatal) this.teardown(entry, err);
  }

  private report(entry: Entry, feed: MarketDataFeed, err: Error, fatal: boolean): void {
    const event: MarketDataError = { conId: entry.instrument.conId, symbol: entry.pipeline.symbol, feed, error: err, fatal };
    this.log.warn({ conId: event.conId, symbol: event.symbol, feed, fatal, kind: (err as { kind?: string }).kind, err: err.message }, 'market data error from the venue');
    // A fatal error before the subscription is ready reaches its subscribers as the rejection.
    if (!(fatal && entry.state === 'starting')) {
      for (const h of entry.handles) {
        if (!h.onError) continue;
        try {
          h.onError(event);
        } catch (listenerErr) {
          this.log.error({ err: listenerErr, consumer: h.consumer }, 'a market data error listener threw');
        }
      }
    }
    this.emit('feedError', event);
  }

  private teardown(entry: Entry, reason: Error): void {
    if (entry.state === 'closed') return;
    const wasStarting = entry.state === 'starting';
    entry.state = 'closed';
    if (this.entries.get(entry.instrument.conId) === entry) this.entries.delete(entry.instrument.conId);
    entry.pipeline.close();
    for (const stop of [entry.stopQuotes, entry.stopBars]) {
      try {
        stop?.();
      } catch (err) {
        this.log.warn({ err, conId: entry.instrument.conId }, 'closing a venue subscription failed');
      }
    }
    for (const h of entry.handles) h.closed = true;
    entry.handles.clear();
    if (wasStarting) entry.settle(reason);
  }
}

function isInstrument(target: InstrumentSpec | Instrument): target is Instrument {
  const t = target as Partial<Instrument>;
  return typeof t.conId === 'number' && typeof t.tradingClass === 'string' && typeof t.minTick === 'number' && typeof t.timeZoneId === 'string';
}
