// The Kafka outbox: copies the stream journal to the Kafka topic, in seq order, at least once. It
// reads the journal (never memory) from the acknowledged watermark on, so after a crash or an outage
// the unacknowledged tail is simply produced again. The trading path only ever wakes it up.
import type { Kafka, Message, Producer } from 'kafkajs';
import type { Registry } from 'prom-client';
import { CircuitBreaker, type BreakerOptions, type BreakerState } from '../../../shared/stream';
import type { Logger } from '../../ops';
import type { JournalRow } from '../journal';
import { backoffDelay, type BackoffOptions } from '../../../shared/backoff';
import { Waiter } from './waiter';
import { createKafka, describeKafkaError, KAFKAJS_RETRY } from './client';
import { kafkaOutboxMetrics, type KafkaOutboxMetrics, type OutboxGaugeSource } from './outbox-metrics';
import type { KafkaSettings } from './settings';
import { ensureStreamTopic, KafkaTopicError } from './topic';

/** The part of the StreamJournal the outbox uses. */
export interface OutboxJournal {
  readonly epoch: string;
  readonly head: number;
  readonly kafkaAcked: number;
  read(from: number, to: number, limit: number): JournalRow[];
  setKafkaAcked(seq: number): void;
}

export type KafkaOutboxState = 'starting' | 'up' | 'down';

export interface KafkaOutboxStatus {
  readonly state: KafkaOutboxState;
  readonly breaker: BreakerState;
  readonly acked: number;
  readonly head: number;
  /** head - acked. */
  readonly backlog: number;
  /** now - ts of the oldest unacknowledged message; 0 when none. */
  readonly lagMs: number;
  readonly lastError?: string;
}

export interface KafkaOutboxOptions {
  readonly journal: OutboxJournal;
  /** Subscribes to committed batches (StreamPublisher.onCommitted); they only wake the outbox up. */
  readonly onCommitted: (listener: () => void) => () => void;
  readonly settings: KafkaSettings;
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly now?: () => number;
  /** Messages per send at most (default 1,000: kafkajs groups a send's messages in quadratic time, so larger sends get slower). */
  readonly maxBatchMessages?: number;
  /** Bytes per send at most (default 512 KiB, under the broker's default message.max.bytes of 1 MiB). */
  readonly maxBatchBytes?: number;
  /** Retry delays (default 100 ms doubling to 10 s, with jitter). */
  readonly backoff?: BackoffOptions;
  /** The breaker's triggers and cool-down (default: > 3 consecutive failures or > 5 % in 30 s; 2 s open). */
  readonly breaker?: BreakerOptions;
  /** The client; createKafka(settings, logger) when absent. */
  readonly kafka?: Kafka;
}

// Errors after which this producer's idempotence state is unusable; a new producer (id) recovers.
const PRODUCER_STATE_ERRORS = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
  'PRODUCER_FENCED',
]);
/** Record overhead per message (headers, varints), to keep a send under the byte budget. */
const RECORD_OVERHEAD = 64;
/** An idle outbox still looks at the journal this often, in case a notification was missed. */
const IDLE_CHECK_MS = 1_000;

interface PendingSend {
  readonly rows: JournalRow[];
  readonly messages: Message[];
  bytes: number;
}

export class KafkaOutbox {
  private readonly log: Logger;
  private readonly kafka: Kafka;
  private readonly breaker: CircuitBreaker;
  private readonly metrics: KafkaOutboxMetrics;
  private readonly now: () => number;
  private readonly maxMessages: number;
  private readonly maxBytes: number;
  private readonly coolDownMs: number;
  private readonly gauges: OutboxGaugeSource;
  private producer: Producer | undefined;
  private connected = false;
  private topicReady = false;
  private state: KafkaOutboxState = 'starting';
  private lastError: string | undefined;
  /** The batch being sent: resent unchanged until acknowledged, so the idempotent producer can drop a duplicate. */
  private pending: PendingSend | undefined;
  /** The batch after the pending one, read while the pending one was on the wire. */
  private prefetched: PendingSend | undefined;
  private attempt = 0;
  private openedAt = 0;
  private oldestUnacked: { readonly seq: number; readonly ts: number } | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  /** Woken by committed batches (and stop). */
  private readonly work = new Waiter();
  /** Backoff and cool-down waits, woken only by stop. */
  private readonly rest = new Waiter();
  private readonly first: { promise: Promise<void>; settled: boolean; resolve: () => void; reject: (err: Error) => void };
  private ackWaiters: { readonly seq: number; readonly resolve: () => void }[] = [];

