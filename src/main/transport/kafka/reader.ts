// The subscriber's Kafka side: a consumer kept connected (its group join done up front), which on
// readFrom seeks once near a position by timestamp and then tails the topic, delivering frames in
// offset order until paused: the subscriber's hot standby. Records at or before the subscriber's
// position are skipped by their headers, before they are decoded (record.ts reads both the batch
// format and the previous release's one frame each). It never commits offsets; a broker outage is
// reported, not thrown, and the read goes on where it was once the broker is back.
import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { DataFrame } from '../../../shared/stream';
import type { Logger } from '../../ops';
import { backoffDelay, type BackoffOptions } from '../../../shared/backoff';
import { Waiter } from './waiter';
import { createKafka, describeKafkaError, KAFKAJS_RETRY } from './client';
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
  private readonly kafka: Kafka;
  private readonly topic: string;
  private readonly margin: number;
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;
  /** Joined, running and positioned (paused or reading). */
  private ready = false;
  /** Bumped per consumer, so batches and crashes of an old one are ignored. */
  private generation = 0;
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
  private connecting: Promise<void> | undefined;
  private stopping = false;
  private readonly rest = new Waiter();

  constructor(private readonly options: KafkaStreamReaderOptions) {
    this.log = options.logger.child({ component: 'kafka-reader', topic: options.settings.topic });
    this.kafka = options.kafka ?? createKafka(options.settings, options.logger);
    this.topic = options.settings.topic;
    this.margin = options.seekMarginMs ?? 1_000;
  }

  /** Connects and joins, then idles. Resolves once the first attempt is over (connected or not: it keeps trying). */
  start(): Promise<void> {
    if (this.started) return this.started;
    this.state = 'starting';
    let firstDone!: () => void;
    this.started = new Promise<void>((resolve) => (firstDone = resolve));
    this.reconnect(firstDone);
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
    const admin = this.admin;
    if (!this.ready || !admin) {
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
    if (this.ready) this.aim();
    this.log.debug({ position, offset }, 'reading Kafka');
  }

  /** Connected and joined: a read delivers (or will, as records arrive). */
  available(): boolean {
    return this.ready;
  }

  /** Stops delivering; the consumer stays connected for the next readFrom. */
  pause(): void {
    this.intent++;
    this.session = undefined;
    if (this.ready && this.consumer) {
      try {
        this.consumer.pause([{ topic: this.topic }]);
      } catch {
        // not running: nothing is delivered anyway
      }
    }
    if (this.state === 'reading') this.state = 'idle';
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.intent++;
    this.session = undefined;
    this.rest.wake();
    await this.connecting;
    await this.dropClients();
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
    const consumer = this.consumer;
    if (!consumer) return;
    const s = this.session;
    if (!s) {
      consumer.pause([{ topic: this.topic }]);
      this.state = 'idle';
      return;
    }
    consumer.seek({ topic: this.topic, partition: 0, offset: String(s.nextOffset) });
    consumer.resume([{ topic: this.topic }]);
    this.state = 'reading';
  }

  /** (Re)connects in the background until connected or stopped; `afterFirst` runs after the first attempt. */
  private reconnect(afterFirst?: () => void): void {
    if (this.connecting) {
      afterFirst?.();
      return;
    }
    this.connecting = (async () => {
      for (let attempt = 0; !this.stopping; attempt++) {
        try {
          await this.connect();
          break;
        } catch (err) {
          await this.dropClients();
          if (this.stopping) break;
          this.down(err);
          afterFirst?.();
          afterFirst = undefined;
          await this.rest.wait(backoffDelay(attempt, this.options.backoff));
        }
      }
    })().finally(() => {
      this.connecting = undefined;
      afterFirst?.();
      // A crash between connecting and this line found the loop still running: go again.
      if (!this.ready && !this.stopping) this.reconnect();
    });
  }

  private async connect(): Promise<void> {
    const admin = this.kafka.admin({ retry: { ...KAFKAJS_RETRY } });
    this.admin = admin;
    await admin.connect();
    const generation = ++this.generation;
    const consumer = this.kafka.consumer({
      // A group of its own: nothing is shared or committed, and the join is done once, up front.
      groupId: `${this.options.settings.clientId}-reader-${randomUUID()}`,
      allowAutoTopicCreation: false,
      // A paused consumer sleeps this long between checks: it bounds how fast a readFrom starts.
      maxWaitTimeInMs: 50,
      maxBytesPerPartition: 4 * 1024 * 1024,
      // Our loop restarts a crashed consumer (and re-seeks), so kafkajs must not.
      retry: { ...KAFKAJS_RETRY, restartOnFailure: () => Promise.resolve(false) },
    });
    this.consumer = consumer;
    let crash: Error | undefined;
    consumer.on(consumer.events.CRASH, (event) => {
      crash = event.payload.error;
      if (generation === this.generation && this.ready) this.crashed(event.payload.error);
    });
    consumer.on(consumer.events.REQUEST, (event) => {
      this.bytesRead += event.payload.size;
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [this.topic], fromBeginning: true });
    const running = consumer.run({ autoCommit: false, eachBatch: (payload) => Promise.resolve(this.onBatch(payload, generation)) });
    // Paused before the group join completes, so nothing is fetched before a seek.
    consumer.pause([{ topic: this.topic }]);
    await running;
    if (crash) throw crash;
    if (this.stopping) throw new Error('stopping');
    this.ready = true;
    this.aim();
    if (this.lastError !== undefined) this.log.info({ state: this.state }, 'Kafka reader connected again');
    this.lastError = undefined;
  }

  private crashed(err: Error): void {
    this.ready = false;
    this.down(err);
    const consumer = this.consumer;
    this.consumer = undefined;
    void consumer?.disconnect().catch(() => undefined);
    const admin = this.admin;
    this.admin = undefined;
    void admin?.disconnect().catch(() => undefined);
    this.reconnect();
  }

  private down(err: unknown): void {
    const message = describeKafkaError(err, this.options.settings);
    if (this.state !== 'down' || message !== this.lastError) this.log.error({ err: message, reading: this.session !== undefined }, 'Kafka reader unavailable; reconnecting');
    this.state = 'down';
    this.lastError = message;
    try {
      this.options.onError?.(message);
    } catch (cbErr) {
      this.log.error({ err: cbErr }, 'Kafka reader error callback failed');
    }
  }

  private async dropClients(): Promise<void> {
    this.ready = false;
    const consumer = this.consumer;
    const admin = this.admin;
    this.consumer = undefined;
    this.admin = undefined;
    await consumer?.disconnect().catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
  }

  private onBatch(payload: EachBatchPayload, generation: number): void {
    const s = this.session;
    if (generation !== this.generation || !s || payload.isStale()) return;
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
