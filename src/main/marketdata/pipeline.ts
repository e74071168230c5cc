// One instrument's market data inside the hub: quotes and 5-second bars in; quotes, 1-minute bars,
// 5-second bars, and the EMAs and crossover signals of each bar size out on the bus; and the caches a
// chart loads from.
//
// Allocation on the hot path: a quote in publishes one new SymbolQuote (the quote with its symbol);
// a 5-second bar in publishes one Bar + BarUpdate per size and, once seeded, one EmaUpdate per size
// with its values: messages consumers may keep, so they are never reused. Nothing else is allocated
// per update: topics are built once per instrument, the bar store and EMA state are typed arrays, and
// listeners are bound once per subscription.
import type { MessageBus, CoreTopics } from '../bus';
import type { Clock } from '../clock';
import type { Logger } from '../ops';
import type { Bar, BarUpdate, EmaUpdate, Instrument, MarketDataSnapshot, Quote, SymbolQuote } from '../../shared';
import { packBarHistory } from '../../shared';

export type { MarketDataSnapshot } from '../../shared';
import { topicWord } from '../../shared/stream';
import { MINUTE_MS, MinuteAggregator, type AggregatorStats, type DropReason, type MinuteSink } from './aggregator';
import { EmaTrack } from './ema-track';
import { TimeSeries } from './series';
import type { MarketDataSettings } from './settings';

/** At most one warning a minute per instrument about dropped bars (the count is in the stats). */
const DROP_LOG_INTERVAL_MS = 60_000;
export const FIVE_SECONDS_MS = 5_000;
/** An hour of 5-second bars (and of their EMA points). */
export const FIVE_SECOND_BARS_KEPT = 720;
/** 5-second bars kept for a revised one's EMAs: a minute's worth. */
const FIVE_SECOND_REVISION_BARS = 12;

export interface PipelineDeps {
  readonly bus: MessageBus<CoreTopics>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly settings: MarketDataSettings;
}

export interface PipelineStats extends AggregatorStats {
  quotes: number;
  /** Revised minutes older than the EMAs keep (their EMAs are not recomputed). */
  emaTooOld: number;
}

export class InstrumentPipeline implements MinuteSink {
  readonly conId: number;
  readonly symbol: string;
  readonly word: string;
  private readonly quoteTopic: `md.quote.${string}`;
  private readonly barTopic: `md.bar.1m.${string}`;
  private readonly bar5sTopic: `md.bar.5s.${string}`;
  private readonly historyTopic: `md.history.1m.${string}`;
  private readonly aggregator: MinuteAggregator;
  /** The 1-minute EMAs and crossings (md.ema.<word>, md.signal.<word>). */
  private readonly ema: EmaTrack;
  /** The 5-second ones (md.ema.5s.<word>, md.signal.5s.<word>). */
  private readonly ema5s: EmaTrack;
  private readonly periods: readonly number[];
  private readonly bars: TimeSeries<Bar>;
  private readonly bars5s: TimeSeries<Bar>;
  private readonly log: Logger;
  private forming: Bar | undefined;
  private quote: SymbolQuote | undefined;
  private seeded = false;
  private seeded5s = false;
  private quotes = 0;
  private droppedSinceLog = 0;
  private lastDropLog = Number.NEGATIVE_INFINITY;

