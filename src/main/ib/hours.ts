// IB's trading-hours strings, e.g. '20261117:0930-20261117:1600;20261118:CLOSED' (in the contract's
// time zone), turned into instants, so the staleness watchdog knows when a silent feed is expected.
import { dayNumOf, localToUtc } from '../clock';

export interface Session {
  readonly start: number;
  readonly end: number;
}

/** 'YYYYMMDD' and 'HHMM' in `timeZone` → epoch ms. */
function instant(date: string, time: string, timeZone: string): number {
  const day = dayNumOf(Number(date.slice(0, 4)), Number(date.slice(4, 6)), Number(date.slice(6, 8)));
  return localToUtc(timeZone, day, Number(time.slice(0, 2)) * 60 + Number(time.slice(2, 4)));
}

/** The sessions listed in an IB hours string; unreadable parts are skipped. */
export function parseTradingHours(hours: string, timeZone: string): Session[] {
  const sessions: Session[] = [];
  for (const part of hours.split(';')) {
    // Current format: '20261117:0930-20261117:1600'.
    const full = /^(\d{8}):(\d{4})-(\d{8}):(\d{4})$/.exec(part);
    if (full) {
      sessions.push({ start: instant(full[1]!, full[2]!, timeZone), end: instant(full[3]!, full[4]!, timeZone) });
      continue;
    }
    // Older format: '20090507:0700-1830,1830-2330' (times on that date; an end before its start is the next day).
    const old = /^(\d{8}):(\d{4}-\d{4}(?:,\d{4}-\d{4})*)$/.exec(part);
    if (!old) continue;
    for (const range of old[2]!.split(',')) {
      const [from, to] = range.split('-') as [string, string];
      const start = instant(old[1]!, from, timeZone);
      let end = instant(old[1]!, to, timeZone);
      if (end <= start) end += 86_400_000;
      sessions.push({ start, end });
    }
  }
  return sessions.filter((s) => s.end > s.start).sort((a, b) => a.start - b.start);
}

/**
 * Whether the market is open at `at` according to `sessions`; `undefined` when the hours do not
 * cover `at` at all (then the caller should assume open rather than miss a dead feed).
 */
export function isOpenAt(sessions: readonly Session[], at: number): boolean | undefined {
  if (sessions.length === 0) return undefined;
  const first = sessions[0] as Session;
  const last = sessions[sessions.length - 1] as Session;
  if (at < first.start - 86_400_000 || at > last.end + 86_400_000) return undefined;
  return sessions.some((s) => at >= s.start && at < s.end);
}
