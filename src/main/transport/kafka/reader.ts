// The subscriber's Kafka side: a consumer kept connected (its group join done up front), which on
// readFrom seeks once near a position by timestamp and then tails the topic, delivering frames in
// offset order until paused: the subscriber's hot standby. Records at or before the subscriber's
// position are skipped by their headers, before they are decoded (record.ts reads both the batch
// format and the previous release's one frame each). It never commits offsets; a broker outage is
// reported, not thrown, and the read goes on where it was once the broker is back.
import type { EachBatchPayload, Kafka } from 'kafkajs';
import type { DataFrame } from '../../../shared/stream';
import type { Logger } from '../../ops';
import type { BackoffOptions } from '../../../shared/backoff';
import { createKafka, describeKafkaError } from './client';
import { PartitionConsumer } from './partition-consumer';
import { readRecord } from './record';
import type { KafkaSettings } from './settings';

/** Where a subscriber is: the last frame it has, and that frame's publish time. */
export interface StreamPosition {
  readonly epoch: string;
  readonly seq: number;
  readonly ts: number;
}

export interface KafkaReadInfo {
  /** Offset of the last record in this delivery. */
  readonly offset: string;
  readonly highWatermark: string;
  /** The delivery reached the end of the topic (as of its fetch). */
  readonly caughtUp: boolean;
}

export type KafkaReaderState = 'stopped' | 'starting' | 'idle' | 'reading' | 'down';

export interface KafkaReaderStatus {
  readonly state: KafkaReaderState;
  /** The offset the current (or last) read started at. */
  readonly startOffset?: string;
  /** The next offset the current read delivers. */
  readonly nextOffset?: string;
  readonly delivered: number;
  /** Frames dropped as already seen (seq at or before the position, same epoch). */
  readonly skipped: number;
  /** Bytes of the brokers' answers to the consumer (fetches, mostly): what the standby costs in bandwidth. */
  readonly bytesRead: number;
  readonly lastError?: string;
}

export interface KafkaStreamReaderOptions {
  readonly settings: KafkaSettings;
  readonly logger: Logger;
  /** Told about every outage (the reader reconnects by itself and resumes where it was). */
  readonly onError?: (message: string) => void;
  /** How far before the position's ts to seek (default 1 s): a safety margin for clock steps. */
  readonly seekMarginMs?: number;
  /** Reconnect delays (default 100 ms doubling to 10 s, with jitter). */
  readonly backoff?: BackoffOptions;
  /** The client; createKafka(settings, logger) when absent. */
  readonly kafka?: Kafka;
}

interface Session {
  readonly position: StreamPosition;
  readonly onFrames: (frames: DataFrame[], info: KafkaReadInfo) => void;
  /** The reader's seq now, in the position's epoch (the hot standby's subscriber moves on without Kafka). */
  readonly current: () => number;
  readonly startOffset: string;
  nextOffset: bigint;
  /** The highest seq delivered in the position's epoch (at-least-once duplicates are dropped). */
  lastSeq: number;
  /** A frame of the position's epoch was read: other epochs after it are newer (a recreated store). */
  ownEpochSeen: boolean;
}

export class KafkaStreamReader {
  private readonly log: Logger;
  private readonly topic: string;
  private readonly margin: number;
  private readonly consumer: PartitionConsumer;
  /** Bumped by readFrom and pause, so a slow readFrom does not override a later call. */
  private intent = 0;
  private session: Session | undefined;
  private lastStartOffset: string | undefined;
  private state: KafkaReaderState = 'stopped';
  private lastError: string | undefined;
  private delivered = 0;
  private skipped = 0;
  private bytesRead = 0;
  private started: Promise<void> | undefined;
  private stopping = false;

  constructor(private readonly options: KafkaStreamReaderOptions) {
    this.log = options.logger.child({ component: 'kafka-reader', topic: options.settings.topic });
    this.topic = options.settings.topic;
    this.margin = options.seekMarginMs ?? 1_000;
    this.consumer = new PartitionConsumer({
      kafka: options.kafka ?? createKafka(options.settings, options.logger),
      settings: options.settings,
      topic: this.topic,
      role: 'reader',
      // A paused consumer sleeps this long between checks: it bounds how fast a readFrom starts.
      maxWaitTimeInMs: 50,
      ...(options.backoff ? { backoff: options.backoff } : {}),
      logger: this.log,
      onBatch: (payload) => this.onBatch(payload),
      onReady: () => this.connected(),
      onDown: (message) => this.down(message),
      onResponseBytes: (bytes) => (this.bytesRead += bytes),
    });
  }

  /** Connects and joins, then idles. Resolves once the first attempt is over (connected or not: it keeps trying). */
  start(): Promise<void> {
    if (this.started) return this.started;
    this.state = 'starting';
    this.started = this.consumer.start();
    return this.started;
  }

