// The sequencer. Every message a viewer may see gets the next seq, is encoded once, and is journaled
// (group commit on the journal's thread) before any channel sees it. publish() never waits: the
// trading path hands a message over and goes on; a bounded queue protects memory if the journal
// stalls (refusals are counted and logged, never silent). A batch the journal could not write is kept
// with its numbers and retried: nothing after it is committed or sent meanwhile, so there is never a hole.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { backoffDelay } from '../../shared/backoff';
import { DataFrameBatch, decodeFrames, type DataFrame } from '../../shared/stream';
import type { Clock, TimerHandle } from '../clock';
import { withoutCorrelation, type Logger } from '../ops';
import { journalBatch, type StreamJournal } from './journal';

/** Committed messages, handed to the channels (WebSocket, Kafka, IPC) in seq order. */
export interface CommittedBatch {
  /** The messages, for the snapshot state and for channels that filter or re-chain them. */
  readonly frames: readonly DataFrame[];
  /** The same messages as one WebSocket message: a msgpack array of the very bytes the journal stored. */
  readonly message: Uint8Array;
}

export interface StreamMetrics {
  readonly published: Counter;
  readonly refused: Counter;
  readonly head: Gauge;
  readonly pending: Gauge;
  readonly commit: Histogram;
  readonly batch: Histogram;
}

/** The publisher's metrics, created once per registry (publishers come and go with trading modes). */
export function createStreamMetrics(registry: Registry): StreamMetrics {
  const registers = [registry];
  return {
    published: new Counter({ name: 'dualdesk_stream_published_total', help: 'Messages sequenced and journaled.', registers }),
    refused: new Counter({ name: 'dualdesk_stream_refused_total', help: 'Messages refused because the journal could not keep up or failed.', registers }),
    head: new Gauge({ name: 'dualdesk_stream_head', help: 'The last committed sequence number.', registers }),
    pending: new Gauge({ name: 'dualdesk_stream_pending', help: 'Messages waiting for the journal.', registers }),
    commit: new Histogram({
      name: 'dualdesk_stream_commit_seconds',
      help: 'Journal group-commit time (its own thread).',
      buckets: [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.1, 1],
      registers,
    }),
    batch: new Histogram({ name: 'dualdesk_stream_commit_messages', help: 'Messages per group commit.', buckets: [1, 10, 100, 1000, 5000], registers }),
  };
}

export interface PublisherOptions {
  readonly journal: StreamJournal;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: StreamMetrics;
  /** Messages waiting for the journal beyond which publish() refuses (default 200,000). */
  readonly maxPending?: number;
  /** Messages per commit at most (default 5,000). */
  readonly maxBatch?: number;
}

/** A batch handed to the journal: its bytes, and when (for the commit-time histogram). */
interface InFlight {
  readonly batch: DataFrameBatch;
  readonly sealed: { readonly message: Uint8Array; readonly offsets: Uint32Array };
  readonly started: number;
}

/** Delays between attempts to commit a batch the journal refused. */
const RETRY = { initialMs: 100, maxMs: 5_000 } as const;

export class StreamPublisher {
  readonly epoch: string;
  private nextSeq: number;
  /** Batches handed to the journal and not yet answered, oldest first. */
  private inFlight: InFlight[] = [];
  /** Messages sequenced and encoded, not yet handed to the journal: batches of at most maxBatch, oldest first. */
  private pending: DataFrameBatch[] = [];
  private pendingCount = 0;
  private scheduled = false;
  private closed = false;
  /** Commits are failing: the held batch is retried after a backoff. */
  private failing: { reason: string; since: number; attempts: number } | undefined;
  private retryTimer: TimerHandle | undefined;
  /** The queue was full and messages were refused (lost to the stream): a failure until it drains to half. */
  private overflow: { since: number; refused: number } | undefined;
  private readonly listeners = new Set<(batch: CommittedBatch) => void>();
  /** The latest committed data of every topic: the snapshot state. */
  private readonly latest = new Map<string, { readonly seq: number; readonly data: unknown }>();
  private drainWaiters: (() => void)[] = [];
  private readonly maxPending: number;
  private readonly maxBatch: number;
  private readonly metrics: StreamMetrics;

