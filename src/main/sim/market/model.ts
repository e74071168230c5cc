// The MarketModel: the public face over the core (process, calendars, caches).
import { buildBars } from './bars';
import { type Entry, MarketCore } from './core';
import { INTERVAL_MS } from './process';
import { resolveContract } from './resolve';
import { Accumulator, S_MID, S_TRADE } from './summary';
import { tickAt } from './ticks';
import type { Bar, BarQuery, ContractQuery, DaySummary, InstrumentSpec, MarketModel, MarketModelOptions, MarketTick } from './types';
import { formatDay, formatLocalMinute, localTime } from '../../clock';

/** Days listed by hours(): the day of the query and the six after it. */
const HOURS_DAYS = 7;
/** How far back daySummary looks for the previous session. */
const PREVIOUS_SESSION_DAYS = 10;

export function createMarketModel(options: MarketModelOptions): MarketModel {
  if (!Number.isFinite(options.startMs)) throw new RangeError('startMs must be a finite epoch time');
  if (!(options.tickRate > 0) || !Number.isFinite(options.tickRate)) throw new RangeError('tickRate must be a positive number');
  if (options.historyDays !== undefined && !(options.historyDays >= 0)) throw new RangeError('historyDays must be >= 0');
  const core = new MarketCore(options);
  const instruments: readonly InstrumentSpec[] = Object.freeze([...options.instruments]);

  const entryOf = (conId: number): Entry | undefined => core.byConId.get(conId);
  const requireEntry = (conId: number): Entry => {
    const entry = entryOf(conId);
    if (entry === undefined) throw new RangeError(`Unknown conId ${conId}`);
    return entry;
  };

  function ticks(conId: number, fromExclusive: number, toInclusive: number): MarketTick[] {
    const entry = entryOf(conId);
    const out: MarketTick[] = [];
    if (entry === undefined || !(toInclusive > fromExclusive)) return out;
    const last = Math.floor(toInclusive / INTERVAL_MS);
    let i = Math.max(entry.process.firstIndex, Math.floor(fromExclusive / INTERVAL_MS));
    while (i <= last) {
      const t = i * INTERVAL_MS;
      const session = entry.calendar.sessionFrom(t);
      if (session === undefined || session.start > toInclusive) break;
      if (t < session.start) {
        i = Math.ceil(session.start / INTERVAL_MS);
        continue;
      }
      const stop = Math.min(last, Math.ceil(session.end / INTERVAL_MS) - 1);
      for (; i <= stop; i++) {
        const interval = core.intervalTicks(entry, i);
        const start = i * INTERVAL_MS;
        const whole = start > fromExclusive && start + INTERVAL_MS <= toInclusive;
        const from = whole ? 0 : interval.firstAfter(fromExclusive);
        const to = whole ? interval.count : interval.firstAfter(toInclusive);
        for (let j = from; j < to; j++) out.push(tickAt(interval, j, entry.grid, entry.instrument.lotSize));
      }
    }
    return out;
  }

  function lastTick(conId: number, atMs: number): MarketTick | undefined {
    const entry = entryOf(conId);
    if (entry === undefined) return undefined;
    let i = Math.floor(atMs / INTERVAL_MS);
    while (i >= entry.process.firstIndex) {
      const t = i * INTERVAL_MS;
      if (entry.calendar.sessionAt(t) === undefined) {
        const previous = entry.calendar.sessionBefore(t);
        if (previous === undefined) return undefined;
        i = Math.ceil(previous.end / INTERVAL_MS) - 1;
        continue;
      }
      const interval = core.intervalTicks(entry, i);
      const n = interval.firstAfter(atMs);
      if (n > 0) return tickAt(interval, n - 1, entry.grid, entry.instrument.lotSize);
      i--;
    }
    return undefined;
  }

  function bars(conId: number, query: BarQuery): Bar[] {
    const entry = entryOf(conId);
    return entry === undefined ? [] : buildBars(core, entry, query);
  }

  function daySummary(conId: number, atMs: number): DaySummary {
    const entry = requireEntry(conId);
    const { calendar, grid, instrument } = entry;
    const date = calendar.dateOf(atMs);
    const session = calendar.day(date).session;
    const acc = new Accumulator();
    if (session !== undefined && session.start <= atMs) core.accumulate(entry, acc, session.start, session.end, atMs, false);
    const v = acc.v;
    let open: number | undefined;
    let high: number | undefined;
    let low: number | undefined;
    if (instrument.hasTrades && acc.trades > 0) {
      open = grid.price(v[S_TRADE] ?? 0);
      high = grid.price(v[S_TRADE + 1] ?? 0);
      low = grid.price(v[S_TRADE + 2] ?? 0);
    } else if (!instrument.hasTrades && acc.count > 0) {
      open = grid.halfPrice(v[S_MID] ?? 0);
      high = grid.halfPrice(v[S_MID + 1] ?? 0);
      low = grid.halfPrice(v[S_MID + 2] ?? 0);
    }
    let prevClose: number | undefined;
    for (let d = date - 1; d >= date - PREVIOUS_SESSION_DAYS && prevClose === undefined; d--) {
      const previous = calendar.day(d).session;
      if (previous === undefined) continue;
      if (previous.end <= core.originMs) break;
      prevClose = core.lastPrice(entry, previous.start, previous.end);
    }
    // Before the origin there is no history: the process's starting price stands in.
    prevClose ??= grid.price(Math.round(grid.ticksOf(instrument.basePrice)));
    return { open, high, low, prevClose, volume: acc.tradeLots * instrument.lotSize };
  }

  function isOpen(conId: number, atMs: number, rthOnly = false): boolean {
    const entry = entryOf(conId);
    const session = entry?.calendar.sessionAt(atMs);
    if (session === undefined) return false;
    return !rthOnly || (session.liquidStart <= atMs && atMs < session.liquidEnd);
  }

  function sessionEnd(conId: number, atMs: number): number | undefined {
    return entryOf(conId)?.calendar.sessionAt(atMs)?.end;
  }

  function hours(conId: number, atMs: number): { tradingHours: string; liquidHours: string } {
    const { calendar, instrument } = requireEntry(conId);
    const zone = instrument.timeZoneId;
    const first = localTime(zone, atMs).dayNum;
    const trading: string[] = [];
    const liquid: string[] = [];
    for (let date = first; date < first + HOURS_DAYS; date++) {
      const session = calendar.day(date).session;
      if (session === undefined) {
        trading.push(`${formatDay(date)}:CLOSED`);
        liquid.push(`${formatDay(date)}:CLOSED`);
      } else {
        trading.push(`${formatLocalMinute(zone, session.start)}-${formatLocalMinute(zone, session.end)}`);
        liquid.push(`${formatLocalMinute(zone, session.liquidStart)}-${formatLocalMinute(zone, session.liquidEnd)}`);
      }
    }
    return { tradingHours: trading.join(';'), liquidHours: liquid.join(';') };
  }

  return {
    instruments,
    byConId: (conId) => entryOf(conId)?.instrument,
    resolve: (query: ContractQuery) => resolveContract(instruments, query),
    ticks,
    lastTick,
    bars,
    daySummary,
    isOpen,
    sessionEnd,
    hours,
  };
}
