// One partition of the stream's topic read raw, from an offset, by a consumer of its own (a unique
// group id, nothing committed: every relay reads the whole topic). It reconnects by itself after an
// outage and goes on from the next offset it had; the relay's tail and its recalls each use one.
import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { backoffDelay } from '../../../shared/backoff';
import type { Logger } from '../../ops';
import { describeKafkaError, KAFKAJS_RETRY, type KafkaSettings } from '../../transport';

export interface TopicReaderOptions {
  readonly kafka: Kafka;
  readonly settings: KafkaSettings;
  /** The full topic name (`<kafka.topic>.<mode>`). */
  readonly topic: string;
  readonly logger: Logger;
  /** Records at or after the offset asked for, in offset order, and the partition's high watermark then. */
  readonly onRecords: (messages: readonly KafkaMessage[], highWatermark: bigint) => void;
  /** Told about every outage (the reader reconnects by itself). */
  readonly onDown?: (message: string) => void;
}

export class TopicReader {
  private consumer: Consumer | undefined;
  private admin: Admin | undefined;
  private ready = false;
  private generation = 0;
  /** The next offset to deliver; undefined: paused. */
  private next: bigint | undefined;
  private connecting: Promise<void> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private lastError: string | undefined;
  private readonly log: Logger;

  constructor(private readonly options: TopicReaderOptions) {
    this.log = options.logger.child({ component: 'relay-reader', topic: options.topic });
  }

  /** Connected and joined. */
  get connected(): boolean {
    return this.ready;
  }

  /** Why the last attempt failed, while not connected. */
  get error(): string | undefined {
    return this.ready ? undefined : this.lastError;
  }

  /** Connects in the background; resolves once the first attempt is over (it keeps trying). */
  start(): Promise<void> {
    return new Promise((resolve) => this.reconnect(resolve));
  }

  /** Delivers records from `offset` on. */
  readFrom(offset: bigint): void {
    this.next = offset;
    this.aim();
  }

  pause(): void {
    this.next = undefined;
    this.aim();
  }

  /** The partition's earliest and next-to-be-written offsets. */
  async offsets(): Promise<{ low: bigint; high: bigint }> {
    const admin = this.admin;
    if (!admin || !this.ready) throw new Error(`not connected to Kafka${this.lastError !== undefined ? `: ${this.lastError}` : ''}`);
    const offsets = await admin.fetchTopicOffsets(this.options.topic);
    const p = offsets.find((x) => x.partition === 0);
    if (!p) throw new Error(`topic '${this.options.topic}' has no partition 0`);
    return { low: BigInt(p.low), high: BigInt(p.high) };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.connecting;
    await this.drop();
  }

  private aim(): void {
    const consumer = this.consumer;
    if (!consumer || !this.ready) return;
    try {
      if (this.next === undefined) consumer.pause([{ topic: this.options.topic }]);
      else {
        consumer.seek({ topic: this.options.topic, partition: 0, offset: String(this.next) });
        consumer.resume([{ topic: this.options.topic }]);
      }
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'could not aim the Kafka consumer');
    }
  }

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
          await this.drop();
          if (this.stopping) break;
          this.down(err);
          afterFirst?.();
          afterFirst = undefined;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, backoffDelay(attempt, { initialMs: 100, maxMs: 5_000 }));
            this.wake = () => {
              clearTimeout(timer);
              resolve();
            };
          });
        }
      }
    })().finally(() => {
      this.connecting = undefined;
      afterFirst?.();
      if (!this.ready && !this.stopping) this.reconnect();
    });
  }

  private async connect(): Promise<void> {
    const { kafka, topic } = this.options;
    const admin = kafka.admin({ retry: { ...KAFKAJS_RETRY } });
    this.admin = admin;
    await admin.connect();
    const generation = ++this.generation;
    const consumer = kafka.consumer({
      groupId: `${this.options.settings.clientId}-relay-${randomUUID()}`,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 100,
      maxBytesPerPartition: 4 * 1024 * 1024,
      retry: { ...KAFKAJS_RETRY, restartOnFailure: () => Promise.resolve(false) },
    });
    this.consumer = consumer;
    let crash: Error | undefined;
    consumer.on(consumer.events.CRASH, (event) => {
      crash = event.payload.error;
      if (generation === this.generation && this.ready) this.crashed(event.payload.error);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const running = consumer.run({ autoCommit: false, eachBatch: (payload) => Promise.resolve(this.onBatch(payload, generation)) });
    consumer.pause([{ topic }]);
    await running;
    if (crash) throw crash;
    if (this.stopping) throw new Error('stopping');
    this.ready = true;
    this.aim();
    if (this.lastError !== undefined) this.log.info('Kafka reachable again');
    this.lastError = undefined;
  }

  private crashed(err: Error): void {
    this.ready = false;
    this.down(err);
    void this.drop().then(() => this.reconnect());
  }

  private down(err: unknown): void {
    const message = describeKafkaError(err, this.options.settings);
    if (message !== this.lastError) this.log.error({ err: message }, 'Kafka unavailable; reconnecting');
    this.lastError = message;
    this.options.onDown?.(message);
  }

  private async drop(): Promise<void> {
    this.ready = false;
    const { consumer, admin } = this;
    this.consumer = undefined;
    this.admin = undefined;
    await consumer?.disconnect().catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
  }

  private onBatch(payload: EachBatchPayload, generation: number): void {
    if (generation !== this.generation || this.next === undefined || payload.isStale()) return;
    const fresh: KafkaMessage[] = [];
    for (const m of payload.batch.messages) {
      const offset = BigInt(m.offset);
      // Left over from before a seek.
      if (this.next === undefined || offset < this.next) continue;
      this.next = offset + 1n;
      fresh.push(m);
    }
    if (fresh.length === 0) return;
    try {
      this.options.onRecords(fresh, BigInt(payload.batch.highWatermark));
    } catch (err) {
      this.log.error({ err }, 'relay failed on Kafka records');
    }
  }
}
