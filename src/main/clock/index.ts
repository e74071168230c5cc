export { AcceleratedClock, systemClock, VirtualClock } from './clock';
export type { Clock, TimerHandle } from './clock';
export { DAY_MS, dayNumOf, formatDay, formatLocalMinute, HOUR_MS, localTime, localToUtc, MINUTE_MS, parseWallTime, weekdayOf, zoneOffsetMs } from './zone';
export type { LocalTime } from './zone';
export { DEFAULT_TRADING_DAY, tradingDayOf, validateTradingDayRule } from './trading-day';
export type { TradingDay, TradingDayRule } from './trading-day';
