// EMAs of 1-minute closes, and the crossover of a fast and a slow one.
//
// Each period n has alpha = 2 / (n + 1) and is seeded with the simple average of the first n closes
// (it has no value before); then ema = prev + alpha × (close − prev). Closes are committed in time
// order; a close for a minute already committed (a revised minute) or missing between two committed
// ones (a late minute) recomputes every EMA from that minute on, from the state kept for the minute
// before it. The last `capacity` minutes are kept for that.
//
// Crossover: the side of a minute is the sign of fast − slow once both are seeded; at exactly 0 the
// side stays what it was (touching is not crossing). A cross is a minute whose side differs from the
// previous minute's non-zero side; the first side taken is not a cross. After a revision, a cross is
// reported when the side of the latest minute changed (a past crossing that appeared or vanished
// inside the revised minutes without changing the current side is not reported after the fact).
//
// Storage is preallocated typed arrays; committing allocates nothing.

export interface EmaEngineOptions {
  /** Distinct integers ≥ 2. */
  readonly periods: readonly number[];
  /** Two of `periods`, fast < slow; omit for no crossover. */
  readonly signal?: { readonly fast: number; readonly slow: number };
  /** Minutes kept for recomputation (at least 2). */
  readonly capacity: number;
}

export type Side = -1 | 0 | 1;

export class EmaEngine {
  readonly periods: readonly number[];
  /** The crossing made by the last commit: 1 bullish, -1 bearish, 0 none. */
  lastCross: Side = 0;
  /** Minutes refused because they are older than everything kept. */
  tooOld = 0;
  private readonly p: number;
  private readonly n: Float64Array;
  private readonly alpha: Float64Array;
  private readonly fast: number;
  private readonly slow: number;
  private readonly cap: number;
  // Entries [start, end) of arrays sized 2 × cap, compacted when full.
  private readonly times: Float64Array;
  private readonly closes: Float64Array;
  /** Closes committed up to and including the entry. */
  private readonly counts: Float64Array;
  /** EMA after the entry, per period (NaN until seeded). */
  private readonly values: Float64Array;
  /** Running sums of the first n closes, per period. */
  private readonly sums: Float64Array;
  private readonly sides: Int8Array;
  private start = 0;
  private end = 0;
  // The state before entry `start` (after the entries dropped from the front).
  private baseCount = 0;
  private readonly baseValues: Float64Array;
  private readonly baseSums: Float64Array;
  private baseSide: Side = 0;

  constructor(options: EmaEngineOptions) {
    const periods = [...options.periods];
    if (periods.length === 0) throw new RangeError('at least one EMA period is needed');
    for (const n of periods) if (!(Number.isInteger(n) && n >= 2)) throw new RangeError(`EMA period ${n} must be an integer of at least 2`);
    if (new Set(periods).size !== periods.length) throw new RangeError('EMA periods must be distinct');
    if (!(Number.isInteger(options.capacity) && options.capacity >= 2)) throw new RangeError('capacity must be an integer of at least 2');
    this.periods = periods;
    this.p = periods.length;
    this.n = Float64Array.from(periods);
    this.alpha = Float64Array.from(periods, (n) => 2 / (n + 1));
    if (options.signal) {
      const { fast, slow } = options.signal;
      if (!(fast < slow)) throw new RangeError(`the fast EMA period (${fast}) must be below the slow one (${slow})`);
      this.fast = periods.indexOf(fast);
      this.slow = periods.indexOf(slow);
      if (this.fast < 0 || this.slow < 0) throw new RangeError(`signal periods ${fast}/${slow} must be among the EMA periods ${periods.join(', ')}`);
    } else {
      this.fast = -1;
      this.slow = -1;
    }
    this.cap = options.capacity;
    const size = 2 * this.cap;
    this.times = new Float64Array(size);
    this.closes = new Float64Array(size);
    this.counts = new Float64Array(size);
    this.values = new Float64Array(size * this.p);
    this.sums = new Float64Array(size * this.p);
    this.sides = new Int8Array(size);
    this.baseValues = new Float64Array(this.p).fill(Number.NaN);
    this.baseSums = new Float64Array(this.p);
  }

  /** Minutes held (oldest is index 0). */
  get length(): number {
    return this.end - this.start;
  }

  timeAt(i: number): number {
    return this.times[this.start + i] as number;
  }

  closeAt(i: number): number {
    return this.closes[this.start + i] as number;
  }

  /** The EMA of period index `k` after minute `i`; NaN until seeded. */
  valueAt(i: number, k: number): number {
    return this.values[(this.start + i) * this.p + k] as number;
  }

  sideAt(i: number): Side {
    return this.sides[this.start + i] as Side;
  }

  /** The fast and slow period indexes (-1 without a signal). */
  get signalIndexes(): { fast: number; slow: number } {
    return { fast: this.fast, slow: this.slow };
  }

