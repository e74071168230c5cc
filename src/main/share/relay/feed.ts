// One epoch of the stream as a relay holds it: the head, the latest data per topic (the snapshot), a
// bounded window of recent messages for resumes and replays, a compact seq → offset index of the
// records read, and older runs recalled from Kafka in a small cache. It is what the stream server
// serves (StreamHead and StreamHistory), so viewers of a relay get what viewers of the desk get.
import { encodeBatch, encodeFrame, type DataFrame } from '../../../shared/stream';
import type { CommittedBatch, JournalRow, StreamFeed, StreamHead, StreamHistory } from '../../transport';

/** How much a relay keeps in memory (config `relay.*`). */
export interface RelayWindowLimits {
  /** Recent messages kept for resumes and replays (relay.windowMessages). */
  readonly maxMessages: number;
  /** And at most these bytes of them (relay.windowBytes). */
  readonly maxBytes: number;
  /** Messages read back from Kafka per recall (relay.recallMessages). */
  readonly recallMessages: number;
  /** Recalled messages kept at once, in runs, the least recently used dropped first (relay.recallCacheMessages). */
  readonly recallCacheMessages: number;
  /** And at most these bytes of them, encoded (relay.recallCacheBytes). */
  readonly recallCacheBytes: number;
  /** A position further than this behind the window is not read back: the viewer is reset (relay.maxRecallMessages). */
  readonly maxRecallMessages: number;
  /** Recalls waiting or running at once; beyond, a position is not read back (relay.maxPendingRecalls). */
  readonly maxPendingRecalls: number;
}

export const DEFAULT_RELAY_WINDOW: RelayWindowLimits = {
  maxMessages: 100_000,
  maxBytes: 64 * 1024 * 1024,
  recallMessages: 10_000,
  recallCacheMessages: 50_000,
  recallCacheBytes: 32 * 1024 * 1024,
  // An hour at 100 msg/s is 360,000: a viewer away for an hour or two resumes; deeper is reset (each step reads recallMessages).
  maxRecallMessages: 1_000_000,
  maxPendingRecalls: 4,
};

/** What became of a recall asked of the feed: read back from Kafka, too deep behind the window, or too many pending. */
export type RecallResult = 'read' | 'too-deep' | 'busy';

/** Told of every recall the feed decides on, and how many messages it read back. */
export type RecallObserver = (result: RecallResult, messages: number) => void;

/** Reads messages from..upTo of an epoch back from Kafka, starting at the record at `offset`; contiguous from `from`, maybe fewer. */
export type Recaller = (offset: bigint, epoch: string, from: number, upTo: number) => Promise<DataFrame[]>;

interface Entry {
  readonly frame: DataFrame;
  /** Its bytes on the wire, made when first read. */
  bytes: Uint8Array | undefined;
  readonly size: number;
}

interface Run {
  readonly first: number;
  readonly entries: Entry[];
  /** Its messages' encoded bytes. */
  readonly bytes: number;
}

export class EpochFeed implements StreamHead, StreamHistory, StreamFeed {
  private headSeq: number;
  /** The window: entries[start..] hold seqs firstSeq, firstSeq + 1, … */
  private entries: Entry[] = [];
  private start = 0;
  private firstSeq: number;
  private bytes = 0;
  private readonly latest = new Map<string, unknown>();
  private readonly listeners = new Set<(batch: CommittedBatch) => void>();
  /** Records read, in offset order: the first seq of each and its offset (16 bytes a record). */
  private indexFirst = new Float64Array(1_024);
  private indexOffset = new Float64Array(1_024);
  private indexed = 0;
  /** Recalled runs, the most recently used last. */
  private runs: Run[] = [];
  private readonly recalls = new Map<number, Promise<void>>();
  /** Hellos waiting for the head to reach their seq, or (epoch set) for the relay to reach their later epoch. */
  private headWaiters: { seq: number; epoch?: string; done: (reached: boolean) => void }[] = [];
  /** A feed of a later epoch has replaced this one. */
  private superseded = false;

  constructor(
    readonly epoch: string,
    /** The seq before the first this relay reads of the epoch (0 when it reads it from its start). */
    before: number,
    private readonly limits: RelayWindowLimits,
    private readonly recaller: Recaller,
    private readonly observe: RecallObserver = () => undefined,
    /** Epochs this relay read before this one: a position in one of them is over, not ahead. */
    private readonly readBefore: (epoch: string) => boolean = () => false,
  ) {
    this.headSeq = before;
    this.firstSeq = before + 1;
  }

