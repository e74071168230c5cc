// The trading day's anchors (start, min, max equity, the all-time high) and counters, and their
// persistence: written at once on fills, syncs and rolls, at most every persistIntervalMs for moves from marks.
import { tradingDayOf, type Clock, type TimerHandle, type TradingDay, type TradingDayRule } from '../clock';
import { withoutCorrelation, type Logger } from '../ops';
import type { DayRecord, EquityHigh, PortfolioMemory } from './types';

export interface DayState {
  day: TradingDay;
  startEquity: number;
  minEquity: number;
  maxEquity: number;
  realized: number;
  commissions: number;
  trades: number;
  lastTradeAt: number | undefined;
  startedAt: number;
}

/**
 * A timer of the portfolio's own. Often armed while a fill or an order's event is handled (under that
 * order's correlation id); what it does later is the account's, so it runs under no order's id.
 */
export function later(clock: Clock, fn: () => void, ms: number): TimerHandle {
  return withoutCorrelation(() => clock.setTimeout(fn, ms));
}

export class DayAnchors {
  /** Undefined until the first venue sync opens the day. */
  current: DayState | undefined;
  high: EquityHigh | undefined;
  private persistTimer: TimerHandle | undefined;
  private rollTimer: TimerHandle | undefined;
  private closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly memory: PortfolioMemory,
    private readonly rule: TradingDayRule,
    private readonly persistIntervalMs: number,
  ) {}

  /** Opens the trading day `now` is in: its stored row when there is one (a restart mid-day), else a new one at `equity`. */
  open(now: number, equity: number): void {
    const day = tradingDayOf(now, this.rule);
    const saved = this.memory.loadDay(day.key);
    // The stored high may trail the one in memory (anchor moves from marks are written lazily).
    const stored = this.memory.loadHigh();
    if (stored && (!this.high || stored.equity > this.high.equity)) this.high = stored;
    if (saved) {
      this.current = {
        day,
        startEquity: saved.startEquity,
        minEquity: Math.min(saved.minEquity, equity),
        maxEquity: Math.max(saved.maxEquity, equity),
        realized: saved.realizedPnl,
        commissions: saved.commissions,
        trades: saved.trades,
        lastTradeAt: saved.lastTradeAt,
        startedAt: saved.startedAt,
      };
      this.log.info({ day: day.key, startEquity: saved.startEquity, equity }, 'trading day resumed from the store');
    } else {
      this.current = { day, startEquity: equity, minEquity: equity, maxEquity: equity, realized: 0, commissions: 0, trades: 0, lastTradeAt: undefined, startedAt: now };
      this.log.info({ day: day.key, startEquity: equity }, 'trading day started');
    }
    if (!this.high || equity > this.high.equity) this.high = { equity, at: now };
  }

  /** Whether the open day has ended. */
  ended(now: number): boolean {
    return this.current !== undefined && now >= this.current.day.end;
  }

  /** Equity moved: the day's min and max and the all-time high follow, written soon when one moved. */
  move(equity: number): void {
    const day = this.current as DayState;
    const now = this.clock.now();
    let changed = false;
    if (equity < day.minEquity) {
      day.minEquity = equity;
      changed = true;
    }
    if (equity > day.maxEquity) {
      day.maxEquity = equity;
      changed = true;
    }
    if (!this.high || equity > this.high.equity) {
      this.high = { equity, at: now };
      changed = true;
    }
    if (changed) this.persistSoon();
  }

  /** Calls `roll` when the open day ends. */
  scheduleRoll(roll: () => void): void {
    this.clock.clearTimer(this.rollTimer);
    if (!this.current || this.closed) return;
    this.rollTimer = later(
      this.clock,
      () => {
        this.rollTimer = undefined;
        roll();
      },
      Math.max(0, this.current.day.end - this.clock.now()),
    );
  }

  private persistSoon(): void {
    if (this.persistTimer !== undefined || this.closed) return;
    this.persistTimer = later(this.clock, () => this.persistNow(), this.persistIntervalMs);
  }

  persistNow(): void {
    this.clock.clearTimer(this.persistTimer);
    this.persistTimer = undefined;
    const day = this.current;
    if (!day || !this.high) return;
    const record: DayRecord = {
      day: day.day.key,
      startEquity: day.startEquity,
      minEquity: day.minEquity,
      maxEquity: day.maxEquity,
      realizedPnl: day.realized,
      commissions: day.commissions,
      trades: day.trades,
      ...(day.lastTradeAt === undefined ? {} : { lastTradeAt: day.lastTradeAt }),
      startedAt: day.startedAt,
      updatedAt: this.clock.now(),
    };
    try {
      this.memory.save(record, this.high);
    } catch (err) {
      // The books stay right in memory; the next change tries again.
      this.log.error({ err, day: record.day }, 'portfolio anchors could not be written');
      this.persistSoon();
    }
  }

  /** Stops the roll timer and writes what is pending. */
  close(): void {
    this.closed = true;
    this.clock.clearTimer(this.rollTimer);
    if (this.persistTimer !== undefined) this.persistNow();
  }
}