  /**
   * Reads from near `position` on: seeks to the first record published at or after `position.ts` minus
   * the margin, and delivers frames in offset order, minus those at or before `position.seq` of the
   * same epoch; a frame of another epoch passes (a recreated store) unless it comes before any of the
   * position's epoch and is no newer than the position (an older store's tail). `current`, when given,
   * is where the reader is now (it moves on from other channels): records at or before it are skipped
   * too. Rejects when the reader cannot seek now (not connected).
   */
  async readFrom(position: StreamPosition, onFrames: (frames: DataFrame[], info: KafkaReadInfo) => void, current: () => number = () => 0): Promise<void> {
    const intent = ++this.intent;
    const admin = this.consumer.admin;
    if (!admin) {
      throw new Error(`the Kafka reader is not connected (${this.state}${this.lastError !== undefined ? `: ${this.lastError}` : ''})`);
    }
    let offset: string;
    try {
      const offsets = await admin.fetchTopicOffsetsByTimestamp(this.topic, Math.max(0, position.ts - this.margin));
      const found = offsets.find((p) => p.partition === 0)?.offset;
      if (found === undefined) throw new Error(`topic '${this.topic}' has no partition 0`);
      offset = found;
    } catch (err) {
      throw new Error(`cannot position the Kafka reader: ${describeKafkaError(err, this.options.settings)}`, { cause: err });
    }
    if (intent !== this.intent || this.stopping) return; // paused or re-aimed meanwhile
    this.session = { position, onFrames, current, startOffset: offset, nextOffset: BigInt(offset), lastSeq: position.seq, ownEpochSeen: false };
    this.lastStartOffset = offset;
    // While reconnecting, the new consumer picks the session up where it is.
    if (this.consumer.ready) this.aim();
    this.log.debug({ position, offset }, 'reading Kafka');
  }

  /** Connected and joined: a read delivers (or will, as records arrive). */
  available(): boolean {
    return this.consumer.ready;
  }

  /** Stops delivering; the consumer stays connected for the next readFrom. */
  pause(): void {
    this.intent++;
    this.session = undefined;
    this.consumer.pause();
    if (this.state === 'reading') this.state = 'idle';
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.intent++;
    this.session = undefined;
    await this.consumer.stop();
    this.state = 'stopped';
  }

  status(): KafkaReaderStatus {
    const s = this.session;
    return {
      state: this.state,
      ...(this.lastStartOffset !== undefined ? { startOffset: this.lastStartOffset } : {}),
      ...(s ? { nextOffset: String(s.nextOffset) } : {}),
      delivered: this.delivered,
      skipped: this.skipped,
      bytesRead: this.bytesRead,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  /** Seeks the consumer to the session's next offset and resumes it (or keeps it paused when idle). */
  private aim(): void {
    const s = this.session;
    if (!s) {
      this.consumer.pause();
      this.state = 'idle';
      return;
    }
    this.consumer.seek(s.nextOffset);
    this.state = 'reading';
  }

  private connected(): void {
    this.aim();
    if (this.lastError !== undefined) this.log.info({ state: this.state }, 'Kafka reader connected again');
    this.lastError = undefined;
  }

  private down(message: string): void {
    if (this.state !== 'down' || message !== this.lastError) this.log.error({ err: message, reading: this.session !== undefined }, 'Kafka reader unavailable; reconnecting');
    this.state = 'down';
    this.lastError = message;
    try {
      this.options.onError?.(message);
    } catch (cbErr) {
      this.log.error({ err: cbErr }, 'Kafka reader error callback failed');
    }
  }

  private onBatch(payload: EachBatchPayload): void {
    const s = this.session;
    if (!s) return;
    const { batch } = payload;
    // What the subscriber already has (from the WebSocket) counts as delivered: read once per batch.
    s.lastSeq = Math.max(s.lastSeq, s.current());
    const frames: DataFrame[] = [];
    for (const message of batch.messages) {
      const offset = BigInt(message.offset);
      // Left over from before a seek.
      if (offset < s.nextOffset) continue;
      s.nextOffset = offset + 1n;
      const read = readRecord(message, s);
      if (!read) {
        this.log.warn({ offset: message.offset }, 'skipping a Kafka record that is not a stream record');
        continue;
      }
      this.skipped += read.skipped;
      for (const frame of read.frames) frames.push(frame);
    }
    if (frames.length === 0 || this.session !== s) return;
    this.delivered += frames.length;
    const info: KafkaReadInfo = { offset: String(s.nextOffset - 1n), highWatermark: batch.highWatermark, caughtUp: s.nextOffset >= BigInt(batch.highWatermark) };
    try {
      s.onFrames(frames, info);
    } catch (err) {
      this.log.error({ err }, 'Kafka reader consumer callback failed');
    }
  }
}
