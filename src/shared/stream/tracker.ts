// The subscriber's core, independent of channels (WebSocket, Kafka, IPC): it delivers every message
// exactly once and in order, buffers what arrives early, and says which range is missing.
import type { DataFrame } from './frames';

export type TrackerEvent =
  | { readonly kind: 'deliver'; readonly frame: DataFrame }
  /** Messages with seq in [from, to] are missing (for a filtered subscriber: those of them it may see). */
  | { readonly kind: 'gap'; readonly from: number; readonly to: number }
  | { readonly kind: 'epoch-changed'; readonly previous: string; readonly epoch: string };

export interface TrackerState {
  readonly epoch: string | undefined;
  readonly lastSeq: number;
  readonly buffered: number;
  readonly gapsDetected: number;
  readonly duplicates: number;
}

interface Early {
  readonly frame: DataFrame;
  /** False for a message the subscriber does not want: it only moves the position. */
  readonly wanted: boolean;
}

export class SequenceTracker {
  private epochValue: string | undefined;
  private last = 0;
  /** Early frames keyed by their `prev`: the one to deliver right after seq `prev`. */
  private readonly early = new Map<number, Early>();
  private gaps = 0;
  private dups = 0;

  constructor(private readonly maxBuffered = 10_000) {}

  get epoch(): string | undefined {
    return this.epochValue;
  }

  get lastSeq(): number {
    return this.last;
  }

  state(): TrackerState {
    return { epoch: this.epochValue, lastSeq: this.last, buffered: this.early.size, gapsDetected: this.gaps, duplicates: this.dups };
  }

  /** Positions the tracker (after a snapshot as of `seq`, or to resume from a known position). */
  reset(epoch: string, seq: number): void {
    this.epochValue = epoch;
    this.last = seq;
    this.early.clear();
  }

  /** Forgets the position and the epoch (the next snapshot or frame sets them). */
  clear(): void {
    this.epochValue = undefined;
    this.last = 0;
    this.early.clear();
  }

  /** The first missing range, when early frames wait for it. */
  missing(): { from: number; to: number } | undefined {
    let lowest: number | undefined;
    for (const prev of this.early.keys()) if (lowest === undefined || prev < lowest) lowest = prev;
    return lowest === undefined ? undefined : { from: this.last + 1, to: lowest };
  }

  /** A data frame from any channel. `wanted: false` moves the position without delivering (a filtered-out message read from Kafka). */
  accept(frame: DataFrame, wanted = true): TrackerEvent[] {
    if (this.epochValue === undefined) this.epochValue = frame.epoch;
    if (frame.epoch !== this.epochValue) return [{ kind: 'epoch-changed', previous: this.epochValue, epoch: frame.epoch }];
    if (frame.seq <= this.last) {
      this.dups++;
      return [];
    }
    if (frame.prev > this.last) {
      if (this.early.get(frame.prev)?.frame.seq === frame.seq) {
        this.dups++;
        return [];
      }
      // One gap episode: counted when the first frame after a hole arrives, not for every frame behind it.
      if (this.early.size === 0) this.gaps++;
      // Full: keep the nearest frames (the filled gap releases them first); the farthest comes again later.
      if (this.early.size < this.maxBuffered || this.dropFarther(frame.prev)) this.early.set(frame.prev, { frame, wanted });
      return [{ kind: 'gap', from: this.last + 1, to: frame.prev }];
    }
    const out: TrackerEvent[] = [];
    if (wanted) out.push({ kind: 'deliver', frame });
    this.last = frame.seq;
    for (let next = this.early.get(this.last); next !== undefined; next = this.early.get(this.last)) {
      this.early.delete(this.last);
      if (next.wanted) out.push({ kind: 'deliver', frame: next.frame });
      this.last = next.frame.seq;
    }
    // Early frames now behind the position were duplicates of what came in order.
    for (const [prev, e] of this.early) if (e.frame.seq <= this.last) this.early.delete(prev);
    return out;
  }

  /** Drops the farthest buffered frame if it is farther than `prev`; whether it did. */
  private dropFarther(prev: number): boolean {
    let farthest: number | undefined;
    for (const p of this.early.keys()) if (farthest === undefined || p > farthest) farthest = p;
    if (farthest === undefined || farthest < prev) return false;
    this.early.delete(farthest);
    return true;
  }
}
