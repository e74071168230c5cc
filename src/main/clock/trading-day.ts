// The trading day the portfolio's daily anchors and the risk engine's daily limit belong to. By
// default it rolls at 17:00 America/New_York (IB's and the CME's evening roll): the day dated D runs
// from 17:00 New York on the business day before D to 17:00 on D, and the weekend belongs to Monday
// (Friday 17:00 → Monday 17:00).
import { DAY_MS, localTime, localToUtc } from './zone';

export interface TradingDayRule {
  /** IANA zone the roll time is in. */
  readonly zone: string;
  /** Local minute of the day at which the day rolls (0 = midnight, 1020 = 17:00). */
  readonly rollMinute: number;
}

export const DEFAULT_TRADING_DAY: TradingDayRule = { zone: 'America/New_York', rollMinute: 17 * 60 };

export interface TradingDay {
  /** 'YYYY-MM-DD': the date the day is named after. */
  readonly key: string;
  /** Epoch ms of its first and first-after-last instant. */
  readonly start: number;
  readonly end: number;
}

const weekday = (dayNum: number): number => (((dayNum + 4) % 7) + 7) % 7;

/** Saturday and Sunday belong to Monday. */
function business(dayNum: number): number {
  const w = weekday(dayNum);
  return w === 6 ? dayNum + 2 : w === 0 ? dayNum + 1 : dayNum;
}

function previousBusiness(dayNum: number): number {
  let d = dayNum - 1;
  while (weekday(d) === 0 || weekday(d) === 6) d--;
  return d;
}

export function validateTradingDayRule(rule: TradingDayRule): void {
  if (!Number.isInteger(rule.rollMinute) || rule.rollMinute < 0 || rule.rollMinute >= 1440) {
    throw new RangeError(`trading day roll minute must be an integer in 0..1439, got ${rule.rollMinute}`);
  }
  localTime(rule.zone, 0); // throws on an unknown zone
}

/** The instant the day dated `dayNum` ends (its roll). */
function rollOf(rule: TradingDayRule, dayNum: number): number {
  return rule.rollMinute === 0 ? localToUtc(rule.zone, dayNum + 1, 0) : localToUtc(rule.zone, dayNum, rule.rollMinute);
}

export function tradingDayOf(ms: number, rule: TradingDayRule = DEFAULT_TRADING_DAY): TradingDay {
  const local = localTime(rule.zone, ms);
  const rolled = rule.rollMinute > 0 && local.minuteOfDay >= rule.rollMinute;
  const dayNum = business(local.dayNum + (rolled ? 1 : 0));
  return {
    key: new Date(dayNum * DAY_MS).toISOString().slice(0, 10),
    start: rollOf(rule, previousBusiness(dayNum)),
    end: rollOf(rule, dayNum),
  };
}
