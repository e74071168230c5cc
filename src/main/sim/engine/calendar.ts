// The account's trading-day boundary: 00:00 America/New_York for every instrument (a simplification:
// IB rolls each product at its own session close; one boundary keeps daily P&L easy to reason about).

const ZONE = 'America/New_York';
const formatter = new Intl.DateTimeFormat('en-US', {
  timeZone: ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

interface Parts {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

function partsOf(ms: number): Parts {
  const values: Record<string, number> = {};
  for (const part of formatter.formatToParts(ms)) {
    if (part.type !== 'literal') values[part.type] = Number(part.value);
  }
  return {
    year: values.year ?? 1970,
    month: values.month ?? 1,
    day: values.day ?? 1,
    hour: values.hour ?? 0,
    minute: values.minute ?? 0,
    second: values.second ?? 0,
  };
}

/** New York's offset from UTC at `ms` (negative: -4 h or -5 h). */
function offsetAt(ms: number): number {
  const p = partsOf(ms);
  const wholeSecond = Math.floor(ms / 1000) * 1000;
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - wholeSecond;
}

/** The New York calendar date of `ms`, 'YYYY-MM-DD' (sorts like time). */
export function tradingDayKey(ms: number): string {
  const p = partsOf(ms);
  return `${String(p.year).padStart(4, '0')}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/** Epoch ms of 00:00 New York time on the day containing `ms` (DST switches at 02:00, so midnight is unambiguous). */
export function tradingDayStart(ms: number): number {
  const p = partsOf(ms);
  const midnightAsUtc = Date.UTC(p.year, p.month - 1, p.day);
  const first = midnightAsUtc - offsetAt(midnightAsUtc);
  return midnightAsUtc - offsetAt(first);
}