  constructor(
    readonly instrument: Instrument,
    private readonly deps: PipelineDeps,
  ) {
    const s = deps.settings;
    this.conId = instrument.conId;
    this.symbol = instrument.localSymbol || instrument.symbol;
    this.word = topicWord(this.symbol);
    this.quoteTopic = `md.quote.${this.word}`;
    this.barTopic = `md.bar.1m.${this.word}`;
    this.bar5sTopic = `md.bar.5s.${this.word}`;
    this.historyTopic = `md.history.1m.${this.word}`;
    this.log = deps.logger.child({ conId: this.conId, symbol: this.symbol });
    this.aggregator = new MinuteAggregator(this, { clock: deps.clock, finalizeGraceMs: s.finalizeGraceMs, windowMinutes: s.revisionWindowMinutes });
    this.periods = s.emaPeriods;
    const common = { bus: deps.bus, conId: this.conId, symbol: this.symbol, periods: s.emaPeriods, signal: s.signal };
    this.ema = new EmaTrack({
      ...common,
      revisionBars: s.revisionWindowMinutes + 2,
      chartPoints: s.chartBars,
      emaTopic: `md.ema.${this.word}`,
      signalTopic: `md.signal.${this.word}`,
    });
    this.ema5s = new EmaTrack({
      ...common,
      revisionBars: FIVE_SECOND_REVISION_BARS,
      chartPoints: FIVE_SECOND_BARS_KEPT,
      emaTopic: `md.ema.5s.${this.word}`,
      signalTopic: `md.signal.5s.${this.word}`,
      size: '5s',
      pointsInEngine: true,
    });
    this.bars = new TimeSeries(s.chartBars);
    this.bars5s = new TimeSeries(FIVE_SECOND_BARS_KEPT);
  }

  // --- in -------------------------------------------------------------------------------------

  readonly onQuote = (q: Quote): void => {
    this.quotes++;
    const quote = symbolQuote(q, this.symbol);
    this.quote = quote;
    // LOW: a quote is superseded by the next one; bars, EMAs and signals (NORMAL) and halts go first.
    this.deps.bus.publish(this.quoteTopic, quote, 'LOW');
  };

  /** A 5-second bar from the venue. */
  readonly onBar = (bar: Bar): void => {
    this.aggregator.push(bar);
    // The chart's 5-second view: the venue's bars as they come (the aggregator validates for the minutes).
    if (Number.isFinite(bar.close) && bar.time % FIVE_SECONDS_MS === 0) {
      this.bars5s.upsert(bar);
      this.deps.bus.publish(this.bar5sTopic, { conId: this.conId, symbol: this.symbol, size: '5s', bar, final: true, revised: false }, 'NORMAL');
      if (this.seeded5s) this.ema5s.commit(bar, true);
    }
  };

  /**
   * Seeds the EMAs from history (1-minute bars; undefined when the request failed: the EMAs then seed
   * from live closes). History is used up to the first live minute (or the current clock minute, which
   * the venue may send half-formed); the live minutes closed meanwhile follow. Crossings found here are
   * cached for the chart but not published: they are not news.
   */
  seed(history: readonly Bar[] | undefined): void {
    if (this.seeded) return;
    const live = this.bars.toArray();
    const past = pastBars(history, MINUTE_MS, live[0]?.time ?? this.forming?.time, this.deps.clock.now());
    for (const b of past) this.ema.commit(b, false);
    for (const b of live) this.ema.commit(b, false);
    this.bars.reset(past.length === 0 ? live : past.concat(live));
    this.seeded = true;
    this.publishHistory();
    this.ema.publishCurrent();
    if (this.forming) this.ema.provisional(this.forming);
  }

  /**
   * Seeds the 5-second bars and their EMAs from the venue's 5-second history (undefined when the
   * request failed: they start from the live bars), as seed() does for the minutes.
   */
  seed5s(history: readonly Bar[] | undefined): void {
    if (this.seeded5s) return;
    const live = this.bars5s.toArray();
    const past = pastBars(history, FIVE_SECONDS_MS, live[0]?.time, this.deps.clock.now());
    const all = past.length === 0 ? live : past.concat(live);
    for (const b of all) this.ema5s.commit(b, false);
    this.bars5s.reset(all);
    this.seeded5s = true;
    this.ema5s.publishCurrent();
  }

  close(): void {
    this.aggregator.close();
  }

  // --- the aggregator's output ------------------------------------------------------------------

  minute(bar: Bar, final: boolean, revised: boolean): void {
    const update: BarUpdate = { conId: this.conId, symbol: this.symbol, size: '1m', bar, final, revised };
    this.deps.bus.publish(this.barTopic, update, 'NORMAL');
    if (!final) {
      this.forming = bar;
      if (this.seeded) this.ema.provisional(bar);
      return;
    }
    if (this.forming !== undefined && this.forming.time <= bar.time) this.forming = undefined;
    this.bars.upsert(bar);
    this.publishHistory();
    if (!this.seeded) return;
    this.ema.commit(bar, true);
    // The forming minute's provisional EMAs rest on the ones just recomputed.
    if (revised && this.forming) this.ema.provisional(this.forming);
  }

