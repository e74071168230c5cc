// The outbox's send loop: copies journal messages to the Kafka topic, in seq order, at least once, from
// the acknowledged watermark on. It runs on the outbox's worker thread (outbox-worker.ts); what it needs
// comes in (a reader of journal runs, the committed head) and what happens goes out as events. A send
// carries several stream records (record.ts), each a run of up to 1,000 messages.
import type { Kafka, Message, Producer } from 'kafkajs';
import { CircuitBreaker } from '../../../shared/stream';
import { backoffDelay } from '../../../shared/backoff';
import type { Logger } from '../../ops';
import { Waiter } from './waiter';
import { createKafka, describeKafkaError, KAFKAJS_RETRY } from './client';
import type { KafkaOutboxState, OutboxEvent, OutboxTuning } from './outbox-protocol';
import type { KafkaSettings } from './settings';
import { DEFAULT_RECORD_CAPS, RECORD_OVERHEAD, runRecord, type JournalRun, type RecordCaps } from './record';
import { ensureStreamTopic, KafkaTopicError } from './topic';

/** Reads the committed journal messages with from ≤ seq ≤ to, the first `limit` of them, as one run; undefined when there are none. */
export type OutboxRunReader = (from: number, to: number, limit: number) => JournalRun | undefined;

export interface OutboxLoopOptions extends OutboxTuning {
  readonly read: OutboxRunReader;
  readonly epoch: string;
  /** Kafka's acknowledged watermark at start. */
  readonly acked: number;
  /** The committed head at start (then setHead). */
  readonly head: number;
  readonly settings: KafkaSettings;
  readonly logger: Logger;
  readonly emit: (event: OutboxEvent) => void;
}

// Errors after which this producer's idempotence state is unusable; a new producer (id) recovers.
const PRODUCER_STATE_ERRORS = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH', 'INVALID_PRODUCER_ID_MAPPING', 'PRODUCER_FENCED']);
/** An idle loop still looks at the journal this often, in case a head was missed. */
const IDLE_CHECK_MS = 1_000;

interface PendingSend {
  readonly records: Message[];
  /** The last seq in the records, how many messages they carry and their estimated bytes. */
  last: number;
  count: number;
  bytes: number;
}

export class OutboxLoop {
  private readonly log: Logger;
  private readonly kafka: Kafka;
  private readonly breaker: CircuitBreaker;
  private readonly now = Date.now;
  private readonly caps: RecordCaps;
  private readonly maxBytes: number;
  private readonly coolDownMs: number;
  private acked: number;
  private head: number;
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
  private loop: Promise<void> | undefined;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private readySent = false;
  /** Woken by new heads (and stop). */
  private readonly work = new Waiter();
  /** Backoff and cool-down waits, woken only by stop. */
  private readonly rest = new Waiter();

  constructor(private readonly options: OutboxLoopOptions) {
    this.log = options.logger.child({ component: 'kafka-outbox', topic: options.settings.topic });
    this.kafka = createKafka(options.settings, options.logger);
    this.acked = options.acked;
    this.head = options.head;
    this.caps = { maxMessages: options.maxRecordMessages ?? DEFAULT_RECORD_CAPS.maxMessages, maxBytes: options.maxRecordBytes ?? DEFAULT_RECORD_CAPS.maxBytes };
    this.maxBytes = options.maxBatchBytes ?? 512 * 1024;
    this.coolDownMs = options.breaker?.coolDownMs ?? 2_000;
    this.breaker = new CircuitBreaker(this.now, { ...options.breaker, coolDownMs: this.coolDownMs }, (state, reason) => {
      if (state === 'open') {
        this.openedAt = this.now();
        this.log.warn({ reason, backlog: this.backlog() }, 'Kafka circuit breaker open: no sends until a trial after the cool-down');
      } else {
        this.log.info({ reason }, `Kafka circuit breaker ${state}`);
      }
      options.emit({ type: 'breaker', state });
    });
  }

  start(): void {
    this.loop ??= this.run().catch((err: unknown) => {
      // run() handles its errors; this is a bug guard so nothing escapes as an unhandled rejection.
      this.log.error({ err }, 'Kafka outbox loop failed');
      this.setState('down', err instanceof Error ? err.message : String(err));
    });
  }

  /** The journal's committed head moved on. */
  setHead(head: number): void {
    if (head <= this.head) return;
    this.head = head;
    this.work.wake();
  }

