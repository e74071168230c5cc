// Trading calendars: when each kind of instrument trades, as sessions grouped by trading date.
// Rules are in New York time (DST via Intl). No holiday calendar: every weekday is a trading day,
// which is enough for a simulator and keeps the model free of yearly data.
import type { InstrumentSpec, SessionMode } from './types';
import { localTime, localToUtc, MINUTE_MS, weekdayOf } from '../../clock';

export const NEW_YORK = 'America/New_York';

/**
 * - always: open around the clock; trading dates are New York calendar days.
 * - us-stock: 09:30–16:00 New York, Mon–Fri (no pre/post market).
 * - fx: Sunday 17:00 to Friday 17:00 New York; the trading date D runs from D-1 17:00 to D 17:00.
 * - cme: Globex equity futures, D-1 18:00 to D 17:00 New York (a 17:00–18:00 break), liquid 09:30–16:00.
 */
export type CalendarKind = 'always' | 'us-stock' | 'fx' | 'cme';

export interface Session {
  /** The trading date (New York day number) this session belongs to. */
  readonly date: number;
  readonly start: number;
  readonly end: number;
  readonly liquidStart: number;
  readonly liquidEnd: number;
  /** Whether the market was shut long enough before this session to open with a gap (overnight news). */
  readonly gapBefore: boolean;
}

export interface TradingDay {
  readonly date: number;
  /** The trading day's boundaries: daily volume and the day's open/high/low belong to [start, end). */
  readonly start: number;
  readonly end: number;
  readonly session: Session | undefined;
}

/** A break this long or longer lets the price gap at the next open. */
const GAP_MIN_CLOSED_MS = 30 * MINUTE_MS;
/** Sessions are never further apart than a weekend; 10 days bounds every search. */
const SEARCH_DAYS = 10;

export function calendarKindFor(instrument: InstrumentSpec, mode: SessionMode): CalendarKind {
  if (mode === 'always') return 'always';
  switch (instrument.secType) {
    case 'STK':
      return 'us-stock';
    case 'CASH':
      return 'fx';
    case 'FUT':
      return 'cme';
  }
}

interface RawSession {
  readonly start: number;
  readonly end: number;
  readonly liquidStart: number;
  readonly liquidEnd: number;
}

function rawSession(kind: CalendarKind, date: number): RawSession | undefined {
  if (kind === 'always') {
    const start = localToUtc(NEW_YORK, date, 0);
    const end = localToUtc(NEW_YORK, date + 1, 0);
    return { start, end, liquidStart: start, liquidEnd: end };
  }
  const weekday = weekdayOf(date);
  if (weekday === 0 || weekday === 6) return undefined;
  switch (kind) {
    case 'us-stock': {
      const start = localToUtc(NEW_YORK, date, 9 * 60 + 30);
      const end = localToUtc(NEW_YORK, date, 16 * 60);
      return { start, end, liquidStart: start, liquidEnd: end };
    }
    case 'fx': {
      const start = localToUtc(NEW_YORK, date - 1, 17 * 60);
      const end = localToUtc(NEW_YORK, date, 17 * 60);
      return { start, end, liquidStart: start, liquidEnd: end };
    }
    case 'cme':
      return {
        start: localToUtc(NEW_YORK, date - 1, 18 * 60),
        end: localToUtc(NEW_YORK, date, 17 * 60),
        liquidStart: localToUtc(NEW_YORK, date, 9 * 60 + 30),
        liquidEnd: localToUtc(NEW_YORK, date, 16 * 60),
      };
  }
}

/** One instrument kind's calendar, memoised per trading date. */
export class TradingCalendar {
  private readonly days = new Map<number, TradingDay>();

  constructor(readonly kind: CalendarKind) {}

  /** Whether trading dates start at 17:00 New York the evening before (FX and CME) rather than at midnight. */
  private get eveningBoundary(): boolean {
    return this.kind === 'fx' || this.kind === 'cme';
  }

  day(date: number): TradingDay {
    let day = this.days.get(date);
    if (day !== undefined) return day;
    const start = this.eveningBoundary ? localToUtc(NEW_YORK, date - 1, 17 * 60) : localToUtc(NEW_YORK, date, 0);
    const end = this.eveningBoundary ? localToUtc(NEW_YORK, date, 17 * 60) : localToUtc(NEW_YORK, date + 1, 0);
    const raw = rawSession(this.kind, date);
    let session: Session | undefined;
    if (raw !== undefined) {
      let prevEnd: number | undefined;
      for (let d = date - 1; d >= date - SEARCH_DAYS && prevEnd === undefined; d--) prevEnd = rawSession(this.kind, d)?.end;
      const gapBefore = prevEnd !== undefined && raw.start - prevEnd >= GAP_MIN_CLOSED_MS;
      session = { date, ...raw, gapBefore };
    }
    day = { date, start, end, session };
    this.days.set(date, day);
    return day;
  }

  /** The trading date whose [start, end) contains `t`. */
  dateOf(t: number): number {
    const local = localTime(NEW_YORK, t);
    return this.eveningBoundary && local.minuteOfDay >= 17 * 60 ? local.dayNum + 1 : local.dayNum;
  }

  /** The session that contains `t`, if the market is open then. */
  sessionAt(t: number): Session | undefined {
    const session = this.day(this.dateOf(t)).session;
    return session !== undefined && session.start <= t && t < session.end ? session : undefined;
  }

  /** The session that contains `t`, or else the next one. */
  sessionFrom(t: number): Session | undefined {
    const first = this.dateOf(t);
    for (let d = first; d <= first + SEARCH_DAYS; d++) {
      const session = this.day(d).session;
      if (session !== undefined && session.end > t) return session;
    }
    return undefined;
  }

  /** The last session that ended at or before `t`. */
  sessionBefore(t: number): Session | undefined {
    const first = this.dateOf(t);
    for (let d = first; d >= first - SEARCH_DAYS; d--) {
      const session = this.day(d).session;
      if (session !== undefined && session.end <= t) return session;
    }
    return undefined;
  }
}
