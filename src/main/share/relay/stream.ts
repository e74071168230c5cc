// The relay's stream: the WHOLE topic read from its earliest offset by a consumer of its own (never a
// group that splits partitions between relays), each record turned into a committed batch of the
// current epoch. A record of an epoch not seen before starts a new feed (the relay's viewers are reset
// as the desk's would be); a record of an earlier one is stale and skipped. Older positions are read
// back from Kafka by a second consumer, seeking straight to the record through the feed's index.
import type { Kafka, KafkaMessage } from 'kafkajs';
import type { DataFrame } from '../../../shared/stream';
import type { Logger } from '../../ops';
import { createKafka, RECORD_FORMAT, recordFrames, recordSpan, type KafkaSettings } from '../../transport';
import { DEFAULT_RELAY_WINDOW, EpochFeed, type RecallObserver, type RelayWindowLimits } from './feed';
import { TopicReader } from './topic-reader';

export interface RelayStreamOptions {
  readonly settings: KafkaSettings;
  /** The full topic name (`<kafka.topic>.<mode>`). */
  readonly topic: string;
  readonly logger: Logger;
  readonly window?: Partial<RelayWindowLimits>;
  /** Each epoch's feed, as the topic reaches it (the first, then every new one). */
  readonly onFeed: (feed: EpochFeed) => void;
  /** Records behind the topic's head at most to count as caught up (after having reached it once; default 1,000). */
  readonly maxLagRecords?: number;
  /** How often the topic's head is asked for (default 500 ms). */
  readonly pollMs?: number;
  /** A recall gives up after this (default 10 s): the viewer is reset. */
  readonly recallTimeoutMs?: number;
  /** Told of every recall a feed decides on (the relay's metrics). */
  readonly onRecall?: RecallObserver;
  readonly kafka?: Kafka;
}

export interface RelayStatus {
  readonly kafka: { readonly reachable: boolean; readonly detail: string };
  /** Reached the topic's head since starting, and within maxLagRecords of it now. */
  readonly caughtUp: boolean;
  /** Records between the next one to read and the topic's head (high watermark), when known. */
  readonly lag: number | undefined;
  readonly epoch: string | undefined;
  readonly head: number;
  readonly oldest: number;
  readonly window: { readonly messages: number; readonly bytes: number };
  /** Records in the current feed's seq → offset index. */
  readonly indexRecords: number;
  /** Encoded bytes of the recalled runs cached. */
  readonly recallCacheBytes: number;
}

export class RelayStream {
  private readonly kafka: Kafka;
  private readonly tail: TopicReader;
  private readonly recaller: TopicReader;
  private readonly limits: RelayWindowLimits;
  private feedValue: EpochFeed | undefined;
  /** Epochs read before the current one: their records are stale. */
  private readonly past = new Set<string>();
  private next: bigint | undefined;
  private highWatermark: bigint | undefined;
  private reachedHead = false;
  private reachable: { ok: boolean; detail: string } = { ok: false, detail: 'connecting' };
  private poller: NodeJS.Timeout | undefined;
  private polling = false;
  /** Recalls one at a time, through the recaller. */
  private recallChain: Promise<unknown> = Promise.resolve();
  private recallSink: ((messages: readonly KafkaMessage[], highWatermark: bigint) => void) | undefined;
  private readonly caughtUpWaiters: (() => void)[] = [];
  private readonly log: Logger;

  constructor(private readonly options: RelayStreamOptions) {
    this.log = options.logger.child({ component: 'relay-stream', topic: options.topic });
    this.kafka = options.kafka ?? createKafka(options.settings, options.logger);
    this.limits = { ...DEFAULT_RELAY_WINDOW, ...Object.fromEntries(Object.entries(options.window ?? {}).filter(([, v]) => v !== undefined)) };
    const common = { kafka: this.kafka, settings: options.settings, topic: options.topic, logger: options.logger };
    this.tail = new TopicReader({ ...common, onRecords: (m, hw) => this.onRecords(m, hw), onDown: (m) => this.down(m) });
    this.recaller = new TopicReader({ ...common, onRecords: (m, hw) => this.recallSink?.(m, hw) });
  }

  /** The current epoch's feed. */
  get feed(): EpochFeed | undefined {
    return this.feedValue;
  }

  /** Connects in the background (a broker down at start is reported, not thrown) and reads. */
  async start(): Promise<void> {
    this.poller = setInterval(() => void this.poll(), this.options.pollMs ?? 500);
    await Promise.all([this.tail.start(), this.recaller.start()]);
    await this.poll();
  }

  async stop(): Promise<void> {
    clearInterval(this.poller);
    // Hellos waiting for the head are answered, their timers cleared.
    this.feedValue?.supersede();
    await Promise.all([this.tail.stop(), this.recaller.stop()]);
  }

  /** Resolves once the relay has read up to the topic's head (the first time). */
  caughtUp(): Promise<void> {
    if (this.reachedHead) return Promise.resolve();
    return new Promise((resolve) => this.caughtUpWaiters.push(resolve));
  }

  status(): RelayStatus {
    const lag = this.next !== undefined && this.highWatermark !== undefined ? Math.max(0, Number(this.highWatermark - this.next)) : undefined;
    const feed = this.feedValue;
    return {
      kafka: { reachable: this.reachable.ok, detail: this.reachable.detail },
      caughtUp: this.reachedHead && lag !== undefined && lag <= (this.options.maxLagRecords ?? 1_000),
      lag,
      epoch: feed?.epoch,
      head: feed?.head ?? 0,
      oldest: feed?.oldest ?? 0,
      window: feed?.window ?? { messages: 0, bytes: 0 },
      indexRecords: feed?.indexRecords ?? 0,
      recallCacheBytes: feed?.recallCacheBytes ?? 0,
    };
  }

