// Times and durations in the forms TWS uses on the wire.
import { dayNumOf, localToUtc, parseWallTime, zoneOffsetMs } from '../../clock';

/** The time zone the simulated TWS reports in (a US trader's TWS, like the exchanges listed). */
export const TWS_TIME_ZONE = 'America/New_York';

export interface LocalParts {
  readonly year: string;
  readonly month: string;
  readonly day: string;
  readonly hour: string;
  readonly minute: string;
  readonly second: string;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

export function localParts(ms: number, timeZone: string): LocalParts {
  const local = new Date(ms + zoneOffsetMs(timeZone, ms));
  return {
    year: pad(local.getUTCFullYear(), 4),
    month: pad(local.getUTCMonth() + 1),
    day: pad(local.getUTCDate()),
    hour: pad(local.getUTCHours()),
    minute: pad(local.getUTCMinutes()),
    second: pad(local.getUTCSeconds()),
  };
}

/** "20261121 09:30:15" in the zone. */
export function formatLocal(ms: number, timeZone: string): string {
  const p = localParts(ms, timeZone);
  return `${p.year}${p.month}${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

/** "20261121 09:30:15 America/New_York": TWS's format for execution and bar times. */
export function formatWithZone(ms: number, timeZone: string): string {
  return `${formatLocal(ms, timeZone)} ${timeZone}`;
}

export function formatDay(ms: number, timeZone: string): string {
  const p = localParts(ms, timeZone);
  return `${p.year}${p.month}${p.day}`;
}

/** Epoch ms of a wall-clock time in a zone (DST-correct away from the ambiguous hour). */
export function fromLocal(year: number, month: number, day: number, h: number, m: number, s: number, timeZone: string): number {
  return localToUtc(timeZone, dayNumOf(year, month, day), h * 60 + m) + s * 1000;
}

export class FormatError extends Error {
  override readonly name = 'FormatError';
}

/**
 * A request's end time: '' is now; otherwise one of TWS's date-time forms (see parseWallTime), with
 * TWS's zone as the default and a bare date meaning the end of that day.
 */
export function parseEndDateTime(text: string, now: number): number {
  const t = text.trim();
  if (t === '') return now;
  const at = parseWallTime(t, TWS_TIME_ZONE);
  if (at === undefined) throw new FormatError(`end date/time '${t}' is not yyyyMMdd HH:mm:ss [zone] or yyyyMMdd-HH:mm:ss (or the zone is unknown)`);
  return /^\d{8}(\s+\S+)?$/.test(t) && !/\d{2}:\d{2}/.test(t) ? at + DAY : at;
}

const SECOND = 1000;
const DAY = 86_400_000;

/** '3600 S', '2 D', '1 W', '1 M', '1 Y' → ms (months and years in calendar-ish days). */
export function parseDuration(text: string): number {
  const m = /^(\d+)\s+([SDWMY])$/i.exec(text.trim());
  if (!m) throw new FormatError(`duration '${text}' is not '<n> S|D|W|M|Y'`);
  const n = Number(m[1]);
  if (n <= 0) throw new FormatError(`duration '${text}' must be positive`);
  const unit = m[2]!.toUpperCase();
  const per = unit === 'S' ? SECOND : unit === 'D' ? DAY : unit === 'W' ? 7 * DAY : unit === 'M' ? 30 * DAY : 365 * DAY;
  return n * per;
}

const BAR_SIZES: Readonly<Record<string, number>> = {
  '5 secs': 5 * SECOND,
  '10 secs': 10 * SECOND,
  '15 secs': 15 * SECOND,
  '30 secs': 30 * SECOND,
  '1 min': 60 * SECOND,
  '2 mins': 120 * SECOND,
  '3 mins': 180 * SECOND,
  '5 mins': 300 * SECOND,
  '15 mins': 900 * SECOND,
  '30 mins': 1800 * SECOND,
  '1 hour': 3600 * SECOND,
  '1 day': DAY,
};

/** The bar sizes the simulator serves, as TWS names them. */
export function parseBarSize(text: string): number {
  const size = BAR_SIZES[text.trim().toLowerCase().replace(/\s+/g, ' ')];
  if (size === undefined) throw new FormatError(`bar size '${text}' is not one of ${Object.keys(BAR_SIZES).join(', ')}`);
  return size;
}

export const DAY_MS = DAY;