  get head(): number {
    return this.headSeq;
  }

  /** The feed is its own head and history (what the stream server takes as a source). */
  get publisher(): StreamHead {
    return this;
  }

  get journal(): StreamHistory {
    return this;
  }

  get oldest(): number {
    return this.firstSeq;
  }

  /** Messages and bytes in the window (their share of the records read, and their encodings once made). */
  get window(): { readonly messages: number; readonly bytes: number } {
    return { messages: this.entries.length - this.start, bytes: this.bytes };
  }

  /** Records in the seq → offset index. */
  get indexRecords(): number {
    return this.indexed;
  }

  /** Encoded bytes of the recalled runs held. */
  get recallCacheBytes(): number {
    return this.runs.reduce((n, r) => n + r.bytes, 0);
  }

  /** Forgets the records before `offset` (the topic's earliest retained one): Kafka no longer holds them to recall. */
  forgetBefore(offset: bigint): void {
    const low = Number(offset);
    let drop = 0;
    while (drop < this.indexed && (this.indexOffset[drop] as number) < low) drop++;
    if (drop === 0) return;
    this.indexFirst.copyWithin(0, drop, this.indexed);
    this.indexOffset.copyWithin(0, drop, this.indexed);
    this.indexed -= drop;
  }

  /** The latest data of a topic (the relay's control topics). */
  latestOf(topic: string): unknown {
    return this.latest.get(topic);
  }

