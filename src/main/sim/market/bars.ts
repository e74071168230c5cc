// Historical bars: aggregation of the ticks over bar-aligned ranges (through interval summaries, so the
// result is exactly what aggregating ticks() would give, without regenerating cached intervals).
// Sizes under a day align in the instrument's local time; a day or more gives one bar per session
// (weekly and monthly bars are not modelled).
import type { Entry, MarketCore } from './core';
import { Accumulator } from './summary';
import type { Bar, BarQuery } from './types';
import { DAY_MS, zoneOffsetMs } from '../../clock';

/** Start of the bar containing `t`, aligned in the instrument's local time (sizes up to a day). */
function alignDown(t: number, size: number, zone: string): number {
  const local = t + zoneOffsetMs(zone, t);
  return t - (((local % size) + size) % size);
}

export function buildBars(core: MarketCore, entry: Entry, query: BarQuery): Bar[] {
  const size = query.barSizeMs;
  if (!(size > 0) || !(query.durationMs > 0)) return [];
  return size >= DAY_MS ? dailyBars(core, entry, query) : intradayBars(core, entry, query);
}

function intradayBars(core: MarketCore, entry: Entry, query: BarQuery): Bar[] {
  const { endMs, barSizeMs: size, source, rthOnly } = query;
  const forming = query.includeForming === true;
  const zone = entry.instrument.timeZoneId;
  const windowStart = Math.max(endMs - query.durationMs, core.originMs - size);
  const acc = new Accumulator();
  const bars: Bar[] = [];
  let b = alignDown(windowStart, size, zone);
  if (b < windowStart) b += size;
  while (b < endMs) {
    const barEnd = b + size;
    if (barEnd > endMs && !forming) break;
    // Jump over closed stretches (nights, weekends) instead of walking them bar by bar.
    let session = entry.calendar.sessionFrom(b);
    if (session !== undefined && rthOnly && b >= session.liquidEnd) session = entry.calendar.sessionFrom(session.end);
    if (session === undefined) break;
    const opens = rthOnly ? session.liquidStart : session.start;
    if (opens >= barEnd) {
      b = Math.max(barEnd, alignDown(opens, size, zone));
      continue;
    }
    acc.reset();
    core.accumulate(entry, acc, b, barEnd, endMs, rthOnly);
    const bar = acc.toBar(source, b, entry.grid, entry.instrument);
    if (bar !== undefined) bars.push(bar);
    b = barEnd;
  }
  return bars;
}

/** One bar per trading session, stamped with the session's start. */
function dailyBars(core: MarketCore, entry: Entry, query: BarQuery): Bar[] {
  const { endMs, source, rthOnly } = query;
  const forming = query.includeForming === true;
  const windowStart = endMs - query.durationMs;
  const calendar = entry.calendar;
  const acc = new Accumulator();
  const bars: Bar[] = [];
  const lastDate = calendar.dateOf(endMs);
  for (let date = calendar.dateOf(Math.max(windowStart, core.originMs - DAY_MS)); date <= lastDate; date++) {
    const session = calendar.day(date).session;
    if (session === undefined || session.start < windowStart || session.start >= endMs) continue;
    if (session.end > endMs && !forming) continue;
    acc.reset();
    const from = rthOnly ? session.liquidStart : session.start;
    const to = rthOnly ? session.liquidEnd : session.end;
    core.accumulate(entry, acc, from, to, endMs, false);
    const bar = acc.toBar(source, session.start, entry.grid, entry.instrument);
    if (bar !== undefined) bars.push(bar);
  }
  return bars;
}
