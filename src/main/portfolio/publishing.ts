// Publishing the books: `position.<word>` (Position) and `equity` (EquitySnapshot). Fills, commissions,
// syncs and the day roll publish at once; marks at most once per publishIntervalMs, the rest coalesced
// into one trailing publish with the latest values.
import type { EquitySnapshot } from '../../shared';
import { topicWord } from '../../shared/stream';
import type { CoreTopics, MessageBus } from '../bus';
import type { Clock, TimerHandle } from '../clock';
import type { Book, Books } from './books';
import { later, type DayAnchors, type DayState } from './day-anchors';

export class Publisher {
  private readonly dirty = new Set<Book>();
  private equityDirty = false;
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  private flushTimer: TimerHandle | undefined;
  private lastPublishedEquity: number | undefined;
  private closed = false;

  constructor(
    private readonly bus: MessageBus<CoreTopics>,
    private readonly clock: Clock,
    private readonly books: Books,
    private readonly anchors: DayAnchors,
    private readonly intervalMs: number,
    /** Nothing is published before the first venue sync. */
    private readonly seeded: () => boolean,
  ) {}

  /** A position changed: published with the next flush. */
  position(book: Book): void {
    this.dirty.add(book);
  }

  /** Every position and the equity are published with the next flush. */
  all(): void {
    for (const b of this.books.byConId.values()) this.dirty.add(b);
    this.equityDirty = true;
  }

  equity(): void {
    this.equityDirty = true;
  }

  /** Publishes now, or at the end of the interval when the last publish was less than an interval ago. */
  soon(): void {
    if (this.flushTimer !== undefined || this.closed) return;
    const wait = this.lastFlushAt + this.intervalMs - this.clock.now();
    if (wait <= 0) {
      this.now();
      return;
    }
    this.flushTimer = later(
      this.clock,
      () => {
        this.flushTimer = undefined;
        this.now();
      },
      wait,
    );
  }

  now(): void {
    if (!this.seeded() || this.closed) return;
    this.lastFlushAt = this.clock.now();
    const books = [...this.dirty];
    this.dirty.clear();
    for (const b of books) this.bus.publish(`position.${topicWord(this.books.nameOf(b))}`, this.books.toPosition(b));
    if (this.equityDirty) {
      this.equityDirty = false;
      const snap = this.snapshot();
      this.lastPublishedEquity = snap.equity;
      this.bus.publish('equity', snap);
    }
  }

  snapshot(): EquitySnapshot {
    const day = this.anchors.current as DayState;
    const high = this.anchors.high;
    const equity = this.books.equity();
    return {
      equity,
      previousEquity: this.lastPublishedEquity ?? day.startEquity,
      maxEquityEver: Math.max(high?.equity ?? equity, equity),
      dailyStartEquity: day.startEquity,
      dailyMaxEquity: day.maxEquity,
      dailyMinEquity: day.minEquity,
      totalPnl: equity - day.startEquity,
      realizedPnl: day.realized,
      unrealizedPnl: this.books.unrealized(),
      commissions: day.commissions,
      totalTrades: day.trades,
      ...(day.lastTradeAt === undefined ? {} : { lastTradeAt: day.lastTradeAt }),
      at: this.clock.now(),
    };
  }

  close(): void {
    this.closed = true;
    this.clock.clearTimer(this.flushTimer);
  }
}
