// Partition 0 of a topic read from an offset by a consumer of its own: a unique group id, joined once
// up front, nothing committed (every reader reads the whole topic). It stays connected: a failed
// attempt is retried after a backoff, a crash at once (then after a backoff while it keeps crashing),
// and its owner aims it again once it is back. The subscriber's Kafka standby and a relay's tail and
// recalls are built on it.
import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { backoffDelay, type BackoffOptions } from '../../../shared/backoff';
import type { Logger } from '../../ops';
import { describeKafkaError, KAFKAJS_RETRY } from './client';
import type { KafkaSettings } from './settings';
import { Waiter } from './waiter';

export interface PartitionConsumerOptions {
  readonly kafka: Kafka;
  readonly settings: KafkaSettings;
  readonly topic: string;
  /** Its group id is `<clientId>-<role>-<uuid>`. */
  readonly role: string;
  /** A fetch waits this long for records, and a paused consumer sleeps this long between checks: it bounds how fast a seek delivers. */
  readonly maxWaitTimeInMs: number;
  /** Reconnect delays (default 100 ms doubling to 10 s, with jitter). */
  readonly backoff?: BackoffOptions;
  readonly logger: Logger;
  /** Batches of the current consumer that are not stale. */
  readonly onBatch: (payload: EachBatchPayload) => void;
  /** Connected and joined (again): the owner seeks or pauses it. */
  readonly onReady: () => void;
  /** An attempt failed or the consumer crashed, in Kafka's words; it reconnects by itself. */
  readonly onDown: (message: string) => void;
  /** The size of every answer from the brokers (fetches, mostly). */
  readonly onResponseBytes?: (bytes: number) => void;
}

export class PartitionConsumer {
  private consumer: Consumer | undefined;
  private adminClient: Admin | undefined;
  /** Joined and running (its owner aims it in onReady). */
  private joined = false;
  /** When it last joined, and the crashes since without a quiet minute: a consumer that keeps crashing backs off. */
  private joinedAt = 0;
  private crashes = 0;
  private started: Promise<void> | undefined;
  /** Bumped per consumer, so batches and crashes of an old one are ignored. */
  private generation = 0;
  private connecting: Promise<void> | undefined;
  private stopping = false;
  private readonly rest = new Waiter();

  constructor(private readonly options: PartitionConsumerOptions) {}

  get ready(): boolean {
    return this.joined;
  }

  /** The admin client of the current connection, while ready (offsets of the partition, or by time). */
  get admin(): Admin | undefined {
    return this.joined ? this.adminClient : undefined;
  }

  /** Connects in the background; resolves once the first attempt is over (connected or not: it keeps trying). */
  start(): Promise<void> {
    this.started ??= new Promise((resolve) => this.reconnect(resolve));
    return this.started;
  }

  /** Delivers from `offset` on (when ready; its owner aims it again in onReady). */
  seek(offset: bigint): void {
    const consumer = this.consumer;
    if (!consumer || !this.joined) return;
    try {
      consumer.seek({ topic: this.options.topic, partition: 0, offset: String(offset) });
      consumer.resume([{ topic: this.options.topic }]);
    } catch (err) {
      // Not running after all: the next onReady aims it again.
      this.options.logger.warn({ err: (err as Error).message }, 'could not seek the Kafka consumer');
    }
  }

  /** Delivers nothing until the next seek; stays connected. */
  pause(): void {
    const consumer = this.consumer;
    if (!consumer || !this.joined) return;
    try {
      consumer.pause([{ topic: this.options.topic }]);
    } catch {
      // not running: nothing is delivered anyway
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.rest.wake();
    await this.connecting;
    await this.drop();
  }

  /** (Re)connects until connected or stopped, after `delayMs`; `afterFirst` runs after the first attempt. */
  private reconnect(afterFirst?: () => void, delayMs = 0): void {
    if (this.connecting) {
      afterFirst?.();
      return;
    }
    this.connecting = (async () => {
      if (delayMs > 0) await this.rest.wait(delayMs);
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
          await this.rest.wait(backoffDelay(attempt, this.options.backoff));
        }
      }
    })().finally(() => {
      this.connecting = undefined;
      afterFirst?.();
      // A crash between connecting and this line found the loop still running: go again.
      if (!this.joined && !this.stopping) this.reconnect();
    });
  }

  private async connect(): Promise<void> {
    const { kafka, topic } = this.options;
    const admin = kafka.admin({ retry: { ...KAFKAJS_RETRY } });
    this.adminClient = admin;
    await admin.connect();
    const generation = ++this.generation;
    const consumer = kafka.consumer({
      groupId: `${this.options.settings.clientId}-${this.options.role}-${randomUUID()}`,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: this.options.maxWaitTimeInMs,
      maxBytesPerPartition: 4 * 1024 * 1024,
      // This loop restarts a crashed consumer (and its owner re-seeks), so kafkajs must not.
      retry: { ...KAFKAJS_RETRY, restartOnFailure: () => Promise.resolve(false) },
    });
    this.consumer = consumer;
    let crash: Error | undefined;
    consumer.on(consumer.events.CRASH, (event) => {
      crash = event.payload.error;
      if (generation === this.generation && this.joined) this.crashed(event.payload.error);
    });
    const onBytes = this.options.onResponseBytes;
    if (onBytes) consumer.on(consumer.events.REQUEST, (event) => onBytes(event.payload.size));
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const running = consumer.run({ autoCommit: false, eachBatch: (payload) => Promise.resolve(this.onBatch(payload, generation)) });
    // Paused before the group join completes, so nothing is fetched before a seek.
    consumer.pause([{ topic }]);
    await running;
    if (crash) throw crash;
    if (this.stopping) throw new Error('stopping');
    this.joined = true;
    this.joinedAt = Date.now();
    this.options.onReady();
  }

  private crashed(err: Error): void {
    this.joined = false;
    this.down(err);
    // The crashed clients disconnect in the background: the next attempt need not wait for a broker that may be gone.
    void this.drop();
    // The first crash after a quiet minute reconnects at once (a failover waits on it); one after another backs off.
    if (Date.now() - this.joinedAt > 60_000) this.crashes = 0;
    const delay = this.crashes === 0 ? 0 : backoffDelay(this.crashes - 1, this.options.backoff);
    this.crashes++;
    this.reconnect(undefined, delay);
  }

  private down(err: unknown): void {
    this.options.onDown(describeKafkaError(err, this.options.settings));
  }

  private async drop(): Promise<void> {
    this.joined = false;
    const { consumer, adminClient } = this;
    this.consumer = undefined;
    this.adminClient = undefined;
    await consumer?.disconnect().catch(() => undefined);
    await adminClient?.disconnect().catch(() => undefined);
  }

  private onBatch(payload: EachBatchPayload, generation: number): void {
    if (generation !== this.generation || payload.isStale()) return;
    this.options.onBatch(payload);
  }
}
