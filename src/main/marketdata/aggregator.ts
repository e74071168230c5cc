// 5-second bars → 1-minute bars aligned to clock minutes (floor(time / 60 000)), with the forming
// minute published on every 5-second bar, and late or revised bars recomputing a closed minute.
//
// When a minute is final:
// - when its last 5-second bar arrives (the one starting at :55; it covers :55–:60 and the venue sends
//   it as the minute ends), or
// - when a bar of a later minute arrives, or
// - when the injected clock passes the minute's end plus a grace (default 10 s: two 5-second bars'
//   worth). The timer only matters when the feed goes quiet (a halt, the close, a stalled feed): in a
//   live market one of the first two rules closes the minute first.
// A bar for a final minute (late, or a second bar with the same start that differs: a revision)
// recomputes that minute from the 5-second bars kept for it and publishes it again with
// `revised: true`. An identical second bar changes nothing and is only counted. The last
// `windowMinutes` minutes (counted back from the newest minute seen) are kept; an older bar is dropped,
// counted and logged.
//
// The hot path allocates only the Bar it publishes: the 5-second bars of a minute live in a
// preallocated Float64Array per minute, in a ring of `windowMinutes` minutes.
import type { Clock, TimerHandle } from '../clock';
import type { Bar } from '../../shared';

export const BAR_MS = 5_000;
export const MINUTE_MS = 60_000;
const SLOTS = MINUTE_MS / BAR_MS; // 12
const LAST_SLOT = SLOTS - 1;
const FULL = (1 << SLOTS) - 1;
/** Fields kept per 5-second bar: open, high, low, close, volume, wap, count. */
const F = 7;

export const DEFAULT_FINALIZE_GRACE_MS = 10_000;
export const DEFAULT_WINDOW_MINUTES = 10;

export type DropReason = 'too-old' | 'invalid';

export interface MinuteSink {
  /**
   * A 1-minute bar changed. `final`: the minute is closed. `revised`: it had already been published
   * as final (or, for a minute that was skipped and then filled by a late bar, as absent).
   */
  minute(bar: Bar, final: boolean, revised: boolean): void;
  /** A 5-second bar that was not used. */
  dropped(bar: Bar, reason: DropReason): void;
}

export interface AggregatorOptions {
  readonly clock: Clock;
  readonly finalizeGraceMs?: number;
  readonly windowMinutes?: number;
}

export interface AggregatorStats {
  /** 5-second bars received. */
  bars: number;
  /** Identical repeats of a bar already held. */
  duplicates: number;
  /** Changes to minutes already final (late bars and corrections). */
  revisions: number;
  /** Bars for minutes older than the window. */
  dropped: number;
  /** Bars that are not 5-second bars on a 5-second boundary with finite prices. */
  invalid: number;
  /** Minutes closed by the timer rather than by a bar. */
  timerFinals: number;
}

class MinuteSlot {
  /** floor(time / 60 000), or -Infinity when unused. */
  minute = Number.NEGATIVE_INFINITY;
  present = 0;
  final = false;
  readonly data = new Float64Array(SLOTS * F);

  reset(minute: number): void {
    this.minute = minute;
    this.present = 0;
    this.final = false;
  }
}

export class MinuteAggregator {
  readonly stats: AggregatorStats = { bars: 0, duplicates: 0, revisions: 0, dropped: 0, invalid: 0, timerFinals: 0 };
  private readonly clock: Clock;
  private readonly grace: number;
  private readonly window: number;
  private readonly ring: MinuteSlot[];
  /** The newest minute seen (any bar), or -Infinity. */
  private newest = Number.NEGATIVE_INFINITY;
  /** The newest minute while it is not final. */
  private forming: MinuteSlot | undefined;
  private timer: TimerHandle | undefined;
  private readonly onTimer = (): void => this.expire();
  private closed = false;

  constructor(
    private readonly sink: MinuteSink,
    options: AggregatorOptions,
  ) {
    this.clock = options.clock;
    this.grace = options.finalizeGraceMs ?? DEFAULT_FINALIZE_GRACE_MS;
    this.window = options.windowMinutes ?? DEFAULT_WINDOW_MINUTES;
    if (!(Number.isInteger(this.window) && this.window >= 1)) throw new RangeError('windowMinutes must be an integer of at least 1');
    if (!(this.grace >= 0)) throw new RangeError('finalizeGraceMs must be 0 or more');
    this.ring = Array.from({ length: this.window }, () => new MinuteSlot());
  }