  constructor(private readonly o: KafkaOutboxOptions) {
    this.log = o.logger.child({ component: 'kafka-outbox', topic: o.settings.topic });
    this.kafka = o.kafka ?? createKafka(o.settings, o.logger);
    this.now = o.now ?? Date.now;
    this.maxMessages = o.maxBatchMessages ?? 1_000;
    this.maxBytes = o.maxBatchBytes ?? 512 * 1024;
    this.coolDownMs = o.breaker?.coolDownMs ?? 2_000;
    this.breaker = new CircuitBreaker(this.now, { ...o.breaker, coolDownMs: this.coolDownMs }, (state, reason) => {
      if (state === 'open') {
        this.openedAt = this.now();
        this.log.warn({ reason, backlog: this.backlog() }, 'Kafka circuit breaker open: no sends until a trial after the cool-down');
      } else {
        this.log.info({ reason }, `Kafka circuit breaker ${state}`);
      }
    });
    this.metrics = kafkaOutboxMetrics(o.metrics);
    this.gauges = {
      backlog: () => this.backlog(),
      lagSeconds: () => this.lagMs() / 1000,
      breaker: () => this.breaker.state,
    };
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.first = { promise, settled: false, resolve, reject };
  }

  /**
   * Starts copying the journal to Kafka. Resolves once the first connection attempt is over, whether
   * it reached Kafka or not (the outbox keeps retrying); rejects only when the topic cannot carry the
   * stream (KafkaTopicError), in which case the outbox stays down.
   */
  start(): Promise<void> {
    if (this.loop || this.stopping) return this.first.promise;
    this.metrics.bind(this.gauges);
    this.metrics.acked.set(this.o.journal.kafkaAcked);
    this.unsubscribe = this.o.onCommitted(() => this.work.wake());
    const { settings } = this.o;
    this.log.info(
      { brokers: settings.brokers, tls: settings.ssl !== undefined, sasl: settings.sasl ? settings.sasl.username : undefined, acked: this.o.journal.kafkaAcked, head: this.o.journal.head },
      'Kafka outbox starting',
    );
    this.loop = this.run().catch((err: unknown) => {
      // run() handles its errors; this is a bug guard so nothing escapes as an unhandled rejection.
      this.log.error({ err }, 'Kafka outbox loop failed');
      this.state = 'down';
    });
    return this.first.promise;
  }