  onCommitted(listener: (batch: CommittedBatch) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  snapshot(filter?: (topic: string) => boolean): { seq: number; state: Record<string, unknown> } {
    const state: Record<string, unknown> = {};
    for (const [topic, data] of this.latest) if (!filter || filter(topic)) state[topic] = data;
    return { seq: this.headSeq, state };
  }

  /**
   * A record's new frames (each after the head, in order) at `offset`; `value` is the record's own bytes
   * when all its frames are new (forwarded as they are), else the frames are encoded again.
   */
  append(frames: readonly DataFrame[], offset: bigint, value: Uint8Array | undefined): void {
    const first = frames[0];
    if (!first) return;
    if (first.seq !== this.headSeq + 1) {
      // A hole in the topic (retention, or a record lost upstream): the window restarts after it.
      this.entries = [];
      this.start = 0;
      this.bytes = 0;
      this.firstSeq = first.seq;
    }
    this.index(first.seq, offset);
    const size = Math.ceil((value?.length ?? 64 * frames.length) / frames.length);
    for (const f of frames) {
      this.entries.push({ frame: f, bytes: undefined, size });
      this.bytes += size;
      this.latest.set(f.topic, f.data);
    }
    this.headSeq = (frames[frames.length - 1] as DataFrame).seq;
    this.trim();
    if (this.headWaiters.length > 0) this.headWaiters = this.headWaiters.filter((w) => (w.epoch === undefined && w.seq <= this.headSeq ? (w.done(true), false) : true));
    const batch: CommittedBatch = { frames, message: value ?? encodeBatch(frames.map((f) => encodeFrame(f))) };
    for (const l of this.listeners) l(batch);
  }

  read(from: number, to: number, limit: number): JournalRow[] {
    const rows: JournalRow[] = [];
    if (from >= this.firstSeq) {
      for (let i = this.start + (from - this.firstSeq); i < this.entries.length && rows.length < limit; i++) {
        const e = this.entries[i] as Entry;
        if (e.frame.seq > to) break;
        rows.push(this.windowRow(e));
      }
      return rows;
    }
    const run = this.runs.find((r) => r.first <= from && from < r.first + r.entries.length);
    if (!run) return rows;
    // Most recently used last: a run being read is kept over the others.
    this.runs = [...this.runs.filter((r) => r !== run), run];
    for (let i = from - run.first; i < run.entries.length && rows.length < limit; i++) {
      const e = run.entries[i] as Entry;
      if (e.frame.seq > to) break;
      rows.push(row(e));
    }
    return rows;
  }

  /**
   * Resolves true once the head reaches `seq` of this epoch (a viewer from a relay further ahead). A
   * position in an epoch this relay has not read may be ahead too (the desk recreated its stream and
   * another relay read that first; or it is one Kafka no longer holds): it waits for this feed to be
   * superseded, then resolves false, as after `timeoutMs`; one in an epoch read before this one is over,
   * false at once.
   */
  awaitHead(epoch: string, seq: number, timeoutMs: number): Promise<boolean> {
    const unread = epoch !== this.epoch;
    if (this.superseded || (unread && this.readBefore(epoch))) return Promise.resolve(false);
    if (!unread && seq <= this.headSeq) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = {
        seq,
        ...(unread ? { epoch } : {}),
        done: (reached: boolean) => {
          clearTimeout(timer);
          resolve(reached);
        },
      };
      const timer = setTimeout(() => {
        this.headWaiters = this.headWaiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      // A wait never keeps a stopping relay alive.
      timer.unref();
      this.headWaiters.push(waiter);
    });
  }

  /** A feed of a later epoch replaces this one: its waiting hellos are answered (false), the server resets or resumes them in the new one. */
  supersede(): void {
    this.superseded = true;
    for (const w of this.headWaiters.splice(0)) w.done(false);
  }

  /** Reads older messages from `from` on back from Kafka (up to recallMessages, or the window); one read per record at a time. */
  recall(from: number): Promise<void> {
    if (from >= this.firstSeq || from > this.headSeq || this.runs.some((r) => r.first <= from && from < r.first + r.entries.length)) return Promise.resolve();
    const at = this.recordOf(from);
    if (at === undefined) return Promise.resolve(); // before anything this relay read: gone
    // Reading the epoch back from far behind costs the relay (and Kafka) more than a reset costs the viewer.
    if (this.firstSeq - from > this.limits.maxRecallMessages) {
      this.observe('too-deep', 0);
      return Promise.resolve();
    }
    const offset = this.indexOffset[at] as number;
    let pending = this.recalls.get(offset);
    if (!pending) {
      // Recalls run one at a time: a bounded queue, so viewers who asked and left cannot pile work up.
      if (this.recalls.size >= this.limits.maxPendingRecalls) {
        this.observe('busy', 0);
        return Promise.resolve();
      }
      const upTo = Math.min(this.firstSeq - 1, from + this.limits.recallMessages - 1);
      pending = this.recaller(BigInt(offset), this.epoch, from, upTo)
        .then((frames) => {
          this.observe('read', frames.length);
          this.keep(from, frames);
        })
        .finally(() => this.recalls.delete(offset));
      this.recalls.set(offset, pending);
    }
    return pending;
  }

  private index(first: number, offset: bigint): void {
    if (this.indexed === this.indexFirst.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.indexFirst = grow(this.indexFirst);
      this.indexOffset = grow(this.indexOffset);
    }
    this.indexFirst[this.indexed] = first;
    this.indexOffset[this.indexed] = Number(offset);
    this.indexed++;
  }

  /** The index of the last record whose first seq is at or before `seq`. */
  private recordOf(seq: number): number | undefined {
    let lo = 0;
    let hi = this.indexed - 1;
    let found: number | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((this.indexFirst[mid] as number) <= seq) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  private keep(from: number, frames: readonly DataFrame[]): void {
    const entries: Entry[] = [];
    let bytes = 0;
    for (const f of frames) {
      if (f.seq !== from + entries.length) break;
      const encoded = encodeFrame(f);
      bytes += encoded.length;
      entries.push({ frame: f, bytes: encoded, size: 0 });
    }
    if (entries.length === 0) return;
    this.runs.push({ first: from, entries, bytes });
    let kept = this.runs.reduce((n, r) => n + r.entries.length, 0);
    let keptBytes = this.recallCacheBytes;
    while ((kept > this.limits.recallCacheMessages || keptBytes > this.limits.recallCacheBytes) && this.runs.length > 1) {
      const gone = this.runs.shift() as Run;
      kept -= gone.entries.length;
      keptBytes -= gone.bytes;
    }
  }

  /** A window entry's row: its encoding, made once, counted in the window's bytes. */
  private windowRow(e: Entry): JournalRow {
    if (!e.bytes) {
      e.bytes = encodeFrame(e.frame);
      this.bytes += e.bytes.length;
    }
    return row(e);
  }

  private trim(): void {
    while (this.entries.length - this.start > this.limits.maxMessages || (this.bytes > this.limits.maxBytes && this.entries.length - this.start > 1)) {
      const e = this.entries[this.start++] as Entry;
      this.bytes -= e.size + (e.bytes?.length ?? 0);
      this.firstSeq = e.frame.seq + 1;
    }
    if (this.start > 4_096 && this.start > this.entries.length / 2) {
      this.entries = this.entries.slice(this.start);
      this.start = 0;
    }
  }
}

function row(e: Entry): JournalRow {
  e.bytes ??= encodeFrame(e.frame);
  return { seq: e.frame.seq, ts: e.frame.ts, topic: e.frame.topic, frame: e.bytes };
}