  /** md.history.1m.<word>: the tail of the bars getMarketData answers with, for subscribers without commands. */
  private publishHistory(): void {
    const n = this.deps.settings.sharedHistoryBars;
    if (n === 0) return;
    this.deps.bus.publish(this.historyTopic, packBarHistory(this.conId, this.symbol, this.bars.toArray().slice(-n)), 'NORMAL');
  }

  dropped(bar: Bar, reason: DropReason): void {
    this.droppedSinceLog++;
    const now = this.deps.clock.now();
    if (now - this.lastDropLog < DROP_LOG_INTERVAL_MS) return;
    const { dropped, invalid } = this.aggregator.stats;
    this.log.warn({ reason, barTime: bar.time, droppedSinceLastWarning: this.droppedSinceLog, droppedTotal: dropped, invalidTotal: invalid }, '5-second bar dropped');
    this.droppedSinceLog = 0;
    this.lastDropLog = now;
  }

  // --- caches -------------------------------------------------------------------------------------

  lastQuote(): SymbolQuote | undefined {
    return this.quote;
  }

  currentEma(): EmaUpdate | undefined {
    return this.ema.latest();
  }

  /** Final bars and the forming one, oldest first. */
  recentBars(): Bar[] {
    const out = this.bars.toArray();
    if (this.forming) out.push(this.forming);
    return out;
  }

  snapshot(): MarketDataSnapshot {
    return {
      instrument: this.instrument,
      word: this.word,
      quote: this.quote,
      bars: this.bars.toArray(),
      bars5s: this.bars5s.toArray(),
      forming: this.forming,
      emas: this.ema.pointList(),
      ema: this.ema.latest(),
      signals: this.ema.signalList(),
      emas5s: this.ema5s.pointList(),
      signals5s: this.ema5s.signalList(),
      periods: this.periods,
      seeded: this.seeded,
      seeded5s: this.seeded5s,
    };
  }

  stats(): PipelineStats {
    return { ...this.aggregator.stats, quotes: this.quotes, emaTooOld: this.ema.tooOld };
  }
}

/**
 * The history bars that precede the live ones: on the bar size's grid, finite, strictly ascending,
 * before the first live bar and before the bar forming now (which the venue may send half-formed).
 */
function pastBars(history: readonly Bar[] | undefined, sizeMs: number, firstLive: number | undefined, now: number): Bar[] {
  const cutoff = Math.min(firstLive ?? Number.POSITIVE_INFINITY, Math.floor(now / sizeMs) * sizeMs);
  const past: Bar[] = [];
  for (const b of history ?? []) {
    if (!(b.time < cutoff) || b.time % sizeMs !== 0 || !Number.isFinite(b.close)) continue;
    const last = past[past.length - 1];
    if (last && b.time <= last.time) continue;
    past.push(b);
  }
  return past;
}

type MutableQuote = { -readonly [K in keyof SymbolQuote]: SymbolQuote[K] };

/**
 * The quote with its symbol, absent fields left absent. Spelled out because `{ ...q, symbol }` falls
 * off V8's fast object-clone path (about 0.7 µs a quote on Node 20, against a few tens of ns here).
 */
function symbolQuote(q: Quote, symbol: string): SymbolQuote {
  const o: MutableQuote = { conId: q.conId, symbol, time: q.time };
  if (q.bid !== undefined) o.bid = q.bid;
  if (q.ask !== undefined) o.ask = q.ask;
  if (q.bidSize !== undefined) o.bidSize = q.bidSize;
  if (q.askSize !== undefined) o.askSize = q.askSize;
  if (q.last !== undefined) o.last = q.last;
  if (q.lastSize !== undefined) o.lastSize = q.lastSize;
  if (q.volume !== undefined) o.volume = q.volume;
  if (q.high !== undefined) o.high = q.high;
  if (q.low !== undefined) o.low = q.low;
  if (q.open !== undefined) o.open = q.open;
  if (q.close !== undefined) o.close = q.close;
  return o;
}