  /**
   * Commits a final minute's close. Returns the index of the first minute whose EMAs changed (the new
   * minute, or the revised one), or -1 when nothing changed (the same close again, or a minute older
   * than everything kept: counted in `tooOld`). Sets lastCross.
   */
  commit(time: number, close: number): number {
    this.lastCross = 0;
    const len = this.end - this.start;
    const latestSide = len > 0 ? (this.sides[this.end - 1] as Side) : this.baseSide;
    if (len === 0 || time > (this.times[this.end - 1] as number)) {
      this.makeRoom();
      const at = this.end++;
      this.times[at] = time;
      this.closes[at] = close;
      this.compute(at);
      const side = this.sides[at] as Side;
      if (side !== latestSide && latestSide !== 0) this.lastCross = side;
      return at - this.start;
    }
    // A minute at or before the latest one: find its place, from the end (revisions are recent).
    let at = this.end - 1;
    while (at >= this.start && (this.times[at] as number) > time) at--;
    if (at >= this.start && this.times[at] === time) {
      if (this.closes[at] === close) return -1;
      this.closes[at] = close;
    } else {
      // Missing until now: it goes in after `at`. Before the oldest kept minute only while nothing
      // has been dropped (the state before it is known then).
      const pos = at + 1;
      if (pos === this.start && (this.baseCount > 0 || len >= this.cap)) {
        this.tooOld++;
        return -1;
      }
      let rel = pos - this.start;
      if (len >= this.cap) {
        this.dropOldest();
        rel--;
      }
      if (this.end === this.times.length) this.compact();
      at = this.start + rel;
      this.shiftRight(at);
      this.times[at] = time;
      this.closes[at] = close;
    }
    for (let i = at; i < this.end; i++) this.compute(i);
    const side = this.sides[this.end - 1] as Side;
    if (side !== latestSide && side !== 0 && latestSide !== 0) this.lastCross = side;
    return at - this.start;
  }

  /**
   * Provisional EMAs as if the forming minute closed at `close` (nothing is committed): into `out`,
   * one per period (NaN where not seeded yet). Returns whether any is a number.
   */
  provisional(close: number, out: Float64Array): boolean {
    const last = this.end - 1;
    const has = last >= this.start;
    const count = (has ? (this.counts[last] as number) : this.baseCount) + 1;
    let any = false;
    for (let k = 0; k < this.p; k++) {
      const n = this.n[k] as number;
      let v: number;
      if (count < n) v = Number.NaN;
      else if (count === n) v = ((has ? (this.sums[last * this.p + k] as number) : (this.baseSums[k] as number)) + close) / n;
      else {
        const prev = has ? (this.values[last * this.p + k] as number) : (this.baseValues[k] as number);
        v = prev + (this.alpha[k] as number) * (close - prev);
      }
      out[k] = v;
      if (v === v) any = true;
    }
    return any;
  }

  /** Entry `at` from the entry before it (or the base state). */
  private compute(at: number): void {
    const p = this.p;
    const prev = at - 1;
    const hasPrev = prev >= this.start;
    const count = (hasPrev ? (this.counts[prev] as number) : this.baseCount) + 1;
    this.counts[at] = count;
    const close = this.closes[at] as number;
    for (let k = 0; k < p; k++) {
      const n = this.n[k] as number;
      const prevSum = hasPrev ? (this.sums[prev * p + k] as number) : (this.baseSums[k] as number);
      const prevValue = hasPrev ? (this.values[prev * p + k] as number) : (this.baseValues[k] as number);
      let sum = prevSum;
      let v: number;
      if (count <= n) {
        sum = prevSum + close;
        v = count === n ? sum / n : Number.NaN;
      } else {
        v = prevValue + (this.alpha[k] as number) * (close - prevValue);
      }
      this.sums[at * p + k] = sum;
      this.values[at * p + k] = v;
    }
    const prevSide = hasPrev ? (this.sides[prev] as Side) : this.baseSide;
    let side = prevSide;
    if (this.fast >= 0) {
      const d = (this.values[at * p + this.fast] as number) - (this.values[at * p + this.slow] as number);
      if (d > 0) side = 1;
      else if (d < 0) side = -1;
    }
    this.sides[at] = side;
  }

  /** Before appending: keeps at most `cap` entries and the arrays from overflowing. */
  private makeRoom(): void {
    if (this.end - this.start >= this.cap) this.dropOldest();
    if (this.end === this.times.length) this.compact();
  }

  private dropOldest(): void {
    const s = this.start;
    const p = this.p;
    this.baseCount = this.counts[s] as number;
    for (let k = 0; k < p; k++) {
      this.baseValues[k] = this.values[s * p + k] as number;
      this.baseSums[k] = this.sums[s * p + k] as number;
    }
    this.baseSide = this.sides[s] as Side;
    this.start++;
  }

  private compact(): void {
    const s = this.start;
    const e = this.end;
    const p = this.p;
    this.times.copyWithin(0, s, e);
    this.closes.copyWithin(0, s, e);
    this.counts.copyWithin(0, s, e);
    this.sides.copyWithin(0, s, e);
    this.values.copyWithin(0, s * p, e * p);
    this.sums.copyWithin(0, s * p, e * p);
    this.end = e - s;
    this.start = 0;
  }

  /** Opens a hole at `at` (entries from `at` move one place right). */
  private shiftRight(at: number): void {
    const e = this.end;
    const p = this.p;
    this.times.copyWithin(at + 1, at, e);
    this.closes.copyWithin(at + 1, at, e);
    this.counts.copyWithin(at + 1, at, e);
    this.sides.copyWithin(at + 1, at, e);
    this.values.copyWithin((at + 1) * p, at * p, e * p);
    this.sums.copyWithin((at + 1) * p, at * p, e * p);
    this.end = e + 1;
  }
}
