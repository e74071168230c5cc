// Outgoing pacing. IB allows 50 messages a second per client, counted as they arrive (error 100
// beyond, and a disconnect if it goes on). DualDesk sends at an even `perSecond` (default 40, one
// every 25 ms) with a burst of at most `burst` (5), so any one-second window holds at most 45 even
// when network jitter bunches arrivals; it takes cancels first, then orders, then subscriptions and
// other requests, then historical data. Historical
// requests additionally pass IB's historical pacing rules before they queue here (HistoricalGate).
import type { Clock, TimerHandle } from '../clock';

export const PRIORITIES = ['cancel', 'order', 'subscription', 'historical'] as const;
export type Priority = (typeof PRIORITIES)[number];

interface Job {
  readonly run: () => void;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

export class PacerClosedError extends Error {
  override readonly name = 'PacerClosedError';
}

export class Pacer {
  private readonly queues: Job[][] = PRIORITIES.map(() => []);
  private readonly interval: number;
  private readonly tolerance: number;
  /** GCRA's theoretical arrival time: when the next message is due at the steady rate. */
  private due = Number.NEGATIVE_INFINITY;
  private timer: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    perSecond = 40,
    private readonly onSent: (priority: Priority) => void = () => undefined,
    burst = 5,
  ) {
    if (!(perSecond > 0 && perSecond + burst <= 50)) throw new RangeError('IB allows at most 50 messages a second: rate plus burst must stay within it');
    this.interval = 1000 / perSecond;
    this.tolerance = (burst - 1) * this.interval;
  }

  /** Queues `run` (which writes one message); resolves once it has run. */
  send(priority: Priority, run: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queues[PRIORITIES.indexOf(priority)]?.push({ run, resolve, reject });
      this.drain();
    });
  }

  get depth(): number {
    return this.queues.reduce((n, q) => n + q.length, 0);
  }

  /** Drops everything queued (the connection is gone: those messages must not go to the next one). */
  clear(reason: string): void {
    this.clock.clearTimer(this.timer);
    this.timer = undefined;
    for (const q of this.queues) for (const job of q.splice(0)) job.reject(new PacerClosedError(reason));
  }

  private drain(): void {
    for (;;) {
      const now = this.clock.now();
      const index = this.queues.findIndex((q) => q.length > 0);
      if (index < 0) return;
      const due = Math.max(this.due, now);
      if (due - now > this.tolerance) {
        if (!this.timer) {
          this.timer = this.clock.setTimeout(
            () => {
              this.timer = undefined;
              this.drain();
            },
            due - this.tolerance - now,
          );
        }
        return;
      }
      const job = (this.queues[index] as Job[]).shift() as Job;
      this.due = due + this.interval;
      try {
        job.run();
        this.onSent(PRIORITIES[index] as Priority);
        job.resolve();
      } catch (err) {
        job.reject(err as Error);
      }
    }
  }
}

/** What identifies a historical request for IB's pacing rules. */
export interface HistoricalKey {
  readonly contract: string;
  readonly whatToShow: string;
  /** Everything else that makes two requests identical (end, duration, bar size, RTH). */
  readonly details: string;
  readonly barSizeSeconds: number;
}

const SMALL_BAR_SECONDS = 30;
const IDENTICAL_MS = 15_000;
const SAME_CONTRACT_MS = 2_000;
const SAME_CONTRACT_MAX = 5;
const TEN_MINUTES_MS = 600_000;
const TEN_MINUTES_MAX = 60;
const MAX_IN_FLIGHT = 40;

/**
 * IB's historical-data pacing, applied before a request is sent: for bars of 30 s or less, no
 * identical request within 15 s, at most 5 for one contract and data type in 2 s, at most 60 in
 * 10 minutes; and never more than 40 historical requests open at once (IB's limit is 50).
 * Requests wait their turn instead of being refused with error 162.
 */
export class HistoricalGate {
  private readonly waiting: { key: HistoricalKey; start: () => void; stop: (err: Error) => void }[] = [];
  private readonly history: { at: number; key: HistoricalKey }[] = [];
  private inFlight = 0;
  // Bumped by clear(): a `done` from before it must not free a slot it no longer holds.
  private generation = 0;
  private timer: TimerHandle | undefined;

  constructor(private readonly clock: Clock) {}

  /** Resolves when `key` may be sent; call the returned `done` when its answer (or error) arrives. */
  admit(key: HistoricalKey): Promise<() => void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({
        key,
        start: () => {
          const generation = this.generation;
          let finished = false;
          resolve(() => {
            if (finished) return;
            finished = true;
            if (generation !== this.generation) return;
            this.inFlight--;
            this.pump();
          });
        },
        stop: reject,
      });
      this.pump();
    });
  }

  /** The connection is gone: waiting requests are refused with `reason`, and open ones no longer count. */
  clear(reason: Error): void {
    this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.generation++;
    this.inFlight = 0;
    for (const item of this.waiting.splice(0)) item.stop(reason);
  }

  private pump(): void {
    this.clock.clearTimer(this.timer);
    this.timer = undefined;
    let wakeAt = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.waiting.length && this.inFlight < MAX_IN_FLIGHT;) {
      const item = this.waiting[i] as { key: HistoricalKey; start: () => void; stop: (err: Error) => void };
      const now = this.clock.now();
      const at = this.earliest(item.key, now);
      if (at <= now) {
        this.waiting.splice(i, 1);
        this.history.push({ at: now, key: item.key });
        this.inFlight++;
        item.start();
      } else {
        wakeAt = Math.min(wakeAt, at);
        i++;
      }
    }
    if (Number.isFinite(wakeAt)) this.timer = this.clock.setTimeout(() => this.pump(), wakeAt - this.clock.now());
  }

  /** The earliest time `key` satisfies every rule, given what was sent. */
  private earliest(key: HistoricalKey, now: number): number {
    while (this.history.length > 0 && now - (this.history[0] as { at: number }).at >= TEN_MINUTES_MS) this.history.shift();
    if (key.barSizeSeconds > SMALL_BAR_SECONDS) return now;
    const small = this.history.filter((h) => h.key.barSizeSeconds <= SMALL_BAR_SECONDS);
    let at = now;
    for (const h of small) {
      if (h.key.contract === key.contract && h.key.whatToShow === key.whatToShow && h.key.details === key.details) at = Math.max(at, h.at + IDENTICAL_MS);
    }
    const same = small.filter((h) => h.key.contract === key.contract && h.key.whatToShow === key.whatToShow && now - h.at < SAME_CONTRACT_MS);
    if (same.length >= SAME_CONTRACT_MAX) at = Math.max(at, (same[same.length - SAME_CONTRACT_MAX] as { at: number }).at + SAME_CONTRACT_MS);
    if (small.length >= TEN_MINUTES_MAX) at = Math.max(at, (small[small.length - TEN_MINUTES_MAX] as { at: number }).at + TEN_MINUTES_MS);
    // A small margin keeps us clear of the venue's own clock edges.
    return at === now ? now : at + 50;
  }
}
