// Market data feeds: one venue subscription per instrument (quotes) or per instrument and source
// (5-second bars), however many consumers ask; restored after a reconnect or IB's 1101; and watched:
// a feed that goes silent while its market is open is resubscribed and reported, because neither IB
// nor its client libraries notice a dead feed.
import type { Clock } from '../clock';
import type { Logger } from '../ops';
import type { Bar, BarSource, Instrument, Quote, VenueAlert } from '../../shared';
import { VenueError, type BarListener, type QuoteListener } from '../venue';
import { isOpenAt, parseTradingHours, type Session } from './hours';

export interface FeedHost {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Simultaneous market data lines the account has (IB's default: 100). */
  readonly lines: number;
  readonly quoteStaleMs: number;
  readonly barStaleMs: number;
  nextReqId(): number;
  /** Whether requests can go out now (connected, order channel up). */
  connected(): boolean;
  /** Whether data should be flowing (no farm down): otherwise silence is expected, not a dead feed. */
  dataExpected(): boolean;
  subscribeQuotes(reqId: number, instrument: Instrument): void;
  cancelQuotes(reqId: number): void;
  subscribeBars(reqId: number, instrument: Instrument, source: BarSource): void;
  cancelBars(reqId: number): void;
  alert(alert: VenueAlert): void;
}

type MutableQuote = { -readonly [K in keyof Quote]: Quote[K] };

interface FeedBase {
  readonly key: string;
  readonly instrument: Instrument;
  readonly sessions: Session[];
  reqId: number | undefined;
  lastUpdate: number;
}
interface QuoteFeed extends FeedBase {
  readonly kind: 'quotes';
  readonly listeners: Set<QuoteListener>;
  readonly quote: MutableQuote;
}
interface BarFeed extends FeedBase {
  readonly kind: 'bars';
  readonly source: BarSource;
  readonly listeners: Set<BarListener>;
}
type Feed = QuoteFeed | BarFeed;

/** IB tick types (and their delayed twins, 66+) → quote fields. */
const PRICE_FIELDS: Readonly<Record<number, keyof MutableQuote>> = {
  1: 'bid',
  2: 'ask',
  4: 'last',
  6: 'high',
  7: 'low',
  9: 'close',
  14: 'open',
  66: 'bid',
  67: 'ask',
  68: 'last',
  72: 'high',
  73: 'low',
  75: 'close',
  76: 'open',
};
const SIZE_FIELDS: Readonly<Record<number, keyof MutableQuote>> = {
  0: 'bidSize',
  3: 'askSize',
  5: 'lastSize',
  8: 'volume',
  69: 'bidSize',
  70: 'askSize',
  71: 'lastSize',
  74: 'volume',
};

export class Feeds {
  private readonly feeds = new Map<string, Feed>();
  private readonly byReqId = new Map<number, Feed>();

  private readonly changed = new Set<QuoteFeed>();
  private flushScheduled = false;

  constructor(private readonly host: FeedHost) {}

  get linesInUse(): number {
    return this.feeds.size;
  }

  subscribeQuotes(instrument: Instrument, listener: QuoteListener): () => void {
    const key = `quotes:${instrument.conId}`;
    let feed = this.feeds.get(key);
    if (!feed) {
      this.ensureLine(instrument);
      feed = {
        kind: 'quotes',
        key,
        instrument,
        sessions: sessionsOf(instrument),
        reqId: undefined,
        lastUpdate: this.host.clock.now(),
        listeners: new Set(),
        quote: { conId: instrument.conId, time: 0 },
      };
      this.feeds.set(key, feed);
      this.request(feed);
    }
    const f = feed as QuoteFeed;
    f.listeners.add(listener);
    if (f.quote.time > 0) listener.onQuote({ ...f.quote });
    return () => this.release(f, listener);
  }

  subscribeBars(instrument: Instrument, source: BarSource, listener: BarListener): () => void {
    const key = `bars:${instrument.conId}:${source}`;
    let feed = this.feeds.get(key);
    if (!feed) {
      this.ensureLine(instrument);
      feed = { kind: 'bars', key, instrument, source, sessions: sessionsOf(instrument), reqId: undefined, lastUpdate: this.host.clock.now(), listeners: new Set() };
      this.feeds.set(key, feed);
      this.request(feed);
    }
    const f = feed as BarFeed;
    f.listeners.add(listener);
    return () => this.release(f, listener);
  }

  private ensureLine(instrument: Instrument): void {
    if (this.feeds.size >= this.host.lines) {
      throw new VenueError(
        'market-data-lines',
        `No market data line left for ${instrument.symbol}: all ${this.host.lines} lines of the account are in use. Close a quote or chart first.`,
      );
    }
  }