  /** Asks for the topic's offsets: reachability, the head, and where to start reading the first time. */
  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const { low, high } = await this.tail.offsets();
      this.highWatermark = high;
      this.reachable = { ok: true, detail: 'reading' };
      if (this.next === undefined) {
        this.next = low;
        this.tail.readFrom(low);
      }
      this.feedValue?.forgetBefore(low);
      this.checkHead();
    } catch (err) {
      this.reachable = { ok: false, detail: this.named(this.tail.error ?? (err as Error).message) };
    } finally {
      this.polling = false;
    }
  }

  private down(message: string): void {
    this.reachable = { ok: false, detail: this.named(message) };
  }

  /** Kafka's words for a missing topic ("does not host this topic-partition") do not name it: /ready should. */
  private named(message: string): string {
    return /does not host this topic-partition/i.test(message) ? `topic ${this.options.topic} does not exist` : message;
  }

  private checkHead(): void {
    if (this.next !== undefined && this.highWatermark !== undefined && this.next >= this.highWatermark) this.reachHead();
  }

  private reachHead(): void {
    if (this.reachedHead) return;
    this.reachedHead = true;
    this.log.info({ epoch: this.feedValue?.epoch, head: this.feedValue?.head ?? 0, offset: String(this.next) }, 'relay caught up with the topic');
    for (const w of this.caughtUpWaiters.splice(0)) w();
  }

  private onRecords(messages: readonly KafkaMessage[], highWatermark: bigint): void {
    for (const m of messages) {
      this.onRecord(m);
      this.next = BigInt(m.offset) + 1n;
    }
    // The fetch's own end of the topic: under a steady flow a poll's newer head may always be a record ahead.
    if (this.next !== undefined && this.next >= highWatermark) this.reachHead();
    if (this.highWatermark === undefined || highWatermark > this.highWatermark) this.highWatermark = highWatermark;
  }

  private onRecord(m: KafkaMessage): void {
    const version = m.headers?.['v']?.toString();
    if (version !== undefined && version !== RECORD_FORMAT) {
      this.log.warn({ offset: m.offset, version }, 'skipping a Kafka record of another format');
      return;
    }
    const span = recordSpan(m.headers);
    let feed = this.feedValue;
    // Whole records already read (a resend) are skipped by their headers, unread.
    if (span && feed && span.epoch === feed.epoch && span.last <= feed.head) return;
    if (span && this.past.has(span.epoch)) return;
    const frames = recordFrames(m.value);
    const epoch = span?.epoch ?? frames?.[0]?.epoch;
    if (!frames || epoch === undefined) {
      this.log.warn({ offset: m.offset }, 'skipping a Kafka record that is not a stream record');
      return;
    }
    if (this.past.has(epoch)) return;
    if (!feed || feed.epoch !== epoch) {
      const previous = feed;
      if (previous) this.past.add(previous.epoch);
      const recall = (offset: bigint, e: string, from: number, upTo: number) => this.recall(offset, e, from, upTo);
      feed = new EpochFeed(epoch, (frames[0] as DataFrame).seq - 1, this.limits, recall, this.options.onRecall, (e) => this.past.has(e));
      this.feedValue = feed;
      this.log.info({ epoch, offset: m.offset }, 'relay reading a new stream epoch');
      this.options.onFeed(feed);
      // Hellos still waiting on the old feed are answered now, not at their timeout (the server has the new feed).
      previous?.supersede();
    }
    const head = feed.head;
    const fresh = frames.filter((f) => f.epoch === epoch && f.seq > head);
    if (fresh.length === 0) return;
    feed.append(fresh, BigInt(m.offset), fresh.length === frames.length && m.value ? m.value : undefined);
  }

  /** One recall at a time: seeks the recaller to the record and collects from..upTo of the epoch. */
  private recall(offset: bigint, epoch: string, from: number, upTo: number): Promise<DataFrame[]> {
    const run = this.recallChain.then(() => this.readBack(offset, epoch, from, upTo));
    this.recallChain = run.catch(() => undefined);
    return run;
  }

  private readBack(offset: bigint, epoch: string, from: number, upTo: number): Promise<DataFrame[]> {
    const out: DataFrame[] = [];
    return new Promise<DataFrame[]>((resolve) => {
      const done = (why?: string): void => {
        clearTimeout(timer);
        this.recallSink = undefined;
        this.recaller.pause();
        if (why !== undefined) this.log.warn({ epoch, from, upTo, got: out.length, why }, 'recall from Kafka ended early');
        resolve(out);
      };
      const timer = setTimeout(() => done('timed out'), this.options.recallTimeoutMs ?? 10_000);
      this.recallSink = (messages, highWatermark) => {
        for (const m of messages) {
          for (const f of recordFrames(m.value) ?? []) {
            if (f.epoch !== epoch || f.seq < from + out.length) continue;
            if (f.seq !== from + out.length) return done('a hole in the topic');
            out.push(f);
            if (f.seq >= upTo) return done();
          }
          if (BigInt(m.offset) + 1n >= highWatermark) return done('the end of the topic');
        }
      };
      this.recaller.readFrom(offset);
    });
  }
}
