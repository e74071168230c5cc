// A bounded, time-ordered cache of immutable points (1-minute bars, EMA points), for a chart's initial
// load. Appends and replacements near the end are cheap; the oldest points go when it is full.

export interface Timed {
  readonly time: number;
}

export class TimeSeries<T extends Timed> {
  private items: T[] = [];
  private head = 0;

  constructor(readonly capacity: number) {
    if (!(Number.isInteger(capacity) && capacity >= 1)) throw new RangeError('capacity must be a positive integer');
  }

  get length(): number {
    return this.items.length - this.head;
  }

  first(): T | undefined {
    return this.items[this.head];
  }

  last(): T | undefined {
    return this.length > 0 ? this.items[this.items.length - 1] : undefined;
  }

  /** Adds a point, or replaces the one with the same time; searching from the end. */
  upsert(item: T): void {
    const items = this.items;
    let i = items.length - 1;
    while (i >= this.head && (items[i] as T).time > item.time) i--;
    if (i >= this.head && (items[i] as T).time === item.time) {
      items[i] = item;
      return;
    }
    if (i === items.length - 1) items.push(item);
    else items.splice(i + 1, 0, item);
    this.trim();
  }

  /** Replaces everything (sorted by time, deduplicated by the caller). */
  reset(sorted: readonly T[]): void {
    this.items = sorted.slice(Math.max(0, sorted.length - this.capacity));
    this.head = 0;
  }

  /** A copy, oldest first. */
  toArray(): T[] {
    return this.items.slice(this.head);
  }

  private trim(): void {
    const excess = this.length - this.capacity;
    if (excess > 0) {
      for (let k = 0; k < excess; k++) this.items[this.head + k] = undefined as unknown as T;
      this.head += excess;
    }
    // Compact once the dead prefix is as long as the live part (amortised O(1) per point).
    if (this.head > 0 && this.head >= this.capacity) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