  /** Stops sending (an in-flight send may finish and be acknowledged) and disconnects. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      this.work.wake();
      this.rest.wake();
      const loop = this.loop ?? Promise.resolve();
      // A send in flight gets a moment to be acknowledged (fewer duplicates after a restart).
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([loop, new Promise((r) => (timer = setTimeout(r, Math.min(5_000, this.options.settings.requestTimeoutMs))))]);
      clearTimeout(timer);
      await this.dropProducer();
      await loop;
      // kafkajs may reconnect inside a retry that was running when we disconnected.
      await this.dropProducer();
    })();
    return this.stopped;
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
          this.prefetched = this.fill(undefined, next.last + 1);
        } catch {
          this.prefetched = undefined; // the next fill reads again (and reports)
        }
        await sending;
        this.pending = undefined;
      } catch (err) {
        this.prefetched = undefined;
        if (this.stopping) break;
        if (err instanceof KafkaTopicError) {
          this.setState('down', err.message);
          this.log.error({ err: err.message }, 'Kafka outbox cannot use its topic; not sending');
          this.readySent = true;
          this.options.emit({ type: 'topic-error', message: err.message });
          await this.dropProducer();
          return;
        }
        await this.failed(err);
        await this.rest.wait(backoffDelay(this.attempt++, this.options.backoff));
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
        await ensureStreamTopic(admin, this.options.settings, this.log);
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
      this.topicReady = true;
    }
    this.up('connected');
    this.ready();
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
   * The next records after `from` (default: the acknowledged watermark) within the send's byte budget;
   * or, given a batch read earlier, that batch topped up with what was committed since.
   */
  private fill(batch: PendingSend | undefined, from = this.acked + 1): PendingSend | undefined {
    const start = batch ? batch.last + 1 : from;
    const head = this.head;
    const out = batch ?? { records: [], last: start - 1, count: 0, bytes: 0 };
    for (let next = start; next <= head && out.bytes + RECORD_OVERHEAD < this.maxBytes; next = out.last + 1) {
      const room = Math.min(this.caps.maxBytes, this.maxBytes - out.bytes - RECORD_OVERHEAD);
      let run = this.options.read(next, head, this.caps.maxMessages);
      // Too many bytes for one record (or for what is left of the send): fewer messages, in proportion.
      while (run && run.last > run.first && run.frames.byteLength > room)
        run = this.options.read(next, head, Math.max(1, Math.floor(((run.last - run.first + 1) * room) / run.frames.byteLength)));
      if (run?.first !== next && !this.missing(next, run, batch)) break;
      if (!run || (out.count > 0 && run.frames.byteLength > room)) break; // one big frame: the next send's
      out.records.push(runRecord(this.options.epoch, run));
      out.count += run.last - run.first + 1;
      out.bytes += run.frames.byteLength + RECORD_OVERHEAD;
      out.last = run.last;
    }
    return out.count > 0 ? out : undefined;
  }

  /** The journal starts after `from` (or holds nothing up to the head): says so; false when nothing is left to send. */
  private missing(from: number, run: JournalRun | undefined, batch: PendingSend | undefined): boolean {
    // Only a prune that ignored Kafka's watermark can do this; say so, and go on with what is left.
    this.log.error({ from, to: run ? run.first - 1 : this.head }, 'the journal no longer holds messages Kafka never received; they are missing from the topic');
    if (run) return true;
    // Nothing left to send from the watermark on: move it past the hole (never while a send is pending).
    if (!batch && from === this.acked + 1) {
      this.acked = this.head;
      this.options.emit({ type: 'skipped', seq: this.head });
    }
    return false;
  }

  private async send(batch: PendingSend): Promise<void> {
    const producer = this.producer;
    if (!producer) throw new Error('no producer');
    const started = performance.now();
    await producer.send({ topic: this.options.settings.topic, acks: -1, timeout: this.options.settings.requestTimeoutMs, messages: batch.records });
    this.acked = Math.max(this.acked, batch.last);
    this.options.emit({ type: 'acked', seq: batch.last, messages: batch.count, seconds: (performance.now() - started) / 1000 });
    this.breaker.success();
    this.up('sending again');
  }

  private up(what: string): void {
    this.attempt = 0;
    if (this.state === 'up') return;
    if (this.state === 'down') this.log.info({ backlog: this.backlog() }, `Kafka reachable again (${what}); sending the backlog`);
    this.setState('up');
  }

  private async failed(err: unknown): Promise<void> {
    const message = describeKafkaError(err, this.options.settings);
    this.options.emit({ type: 'failure' });
    this.breaker.failure(message);
    if (this.state !== 'down') {
      this.log.error({ err: message, backlog: this.backlog() }, 'Kafka unavailable: messages wait in the journal and are sent when it is back');
    } else if (message !== this.lastError) {
      this.log.warn({ err: message }, 'Kafka still unavailable');
    } else {
      this.log.debug({ err: message, attempt: this.attempt }, 'Kafka still unavailable');
    }
    this.setState('down', message);
    this.ready();
    const types = errorTypes(err);
    if (types.some((t) => PRODUCER_STATE_ERRORS.has(t))) {
      // A new producer id: the pending batch may then be written twice (at least once).
      this.log.warn({ err: message }, 'Kafka producer state lost; starting a new producer');
      await this.dropProducer();
    }
    if (types.includes('UNKNOWN_TOPIC_OR_PARTITION')) this.topicReady = false;
  }

  private setState(state: KafkaOutboxState, lastError?: string): void {
    if (state === this.state && lastError === this.lastError) return;
    this.state = state;
    this.lastError = lastError;
    this.options.emit(lastError === undefined ? { type: 'state', state } : { type: 'state', state, lastError });
  }

  /** Says once that the first connection attempt is over. */
  private ready(): void {
    if (this.readySent) return;
    this.readySent = true;
    this.options.emit({ type: 'ready' });
  }

  private backlog(): number {
    return Math.max(0, this.head - this.acked);
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