  private release(feed: Feed, listener: QuoteListener | BarListener): void {
    (feed.listeners as Set<QuoteListener | BarListener>).delete(listener);
    if (feed.listeners.size > 0 || this.feeds.get(feed.key) !== feed) return;
    this.feeds.delete(feed.key);
    this.cancel(feed);
  }

  private request(feed: Feed): void {
    if (!this.host.connected()) return; // restoreAll() asks when the connection is up
    const reqId = this.host.nextReqId();
    feed.reqId = reqId;
    feed.lastUpdate = this.host.clock.now();
    this.byReqId.set(reqId, feed);
    if (feed.kind === 'quotes') this.host.subscribeQuotes(reqId, feed.instrument);
    else this.host.subscribeBars(reqId, feed.instrument, feed.source);
  }

  private cancel(feed: Feed): void {
    const reqId = feed.reqId;
    if (reqId === undefined) return;
    feed.reqId = undefined;
    this.byReqId.delete(reqId);
    if (!this.host.connected()) return;
    if (feed.kind === 'quotes') this.host.cancelQuotes(reqId);
    else this.host.cancelBars(reqId);
  }

  /** A new connection, or IB's 1101 (data lost): every feed asks again with a fresh request id. */
  restoreAll(): void {
    this.byReqId.clear();
    for (const feed of this.feeds.values()) {
      feed.reqId = undefined;
      this.request(feed);
    }
  }

  /** The connection is gone: request ids die with it; the feeds stay for restoreAll(). */
  detachAll(): void {
    this.byReqId.clear();
    for (const feed of this.feeds.values()) feed.reqId = undefined;
  }

  onTickPrice(reqId: number, tickType: number, price: number | undefined): void {
    const feed = this.byReqId.get(reqId);
    const field = PRICE_FIELDS[tickType];
    if (feed?.kind !== 'quotes' || field === undefined || price === undefined || !(price > 0)) return;
    this.update(feed, field, price);
  }

  onTickSize(reqId: number, tickType: number, size: number | undefined): void {
    const feed = this.byReqId.get(reqId);
    const field = SIZE_FIELDS[tickType];
    if (feed?.kind !== 'quotes' || field === undefined || size === undefined) return;
    this.update(feed, field, size);
  }

  /**
   * TWS sends a quote as one message per field (bid, bid size, ask, ...); the fields that arrive in
   * one turn of the event loop go out as one quote, not one per field (a sixth of the messages
   * downstream, and never a half-updated bid/ask pair).
   */
  private update(feed: QuoteFeed, field: keyof MutableQuote, value: number): void {
    const now = this.host.clock.now();
    feed.lastUpdate = now;
    (feed.quote as Record<string, number>)[field] = value;
    feed.quote.time = now;
    this.changed.add(feed);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushQuotes);
    }
  }

  private readonly flushQuotes = (): void => {
    this.flushScheduled = false;
    for (const feed of this.changed) {
      const snapshot: Quote = { ...feed.quote };
      for (const l of feed.listeners) l.onQuote(snapshot);
    }
    this.changed.clear();
  };

  onBar(reqId: number, bar: Bar): void {
    const feed = this.byReqId.get(reqId);
    if (feed?.kind !== 'bars') return;
    feed.lastUpdate = this.host.clock.now();
    for (const l of feed.listeners) l.onBar(bar);
  }

  /** An error for one of our market data requests: its consumers hear it; a dead subscription is dropped. */
  onError(reqId: number, error: VenueError): boolean {
    const feed = this.byReqId.get(reqId);
    if (!feed) return false;
    this.host.logger.warn({ reqId, conId: feed.instrument.conId, code: error.ibCode, err: error.message }, 'market data request failed');
    for (const l of feed.listeners) l.onError?.(error);
    if (error.kind !== 'pacing') {
      this.byReqId.delete(reqId);
      this.feeds.delete(feed.key);
      feed.reqId = undefined;
    }
    return true;
  }

  /** Resubscribes feeds silent for longer than their window while their market is open. */
  watchdog(): void {
    if (!this.host.connected() || !this.host.dataExpected()) return;
    const now = this.host.clock.now();
    for (const feed of this.feeds.values()) {
      if (feed.reqId === undefined) continue;
      const window = feed.kind === 'quotes' ? this.host.quoteStaleMs : this.host.barStaleMs;
      const silent = now - feed.lastUpdate;
      if (silent <= window || isOpenAt(feed.sessions, now) === false) continue;
      this.host.alert({ kind: 'stale-feed', conId: feed.instrument.conId, symbol: feed.instrument.symbol, feed: feed.kind, silentMs: silent });
      this.host.logger.warn({ conId: feed.instrument.conId, feed: feed.kind, silentMs: silent }, 'market data feed is silent; resubscribing');
      this.cancel(feed);
      this.request(feed);
    }
  }
}

function sessionsOf(i: Instrument): Session[] {
  return parseTradingHours(i.tradingHours, i.timeZoneId);
}