  constructor(private readonly options: PublisherOptions) {
    this.epoch = options.journal.epoch;
    this.nextSeq = options.journal.head + 1;
    this.maxPending = options.maxPending ?? 200_000;
    this.maxBatch = options.maxBatch ?? 5_000;
    for (const row of options.journal.latestPerTopic()) this.latest.set(row.topic, { seq: row.seq, data: decodeData(row.frame) });
    this.metrics = options.metrics;
    this.metrics.head.set(options.journal.head);
  }

  /** The last committed seq. */
  get head(): number {
    return this.options.journal.head;
  }

  get journal(): StreamJournal {
    return this.options.journal;
  }

  /** Why nothing is being committed (the journal failed, or its writes fail and are retried); undefined when healthy. */
  get failure(): string | undefined {
    if (this.options.journal.failed !== undefined) return `${this.options.journal.failed}; ${this.pendingCount} message(s) after seq ${this.head} held, never sent`;
    const f = this.failing;
    if (!f) {
      const o = this.overflow;
      if (!o) return undefined;
      return `the journal fell ${this.maxPending} messages behind at ${new Date(o.since).toISOString()}: ${o.refused} message(s) refused, never sent; ${this.pendingCount} waiting`;
    }
    return `journal writes failing since ${new Date(f.since).toISOString()} (${f.attempts} attempt(s)): ${f.reason}; ${this.pendingCount} message(s) after seq ${this.head} held and retried, nothing sent meanwhile`;
  }

  /**
   * Sequences a message and hands it to the journal; returns its seq, or undefined when refused (the
   * journal failed, or is too far behind). Never blocks.
   */
  publish(topic: string, data: unknown): number | undefined {
    if (this.closed || this.options.journal.failed !== undefined || this.pendingCount >= this.maxPending) {
      this.metrics.refused.inc();
      if (this.options.journal.failed !== undefined) this.options.logger.error({ topic, reason: this.options.journal.failed }, 'stream message refused: journal unavailable');
      else if (!this.closed) this.overflowed(topic);
      return undefined;
    }
    const seq = this.nextSeq++;
    let open = this.pending[this.pending.length - 1];
    if (!open || open.count >= this.maxBatch) {
      open = new DataFrameBatch(this.epoch);
      this.pending.push(open);
    }
    open.add({ op: 'data', epoch: this.epoch, seq, prev: seq - 1, ts: this.options.clock.now(), topic, data });
    this.pendingCount++;
    this.metrics.pending.set(this.pendingCount);
    this.schedule();
    return seq;
  }