  /** One 5-second bar in (`time` = its start, epoch ms). */
  push(bar: Bar): void {
    if (this.closed) return;
    this.stats.bars++;
    const time = bar.time;
    if (!validBar(bar)) {
      this.stats.invalid++;
      this.sink.dropped(bar, 'invalid');
      return;
    }
    const minute = Math.floor(time / MINUTE_MS);
    if (minute <= this.newest - this.window) {
      this.stats.dropped++;
      this.sink.dropped(bar, 'too-old');
      return;
    }
    if (minute > this.newest) {
      // A later minute: the one forming is complete.
      const previous = this.forming;
      if (previous) this.finalize(previous, false);
      this.newest = minute;
    }
    const slot = this.ring[((minute % this.window) + this.window) % this.window] as MinuteSlot;
    if (slot.minute !== minute) {
      slot.reset(minute);
      // A minute below the newest was skipped (no bar) until now: it is already past.
      if (minute < this.newest) slot.final = true;
    }
    const index = (time - minute * MINUTE_MS) / BAR_MS;
    const bit = 1 << index;
    const d = slot.data;
    const at = index * F;
    const volume = bar.volume > 0 ? bar.volume : 0;
    const count = bar.count > 0 ? bar.count : 0;
    const wap = bar.wap > 0 && Number.isFinite(bar.wap) ? bar.wap : bar.close;
    if ((slot.present & bit) !== 0) {
      if (d[at] === bar.open && d[at + 1] === bar.high && d[at + 2] === bar.low && d[at + 3] === bar.close && d[at + 4] === volume && d[at + 5] === wap && d[at + 6] === count) {
        this.stats.duplicates++;
        return;
      }
    }
    d[at] = bar.open;
    d[at + 1] = bar.high;
    d[at + 2] = bar.low;
    d[at + 3] = bar.close;
    d[at + 4] = volume;
    d[at + 5] = wap;
    d[at + 6] = count;
    slot.present |= bit;

    if (slot.final) {
      this.stats.revisions++;
      this.sink.minute(this.build(slot), true, true);
      return;
    }
    // The newest minute, still forming.
    if (this.forming !== slot) {
      this.forming = slot;
      this.schedule(minute);
    }
    if (index === LAST_SLOT || slot.present === FULL) {
      this.finalize(slot, false);
      return;
    }
    // A minute whose first bar comes after its end + grace (a very late feed) is final at once.
    if (this.clock.now() >= (minute + 1) * MINUTE_MS + this.grace) {
      this.finalize(slot, true);
      return;
    }
    this.sink.minute(this.build(slot), false, false);
  }

  /** Stops the timer; later bars are ignored. */
  close(): void {
    this.closed = true;
    this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.forming = undefined;
  }

  private schedule(minute: number): void {
    this.clock.clearTimer(this.timer);
    const due = (minute + 1) * MINUTE_MS + this.grace;
    this.timer = this.clock.setTimeout(this.onTimer, Math.max(0, due - this.clock.now()));
  }

  /** The timer: the forming minute's end + grace has passed. */
  private expire(): void {
    this.timer = undefined;
    const slot = this.forming;
    if (!slot || this.closed) return;
    if (this.clock.now() < (slot.minute + 1) * MINUTE_MS + this.grace) {
      this.schedule(slot.minute);
      return;
    }
    this.finalize(slot, true);
  }

  private finalize(slot: MinuteSlot, byTimer: boolean): void {
    if (this.forming === slot) {
      this.forming = undefined;
      this.clock.clearTimer(this.timer);
      this.timer = undefined;
    }
    if (slot.final) return;
    slot.final = true;
    if (byTimer) this.stats.timerFinals++;
    if (slot.present !== 0) this.sink.minute(this.build(slot), true, false);
  }

  /** The minute from its 5-second bars, in time order. */
  private build(slot: MinuteSlot): Bar {
    const d = slot.data;
    const present = slot.present;
    let open = 0;
    let high = Number.NEGATIVE_INFINITY;
    let low = Number.POSITIVE_INFINITY;
    let close = 0;
    let volume = 0;
    let notional = 0;
    let count = 0;
    let first = true;
    for (let i = 0; i < SLOTS; i++) {
      if ((present & (1 << i)) === 0) continue;
      const at = i * F;
      if (first) {
        open = d[at] as number;
        first = false;
      }
      const h = d[at + 1] as number;
      const l = d[at + 2] as number;
      if (h > high) high = h;
      if (l < low) low = l;
      close = d[at + 3] as number;
      const v = d[at + 4] as number;
      volume += v;
      notional += (d[at + 5] as number) * v;
      count += d[at + 6] as number;
    }
    return { time: slot.minute * MINUTE_MS, open, high, low, close, volume, wap: volume > 0 ? notional / volume : close, count };
  }
}

/** A 5-second bar on a 5-second boundary with finite, ordered prices. */
export function validBar(bar: Bar): boolean {
  const { time, open, high, low, close } = bar;
  return (
    Number.isFinite(time) &&
    time % BAR_MS === 0 &&
    Number.isFinite(open) &&
    Number.isFinite(high) &&
    Number.isFinite(low) &&
    Number.isFinite(close) &&
    high >= low &&
    Number.isFinite(bar.volume) &&
    Number.isFinite(bar.count)
  );
}
