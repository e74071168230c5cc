// One partition of the stream's topic read raw, from an offset, by a consumer of its own (a unique
// group id, nothing committed: every relay reads the whole topic). It reconnects by itself after an
// outage and goes on from the next offset it had; the relay's tail and its recalls each use one.
import type { EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '../../ops';
import { PartitionConsumer, type KafkaSettings } from '../../transport';

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
  private readonly consumer: PartitionConsumer;
  /** The next offset to deliver; undefined: paused. */
  private next: bigint | undefined;
  private lastError: string | undefined;
  private readonly log: Logger;

  constructor(private readonly options: TopicReaderOptions) {
    this.log = options.logger.child({ component: 'relay-reader', topic: options.topic });
    this.consumer = new PartitionConsumer({
      kafka: options.kafka,
      settings: options.settings,
      topic: options.topic,
      role: 'relay',
      maxWaitTimeInMs: 100,
      backoff: { initialMs: 100, maxMs: 5_000 },
      logger: this.log,
      onBatch: (payload) => this.onBatch(payload),
      onReady: () => this.onReady(),
      onDown: (message) => this.down(message),
    });
  }

  /** Connected and joined. */
  get connected(): boolean {
    return this.consumer.ready;
  }

  /** Why the last attempt failed, while not connected. */
  get error(): string | undefined {
    return this.consumer.ready ? undefined : this.lastError;
  }

  /** Connects in the background; resolves once the first attempt is over (it keeps trying). */
  start(): Promise<void> {
    return this.consumer.start();
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
    const admin = this.consumer.admin;
    if (!admin) throw new Error(`not connected to Kafka${this.lastError !== undefined ? `: ${this.lastError}` : ''}`);
    const offsets = await admin.fetchTopicOffsets(this.options.topic);
    const p = offsets.find((x) => x.partition === 0);
    if (!p) throw new Error(`topic '${this.options.topic}' has no partition 0`);
    return { low: BigInt(p.low), high: BigInt(p.high) };
  }

  stop(): Promise<void> {
    return this.consumer.stop();
  }

  private aim(): void {
    if (this.next === undefined) this.consumer.pause();
    else this.consumer.seek(this.next);
  }

  private onReady(): void {
    this.aim();
    if (this.lastError !== undefined) this.log.info('Kafka reachable again');
    this.lastError = undefined;
  }

  private down(message: string): void {
    if (message !== this.lastError) this.log.error({ err: message }, 'Kafka unavailable; reconnecting');
    this.lastError = message;
    this.options.onDown?.(message);
  }

  private onBatch(payload: EachBatchPayload): void {
    if (this.next === undefined) return;
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
