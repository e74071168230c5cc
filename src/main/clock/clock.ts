/** An opaque timer handle. */
export type TimerHandle = { readonly __timer: unique symbol };

/**
 * Time, injected. Everything that reads the time or waits takes a Clock, so the simulator and the
 * tests can run hours of market in seconds (VirtualClock) and the product runs on the system clock.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  setInterval(fn: () => void, ms: number): TimerHandle;
  clearTimer(handle: TimerHandle | undefined): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms) as unknown as TimerHandle,
  setInterval: (fn, ms) => setInterval(fn, ms) as unknown as TimerHandle,
  clearTimer: (handle) => {
    if (handle !== undefined) clearTimeout(handle as unknown as NodeJS.Timeout);
  },
};

interface VirtualTimer {
  readonly id: number;
  due: number;
  readonly every: number | undefined;
  readonly fn: () => void;
}

/**
 * A clock that moves only when told to. `advance(ms)` runs every timer that falls due, in due-time
 * order (ties in creation order), with `now()` set to each timer's due time while it runs.
 */
export class VirtualClock implements Clock {
  private current: number;
  private nextId = 1;
  private readonly timers = new Map<number, VirtualTimer>();

  constructor(startMs: number) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.add(fn, Math.max(0, ms), undefined);
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    if (!(ms > 0)) throw new RangeError('interval must be positive');
    return this.add(fn, ms, ms);
  }

  clearTimer(handle: TimerHandle | undefined): void {
    if (handle !== undefined) this.timers.delete(handle as unknown as number);
  }

  /** Moves time forward by `ms`, firing timers on the way. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError('cannot move a clock backwards');
    this.advanceTo(this.current + ms);
  }

  advanceTo(target: number): void {
    if (target < this.current) throw new RangeError('cannot move a clock backwards');
    for (;;) {
      const next = this.nextDue(target);
      if (!next) break;
      this.current = next.due;
      if (next.every === undefined) this.timers.delete(next.id);
      else next.due += next.every;
      next.fn();
    }
    this.current = target;
  }

  /** Timers still pending (for tests and leak checks). */
  pending(): number {
    return this.timers.size;
  }

  private add(fn: () => void, ms: number, every: number | undefined): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { id, due: this.current + ms, every, fn });
    return id as unknown as TimerHandle;
  }

  private nextDue(limit: number): VirtualTimer | undefined {
    let best: VirtualTimer | undefined;
    for (const t of this.timers.values()) {
      if (t.due <= limit && (!best || t.due < best.due || (t.due === best.due && t.id < best.id))) best = t;
    }
    return best;
  }
}

/**
 * Virtual time that runs by itself at `speed` times real time (the simulator's fast-forward mode).
 * It advances in real-time steps of `stepMs`.
 */
export class AcceleratedClock extends VirtualClock {
  private driver: NodeJS.Timeout | undefined;

  constructor(
    startMs: number,
    private readonly speed: number,
    private readonly stepMs = 20,
  ) {
    super(startMs);
    if (!(speed > 0)) throw new RangeError('speed must be positive');
  }

  start(): void {
    if (this.driver) return;
    let last = performance.now();
    this.driver = setInterval(() => {
      const t = performance.now();
      this.advance((t - last) * this.speed);
      last = t;
    }, this.stepMs);
  }

  stop(): void {
    clearInterval(this.driver);
    this.driver = undefined;
  }
}
