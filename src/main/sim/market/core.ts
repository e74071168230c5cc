// The model's shared machinery: per-instrument state, the tick and summary caches, and range aggregation.
import { PriceGrid } from './grid';
import { INTERVAL_MS, PriceProcess, processParams } from './process';
import { calendarKindFor, TradingCalendar } from './sessions';
import { Accumulator, S_COUNT, S_MID, S_TRADE, S_TRADES, SummaryStore } from './summary';
import { GeneratorScratch, generateInterval, TickBuffer } from './ticks';
import type { InstrumentSpec, MarketModelOptions } from './types';
import { DAY_MS } from '../../clock';

/**
 * Generated intervals kept for the pollers of recent ticks (small windows every 20–50 ms), as compact
 * typed arrays (40 bytes a tick): objects are made only for the ticks a caller asks for.
 */
const TICK_CACHE_MAX_TICKS = 500_000;

export interface Entry {
  readonly slot: number;
  readonly instrument: InstrumentSpec;
  readonly grid: PriceGrid;
  readonly calendar: TradingCalendar;
  readonly process: PriceProcess;
}

export class MarketCore {
  readonly entries: readonly Entry[];
  readonly byConId = new Map<number, Entry>();
  readonly originMs: number;
  private readonly scratchGen = new GeneratorScratch();
  private readonly buffer = new TickBuffer();
  private readonly summaries = new SummaryStore();
  private readonly scratch = new Accumulator();
  private readonly tickCache = new Map<number, TickBuffer>();
  private cachedTicks = 0;

  constructor(options: MarketModelOptions) {
    const historyDays = options.historyDays ?? 5;
    this.originMs = options.startMs - historyDays * DAY_MS;
    // One calendar per kind: they are pure functions of the date, so instruments can share their memo.
    const calendars = new Map<string, TradingCalendar>();
    this.entries = options.instruments.map((instrument, slot) => {
      if (this.byConId.has(instrument.conId)) throw new Error(`Duplicate instrument conId ${instrument.conId}`);
      const kind = calendarKindFor(instrument, options.sessions);
      let calendar = calendars.get(kind);
      if (calendar === undefined) {
        calendar = new TradingCalendar(kind);
        calendars.set(kind, calendar);
      }
      const params = processParams(instrument, kind, options.tickRate, options.startMs);
      const process = new PriceProcess(instrument, params, calendar, options.seed, this.originMs);
      const entry: Entry = { slot, instrument, grid: new PriceGrid(instrument.minTick), calendar, process };
      this.byConId.set(instrument.conId, entry);
      return entry;
    });
  }

  /** Generates interval `index` (into the shared buffer unless given one) and records its summary. */
  generate(entry: Entry, index: number, into: TickBuffer = this.buffer): TickBuffer {
    generateInterval(entry.process, entry.grid, index, this.scratchGen, into);
    const acc = this.scratch;
    acc.reset();
    acc.addTicks(into, 0, into.count);
    const { chunk, offset } = this.summaries.locate(entry.slot, index);
    chunk.set(acc.v, offset);
    return into;
  }

  /** The ticks of interval `index`, from the cache (LRU by tick count) or generated into it. */
  intervalTicks(entry: Entry, index: number): TickBuffer {
    const key = entry.slot * 2 ** 32 + index;
    const hit = this.tickCache.get(key);
    if (hit !== undefined) {
      this.tickCache.delete(key);
      this.tickCache.set(key, hit);
      return hit;
    }
    const ticks = this.generate(entry, index, new TickBuffer(entry.process.ticksIn(index)));
    this.tickCache.set(key, ticks);
    this.cachedTicks += ticks.count;
    while (this.cachedTicks > TICK_CACHE_MAX_TICKS && this.tickCache.size > 1) {
      const oldest = this.tickCache.entries().next();
      if (oldest.done === true) break;
      this.tickCache.delete(oldest.value[0]);
      this.cachedTicks -= oldest.value[1].count;
    }
    return ticks;
  }

  /** The summary of interval `index` (computing it if needed): the array and the offset in it. */
  summary(entry: Entry, index: number): { chunk: Float64Array; offset: number } {
    const located = this.summaries.locate(entry.slot, index);
    if ((located.chunk[located.offset + S_COUNT] ?? -1) < 0) {
      this.generate(entry, index);
      return this.summaries.locate(entry.slot, index);
    }
    return located;
  }

  /**
   * Adds to `acc` every tick with from ≤ time < to and time ≤ maxTime, in open (or, with `rth`, liquid)
   * periods. Whole intervals come from summaries; partial ones are generated and filtered.
   */
  accumulate(entry: Entry, acc: Accumulator, from: number, to: number, maxTime: number, rth: boolean): void {
    const process = entry.process;
    const last = Math.min(Math.ceil(to / INTERVAL_MS), Math.floor(maxTime / INTERVAL_MS) + 1);
    let i = Math.max(process.firstIndex, Math.floor(from / INTERVAL_MS));
    while (i < last) {
      const t = i * INTERVAL_MS;
      const session = entry.calendar.sessionFrom(t);
      if (session === undefined) return;
      const lo = rth ? session.liquidStart : session.start;
      const hi = rth ? session.liquidEnd : session.end;
      if (t >= hi) {
        i = Math.ceil(session.end / INTERVAL_MS);
        continue;
      }
      if (t < lo) {
        i = Math.ceil(lo / INTERVAL_MS);
        continue;
      }
      const stop = Math.min(last, Math.ceil(hi / INTERVAL_MS));
      for (; i < stop; i++) {
        const start = i * INTERVAL_MS;
        const end = start + INTERVAL_MS;
        if (start >= from && end <= to && end <= maxTime) {
          const { chunk, offset } = this.summary(entry, i);
          acc.addSummary(chunk, offset);
        } else {
          // A partial interval is usually the current one, which the tick pollers have cached.
          const buf = this.intervalTicks(entry, i);
          let j = 0;
          while (j < buf.count && (buf.time[j] ?? 0) < from) j++;
          let k = j;
          while (k < buf.count && (buf.time[k] ?? 0) < to && (buf.time[k] ?? 0) <= maxTime) k++;
          acc.addTicks(buf, j, k);
        }
      }
    }
  }

  /** The last price (trade, or midpoint without trades) of the ticks in [from, to), searched from the end. */
  lastPrice(entry: Entry, from: number, to: number): number | undefined {
    const first = Math.max(entry.process.firstIndex, Math.floor(from / INTERVAL_MS));
    const trades = entry.instrument.hasTrades;
    for (let i = Math.ceil(to / INTERVAL_MS) - 1; i >= first; i--) {
      const { chunk, offset } = this.summary(entry, i);
      if (trades && (chunk[offset + S_TRADES] ?? 0) > 0) return entry.grid.price(chunk[offset + S_TRADE + 3] ?? 0);
      if (!trades && (chunk[offset + S_COUNT] ?? 0) > 0) return entry.grid.halfPrice(chunk[offset + S_MID + 3] ?? 0);
    }
    return undefined;
  }
}
