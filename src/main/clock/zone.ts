// Time-zone arithmetic over IANA zones with Intl (DST-correct), memoised because Intl is slow (~µs a call).
// Offsets are cached per UTC hour: US zones change offset only on whole UTC hours.

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();
const offsets = new Map<string, Map<number, number>>();
const MAX_CACHED_HOURS = 200_000;

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

function computeOffset(zone: string, utcMs: number): number {
  const fields: Record<string, number> = {};
  for (const part of formatter(zone).formatToParts(new Date(utcMs))) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const local = Date.UTC(fields.year ?? 1970, (fields.month ?? 1) - 1, fields.day ?? 1, fields.hour ?? 0, fields.minute ?? 0, fields.second ?? 0);
  return local - utcMs;
}

/** Local time minus UTC, in ms, for `zone` at the instant `utcMs` (e.g. -4 h for New York in summer). */
export function zoneOffsetMs(zone: string, utcMs: number): number {
  const hour = Math.floor(utcMs / HOUR_MS);
  let cache = offsets.get(zone);
  if (cache === undefined) {
    cache = new Map();
    offsets.set(zone, cache);
  }
  let offset = cache.get(hour);
  if (offset === undefined) {
    offset = computeOffset(zone, hour * HOUR_MS);
    if (cache.size >= MAX_CACHED_HOURS) cache.clear();
    cache.set(hour, offset);
  }
  return offset;
}

/** The UTC instant of a wall-clock time: `dayNum` (days since 1970-01-01 of the local date) + minutes. */
export function localToUtc(zone: string, dayNum: number, minuteOfDay: number): number {
  const wall = dayNum * DAY_MS + minuteOfDay * MINUTE_MS;
  // Two passes: the first guess may sit on the other side of a DST change.
  const guess = wall - zoneOffsetMs(zone, wall);
  return wall - zoneOffsetMs(zone, guess);
}

export interface LocalTime {
  /** Days since 1970-01-01 of the local date. */
  readonly dayNum: number;
  readonly minuteOfDay: number;
  /** 0 = Sunday ... 6 = Saturday. */
  readonly weekday: number;
}

export function localTime(zone: string, utcMs: number): LocalTime {
  const local = utcMs + zoneOffsetMs(zone, utcMs);
  const dayNum = Math.floor(local / DAY_MS);
  return { dayNum, minuteOfDay: Math.floor((local - dayNum * DAY_MS) / MINUTE_MS), weekday: weekdayOf(dayNum) };
}

/** 0 = Sunday; 1970-01-01 was a Thursday. */
export function weekdayOf(dayNum: number): number {
  return (((dayNum + 4) % 7) + 7) % 7;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** 'YYYYMMDD' of a day number. */
export function formatDay(dayNum: number): string {
  const d = new Date(dayNum * DAY_MS);
  return `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}`;
}

/** IB's 'YYYYMMDD:HHMM' of an instant in `zone`. */
export function formatLocalMinute(zone: string, utcMs: number): string {
  const t = localTime(zone, utcMs);
  return `${formatDay(t.dayNum)}:${pad(Math.floor(t.minuteOfDay / 60), 2)}${pad(t.minuteOfDay % 60, 2)}`;
}

/** Day number of a civil date (month 1-12). */
export function dayNumOf(year: number, month: number, day: number): number {
  return Math.floor(Date.UTC(year, month - 1, day) / DAY_MS);
}

/**
 * TWS's date-times: 'yyyyMMdd-HH:mm:ss' is UTC; 'yyyyMMdd HH:mm:ss <IANA zone>' is in that zone;
 * 'yyyyMMdd HH:mm:ss' (one or two spaces) is in `defaultZone`; 'yyyyMMdd' alone is that day's
 * midnight in `defaultZone`. Returns undefined for anything else (including unknown zones).
 */
export function parseWallTime(text: string, defaultZone: string): number | undefined {
  const t = text.trim();
  let m = /^(\d{4})(\d{2})(\d{2})-(\d{2}):(\d{2}):(\d{2})$/.exec(t);
  if (m) return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  m = /^(\d{4})(\d{2})(\d{2})(?:\s+(\d{2}):(\d{2}):(\d{2}))?(?:\s+(\S+))?$/.exec(t);
  if (!m) return undefined;
  const zone = m[7] ?? defaultZone;
  try {
    zoneOffsetMs(zone, 0);
  } catch {
    return undefined;
  }
  const day = dayNumOf(+m[1]!, +m[2]!, +m[3]!);
  const seconds = m[4] === undefined ? 0 : +m[4] * 3600 + +m[5]! * 60 + +m[6]!;
  return localToUtc(zone, day, Math.floor(seconds / 60)) + (seconds % 60) * 1000;
}