  /** Stops sending (an in-flight send may finish and be acknowledged) and disconnects. The journal keeps the rest. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      this.unsubscribe?.();
      this.work.wake();
      this.rest.wake();
      this.settleFirst();
      const loop = this.loop ?? Promise.resolve();
      // A send in flight gets a moment to be acknowledged (fewer duplicates after a restart).
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([loop, new Promise((r) => (timer = setTimeout(r, Math.min(5_000, this.o.settings.requestTimeoutMs))))]);
      clearTimeout(timer);
      await this.dropProducer();
      await loop;
      // kafkajs may reconnect inside a retry that was running when we disconnected.
      await this.dropProducer();
      this.state = 'down';
      for (const w of this.ackWaiters) w.resolve();
      this.ackWaiters = [];
      this.log.info({ acked: this.o.journal.kafkaAcked, head: this.o.journal.head }, 'Kafka outbox stopped');
    })();
    return this.stopped;
  }

  status(): KafkaOutboxStatus {
    const acked = this.o.journal.kafkaAcked;
    const head = this.o.journal.head;
    return {
      state: this.state,
      breaker: this.breaker.state,
      acked,
      head,
      backlog: Math.max(0, head - acked),
      lagMs: this.lagMs(),
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  /** Resolves when Kafka has acknowledged everything up to `seq` (or the outbox stops). */
  whenAcked(seq: number): Promise<void> {
    if (this.o.journal.kafkaAcked >= seq || this.stopping) return Promise.resolve();
    return new Promise((resolve) => this.ackWaiters.push({ seq, resolve }));
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        if (!this.breaker.allows()) {
          await this.rest.wait(Math.max(10, this.openedAt + this.coolDownMs - this.now()));
          continue;
        }
        if (!this.connected || !this.topicReady) await this.connect();
        const next = this.pending ?? this.fill(this.prefetched);
        this.prefetched = undefined;
        if (next === undefined) {
          await this.work.wait(IDLE_CHECK_MS);
          continue;
        }
        this.pending = next;
        const sending = this.send(next);
        try {
          // Read and build the next batch while this one is on the wire.
          this.prefetched = this.fill(undefined, (next.rows.at(-1)?.seq ?? 0) + 1);
        } catch {
          this.prefetched = undefined; // the next fill reads again (and reports)
        }
        await sending;
        this.pending = undefined;
      } catch (err) {
        this.prefetched = undefined;
        if (this.stopping) break;
        if (err instanceof KafkaTopicError) {
          this.state = 'down';
          this.lastError = err.message;
          this.log.error({ err: err.message }, 'Kafka outbox cannot use its topic; not sending');
          this.settleFirst(err);
          await this.dropProducer();
          return;
        }
        await this.failed(err);
        await this.rest.wait(backoffDelay(this.attempt++, this.o.backoff));
      }
    }
  }

  private async connect(): Promise<void> {
    const producer = (this.producer ??= this.createProducer());
    if (!this.connected) {
      await producer.connect();
      this.connected = true;
    }
    if (!this.topicReady) {
      const admin = this.kafka.admin({ retry: { ...KAFKAJS_RETRY } });
      try {
        await admin.connect();
        await ensureStreamTopic(admin, this.o.settings, this.log);
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
      this.topicReady = true;
    }
    this.up('connected');
    this.settleFirst();
  }

  private createProducer(): Producer {
    const producer = this.kafka.producer({
      idempotent: true,
      // One request in flight: order, and an unambiguous retry of the same batch.
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { ...KAFKAJS_RETRY },
      createPartitioner: () => () => 0,
    });
    producer.on(producer.events.DISCONNECT, () => {
      if (this.producer === producer) this.connected = false;
    });
    return producer;
  }

  private async dropProducer(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    this.connected = false;
    if (producer) await producer.disconnect().catch(() => undefined);
  }

  /**
   * The next rows after `from` (default: the acknowledged watermark) within the message and byte
   * budgets; or, given a batch read earlier, that batch topped up with what was committed since.
   */
  private fill(batch: PendingSend | undefined, from = this.o.journal.kafkaAcked + 1): PendingSend | undefined {
    const journal = this.o.journal;
    const start = batch ? (batch.rows.at(-1)?.seq ?? 0) + 1 : from;
    const head = journal.head;
    const room = this.maxMessages - (batch?.rows.length ?? 0);
    if (head < start || room <= 0 || (batch && batch.bytes >= this.maxBytes)) return batch;
    const rows = journal.read(start, head, room);
    const firstSeq = rows[0]?.seq;
    if (firstSeq !== start) {
      // Only a prune that ignored Kafka's watermark can do this; say so, and go on with what is left.
      this.log.error({ from: start, to: firstSeq === undefined ? head : firstSeq - 1 }, 'the journal no longer holds messages Kafka never received; they are missing from the topic');
      if (firstSeq === undefined) {
        // Nothing left to send from the watermark on: move it past the hole (never while a send is pending).
        if (!batch && start === journal.kafkaAcked + 1) journal.setKafkaAcked(head);
        return batch;
      }
    }
    const out = batch ?? { rows: [], messages: [], bytes: 0 };
    const epoch = journal.epoch;
    for (const row of rows) {
      const size = row.frame.byteLength + RECORD_OVERHEAD;
      if (out.rows.length > 0 && out.bytes + size > this.maxBytes) break;
      out.rows.push(row);
      out.bytes += size;
      out.messages.push({
        partition: 0,
        value: Buffer.isBuffer(row.frame) ? row.frame : Buffer.from(row.frame.buffer, row.frame.byteOffset, row.frame.byteLength),
        timestamp: String(row.ts),
        headers: { epoch, seq: String(row.seq) },
      });
    }
    return out.rows.length > 0 ? out : undefined;
  }

  private async send(batch: PendingSend): Promise<void> {
    const producer = this.producer;
    if (!producer) throw new Error('no producer');
    const started = performance.now();
    await producer.send({ topic: this.o.settings.topic, acks: -1, timeout: this.o.settings.requestTimeoutMs, messages: batch.messages });
    const last = batch.rows[batch.rows.length - 1];
    if (!last) return;
    this.o.journal.setKafkaAcked(last.seq);
    this.metrics.sendSeconds.observe((performance.now() - started) / 1000);
    this.metrics.batchMessages.observe(batch.rows.length);
    this.metrics.produced.inc(batch.rows.length);
    this.metrics.acked.set(last.seq);
    this.breaker.success();
    this.up('sending again');
    if (this.ackWaiters.length > 0) {
      const waiting = this.ackWaiters;
      this.ackWaiters = waiting.filter((w) => w.seq > last.seq);
      for (const w of waiting) if (w.seq <= last.seq) w.resolve();
    }
  }

  private up(what: string): void {
    this.attempt = 0;
    if (this.state === 'up') return;
    if (this.state === 'down') this.log.info({ backlog: this.backlog() }, `Kafka reachable again (${what}); sending the backlog`);
    this.state = 'up';
    this.lastError = undefined;
  }

  private async failed(err: unknown): Promise<void> {
    const message = describeKafkaError(err, this.o.settings);
    this.metrics.failures.inc();
    this.breaker.failure(message);
    if (this.state !== 'down') {
      this.log.error({ err: message, backlog: this.backlog() }, 'Kafka unavailable: messages wait in the journal and are sent when it is back');
    } else if (message !== this.lastError) {
      this.log.warn({ err: message }, 'Kafka still unavailable');
    } else {
      this.log.debug({ err: message, attempt: this.attempt }, 'Kafka still unavailable');
    }
    this.state = 'down';
    this.lastError = message;
    this.settleFirst();
    const types = errorTypes(err);
    if (types.some((t) => PRODUCER_STATE_ERRORS.has(t))) {
      // A new producer id: the pending batch may then be written twice (at least once).
      this.log.warn({ err: message }, 'Kafka producer state lost; starting a new producer');
      await this.dropProducer();
    }
    if (types.includes('UNKNOWN_TOPIC_OR_PARTITION')) this.topicReady = false;
  }

  private settleFirst(err?: Error): void {
    if (this.first.settled) return;
    this.first.settled = true;
    if (err) this.first.reject(err);
    else this.first.resolve();
  }

  private backlog(): number {
    return Math.max(0, this.o.journal.head - this.o.journal.kafkaAcked);
  }

  private lagMs(): number {
    const journal = this.o.journal;
    const seq = journal.kafkaAcked + 1;
    if (journal.head < seq) return 0;
    if (this.oldestUnacked?.seq !== seq) {
      const pendingFirst = this.pending?.rows[0];
      let ts: number | undefined;
      if (pendingFirst?.seq === seq) ts = pendingFirst.ts;
      else {
        try {
          ts = journal.read(seq, journal.head, 1)[0]?.ts;
        } catch {
          ts = undefined; // the journal is closed
        }
      }
      this.oldestUnacked = ts === undefined ? undefined : { seq, ts };
    }
    return this.oldestUnacked ? Math.max(0, this.now() - this.oldestUnacked.ts) : 0;
  }
}

/** The Kafka error types (protocol error names) anywhere in kafkajs's chain of wrapped errors. */
function errorTypes(err: unknown): string[] {
  const out: string[] = [];
  let e = err as { type?: unknown; cause?: unknown; errors?: unknown } | undefined;
  for (let i = 0; i < 8 && e !== undefined && e !== null && typeof e === 'object'; i++) {
    if (typeof e.type === 'string') out.push(e.type);
    if (Array.isArray(e.errors)) for (const inner of e.errors as { type?: unknown }[]) if (typeof inner?.type === 'string') out.push(inner.type);
    e = e.cause as typeof e;
  }
  return out;
}