  /** Called with every committed batch, in seq order. */
  onCommitted(listener: (batch: CommittedBatch) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The state as of the head: the latest data per topic, optionally only topics a filter lets through. */
  snapshot(filter?: (topic: string) => boolean): { seq: number; state: Record<string, unknown> } {
    const state: Record<string, unknown> = {};
    for (const [topic, entry] of this.latest) if (!filter || filter(topic)) state[topic] = entry.data;
    return { seq: this.head, state };
  }

  /** Resolves when everything published so far is committed, or commits are failing (see failure). */
  flush(): Promise<void> {
    if (this.pendingCount === 0 && this.inFlight.length === 0) return Promise.resolve();
    // Between attempts (or with the writer gone) no commit is under way to end the wait: say so now.
    if (this.inFlight.length === 0 && (this.failing !== undefined || this.options.journal.failed !== undefined)) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Waits for a commit under way, never for another attempt at a batch the journal refused. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    this.options.clock.clearTimer(this.retryTimer);
    this.retryTimer = undefined;
    // Never committed, so never sent: the next run issues their numbers again, as after a crash.
    if (this.pendingCount > 0)
      this.options.logger.error({ held: this.pendingCount, after: this.head, reason: this.failure }, 'stream closed with messages the journal never took: not published');
  }

  private schedule(): void {
    if (this.scheduled || this.retryTimer !== undefined || this.inFlight.length >= this.maxInFlight()) return;
    this.scheduled = true;
    // One batch per turn of the event loop: everything published in this turn goes together, so it
    // runs under no publisher's correlation id (the first is often an order's).
    withoutCorrelation(() =>
      setImmediate(() => {
        this.scheduled = false;
        this.commit();
      }),
    );
  }

  /** Two batches in flight keep the writer busy while this thread handles the last commit; a retry goes alone. */
  private maxInFlight(): number {
    return this.failing ? 1 : 2;
  }

  private commit(): void {
    if (this.inFlight.length >= this.maxInFlight() || this.retryTimer !== undefined) return;
    const batch = this.pending.shift();
    if (!batch) {
      this.settleDrain();
      return;
    }
    this.pendingCount -= batch.count;
    const entry: InFlight = { batch, sealed: batch.seal(), started: performance.now() };
    this.inFlight.push(entry);
    // Replies come in order (one writer, one transaction at a time), so commits are handled in seq order.
    this.options.journal.append(journalBatch(batch.frames, entry.sealed)).then(
      () => this.committed(entry),
      (err: unknown) => this.notCommitted(entry, (err as Error).message),
    );
    if (this.pendingCount > 0) this.schedule();
  }

  private committed(entry: InFlight): void {
    this.inFlight.shift();
    const { frames } = entry.batch;
    if (this.failing) {
      this.options.logger.warn(
        { attempts: this.failing.attempts, head: this.options.journal.head, failedForMs: this.options.clock.now() - this.failing.since },
        'stream journal writes recovered: the held messages are committed',
      );
      this.failing = undefined;
    }
    this.metrics.commit.observe((performance.now() - entry.started) / 1000);
    this.metrics.batch.observe(frames.length);
    this.metrics.published.inc(frames.length);
    this.metrics.head.set(this.options.journal.head);
    this.metrics.pending.set(this.pendingCount);
    for (const f of frames) this.latest.set(f.topic, { seq: f.seq, data: f.data });
    const batch: CommittedBatch = { frames, message: entry.sealed.message };
    for (const l of this.listeners) {
      try {
        l(batch);
      } catch (err) {
        this.options.logger.error({ err }, 'stream channel failed on a committed batch');
      }
    }
    if (this.overflow && this.pendingCount <= this.maxPending / 2) {
      this.options.logger.warn(
        { refused: this.overflow.refused, head: this.options.journal.head, behindForMs: this.options.clock.now() - this.overflow.since },
        'stream journal caught up: messages are taken again',
      );
      this.overflow = undefined;
    }
    if (this.pendingCount > 0) this.schedule();
    else this.settleDrain();
  }

  /**
   * The batch and every one handed over after it (which the writer refuses: they no longer follow its
   * head) go back in front, with their numbers: no later message can be committed (or sent) before them.
   */
  private notCommitted(entry: InFlight, reason: string): void {
    const at = this.inFlight.indexOf(entry);
    if (at < 0) return; // already put back with an earlier batch
    const back = this.inFlight.splice(at).map((e) => e.batch);
    this.pending = back.concat(this.pending);
    for (const b of back) this.pendingCount += b.count;
    this.commitFailed(reason);
  }

  /** A message refused for a full queue is lost to every subscriber: said once, and a failure until the queue drains. */
  private overflowed(topic: string): void {
    if (this.overflow) {
      this.overflow.refused++;
      return;
    }
    this.overflow = { since: this.options.clock.now(), refused: 1 };
    this.options.logger.error(
      { topic, waiting: this.pendingCount, head: this.head },
      'stream message refused: the journal cannot keep up; new orders are refused until it catches up',
    );
  }

  /** The held batch is retried after a backoff, unless the journal is gone for good (then nothing is ever sent). */
  private commitFailed(reason: string): void {
    const attempts = (this.failing?.attempts ?? 0) + 1;
    if (!this.failing || this.failing.reason !== reason) {
      this.options.logger.error(
        { err: reason, held: this.pendingCount, from: this.head + 1 },
        'stream journal write failed: messages held and retried, nothing sent until they commit',
      );
    }
    this.failing = { reason, since: this.failing?.since ?? this.options.clock.now(), attempts };
    this.metrics.pending.set(this.pendingCount);
    if (this.options.journal.failed === undefined && !this.closed) {
      this.retryTimer = withoutCorrelation(() =>
        this.options.clock.setTimeout(
          () => {
            this.retryTimer = undefined;
            this.commit();
          },
          backoffDelay(attempts - 1, RETRY),
        ),
      );
    }
    this.settleDrain();
  }

  private settleDrain(): void {
    if ((this.pendingCount > 0 && !this.failing) || this.inFlight.length > 0) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }
}

/** Only at startup (rebuilding the snapshot state), so the decoder's cost is no concern here. */
function decodeData(frame: Uint8Array): unknown {
  return (decodeFrames(frame)[0] as { data?: unknown } | undefined)?.data;
}
