// The Kafka outbox: copies the stream journal to the Kafka topic, in seq order, at least once. Its work
// (reading journal rows, kafkajs building produce requests) runs on a worker thread (outbox-worker.ts),
// so the trading path's event loop only tells it the committed head and takes its acknowledgements.
// It reads the journal (never memory) from the acknowledged watermark on, so after a crash, an outage
// or a worker restart the unacknowledged tail is simply produced again.
import type { Worker } from 'node:worker_threads';
import type { Registry } from 'prom-client';
import type { BreakerOptions, BreakerState } from '../../../shared/stream';
import { relog, type Logger } from '../../ops';
import type { JournalRow } from '../journal';
import { backoffDelay, type BackoffOptions } from '../../../shared/backoff';
import { kafkaOutboxMetrics, type KafkaOutboxMetrics, type OutboxGaugeSource } from './outbox-metrics';
import type { FromOutboxWorker, KafkaOutboxState, ToOutboxWorker } from './outbox-protocol';
import { startOutboxWorker } from './outbox-thread';
import type { KafkaSettings } from './settings';
import { KafkaTopicError } from './topic';

export type { KafkaOutboxState };

/** The part of the StreamJournal the outbox uses. */
export interface OutboxJournal {
  /** The SQLite file, which the worker opens read-only. */
  readonly file: string;
  readonly epoch: string;
  readonly head: number;
  readonly kafkaAcked: number;
  read(from: number, to: number, limit: number): JournalRow[];
  setKafkaAcked(seq: number): void;
}

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

/** A fault drill's hook (test/support/faults.ts): it is handed each worker thread the outbox starts. */
export interface KafkaOutboxFaults {
  workerStarted(worker: Worker): void;
}

export interface KafkaOutboxOptions {
  /** Only for fault drills; production passes none. */
  readonly faults?: KafkaOutboxFaults;
  readonly journal: OutboxJournal;
  /** Subscribes to committed batches (StreamPublisher.onCommitted); they only tell the worker the new head. */
  readonly onCommitted: (listener: () => void) => () => void;
  readonly settings: KafkaSettings;
  readonly logger: Logger;
  readonly metrics: Registry;
  /** The clock of status()'s lag (the worker's breaker and retries use its own wall clock). */
  readonly now?: () => number;
  /** Messages per Kafka record at most (default 1,000). */
  readonly maxRecordMessages?: number;
  /** Bytes of frames per Kafka record at most (default 256 KiB). */
  readonly maxRecordBytes?: number;
  /** Bytes per send, all its records, at most (default 512 KiB: kafkajs writes a send as one record batch, which must stay under the broker's default message.max.bytes of 1 MiB). */
  readonly maxBatchBytes?: number;
  /** Retry delays (default 100 ms doubling to 10 s, with jitter); also between restarts of a crashed worker. */
  readonly backoff?: BackoffOptions;
  /** The breaker's triggers and cool-down (default: > 3 consecutive failures or > 5 % in 30 s; 2 s open). */
  readonly breaker?: BreakerOptions;
}

/** How long a stopping worker may take beyond the moment its in-flight send gets (disconnecting, closing the journal). */
const STOP_GRACE_MS = 5_000;

export class KafkaOutbox {
  private readonly log: Logger;
  private readonly metrics: KafkaOutboxMetrics;
  private readonly now: () => number;
  private readonly gauges: OutboxGaugeSource;
  private worker: Worker | undefined;
  private state: KafkaOutboxState = 'starting';
  private breakerState: BreakerState = 'closed';
  private lastError: string | undefined;
  /** The last head told to the worker. */
  private headSent = 0;
  /** Why the current worker failed (its 'error' event comes before its 'exit'). */
  private crash: string | undefined;
  private restarts = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private started = false;
  /** The topic cannot carry the stream: no worker is started again. */
  private halted = false;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private workerStopped: (() => void) | undefined;
  private oldestUnacked: { readonly seq: number; readonly ts: number } | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly first: { promise: Promise<void>; settled: boolean; resolve: () => void; reject: (err: Error) => void };
  private ackWaiters: { readonly seq: number; readonly resolve: () => void }[] = [];

  constructor(private readonly options: KafkaOutboxOptions) {
    this.log = options.logger.child({ component: 'kafka-outbox', topic: options.settings.topic });
    this.now = options.now ?? Date.now;
    this.metrics = kafkaOutboxMetrics(options.metrics);
    this.gauges = {
      backlog: () => this.backlog(),
      lagSeconds: () => this.lagMs() / 1000,
      breaker: () => this.breakerState,
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
    if (this.started || this.stopping) return this.first.promise;
    this.started = true;
    this.metrics.bind(this.gauges);
    this.metrics.acked.set(this.options.journal.kafkaAcked);
    this.unsubscribe = this.options.onCommitted(() => this.tellHead());
    const { settings } = this.options;
    this.log.info(
      {
        brokers: settings.brokers,
        tls: settings.ssl !== undefined,
        sasl: settings.sasl ? settings.sasl.username : undefined,
        acked: this.options.journal.kafkaAcked,
        head: this.options.journal.head,
      },
      'Kafka outbox starting',
    );
    this.spawn();
    return this.first.promise;
  }

  /** Stops sending (an in-flight send may finish and be acknowledged) and disconnects. The journal keeps the rest. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      this.unsubscribe?.();
      clearTimeout(this.restartTimer);
      this.settleFirst();
      const worker = this.worker;
      if (worker) {
        const done = new Promise<void>((resolve) => {
          this.workerStopped = resolve;
          worker.once('exit', () => resolve());
        });
        this.post({ type: 'stop' });
        // The worker gives a send in flight up to min(5 s, requestTimeout) to be acknowledged, then disconnects.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([done, new Promise((r) => (timer = setTimeout(r, Math.min(5_000, this.options.settings.requestTimeoutMs) + STOP_GRACE_MS)))]);
        clearTimeout(timer);
        await worker.terminate();
      }
      this.state = 'down';
      for (const w of this.ackWaiters) w.resolve();
      this.ackWaiters = [];
      this.log.info({ acked: this.options.journal.kafkaAcked, head: this.options.journal.head }, 'Kafka outbox stopped');
    })();
    return this.stopped;
  }

  status(): KafkaOutboxStatus {
    const acked = this.options.journal.kafkaAcked;
    const head = this.options.journal.head;
    return {
      state: this.state,
      breaker: this.breakerState,
      acked,
      head,
      backlog: Math.max(0, head - acked),
      lagMs: this.lagMs(),
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
    };
  }

  /** Resolves when Kafka has acknowledged everything up to `seq` (or the outbox stops). */
  whenAcked(seq: number): Promise<void> {
    if (this.options.journal.kafkaAcked >= seq || this.stopping) return Promise.resolve();
    return new Promise((resolve) => this.ackWaiters.push({ seq, resolve }));
  }

  private spawn(): void {
    const { journal, settings } = this.options;
    this.breakerState = 'closed';
    this.headSent = journal.head;
    let worker: Worker;
    try {
      worker = startOutboxWorker({
        file: journal.file,
        epoch: journal.epoch,
        acked: journal.kafkaAcked,
        head: this.headSent,
        settings,
        logLevel: this.options.logger.level,
        tuning: {
          maxRecordMessages: this.options.maxRecordMessages,
          maxRecordBytes: this.options.maxRecordBytes,
          maxBatchBytes: this.options.maxBatchBytes,
          backoff: this.options.backoff,
          breaker: this.options.breaker,
        },
      });
    } catch (err) {
      this.workerDown(err instanceof Error ? err.message : String(err));
      return;
    }
    this.worker = worker;
    this.options.faults?.workerStarted(worker);
    worker.on('message', (m: FromOutboxWorker) => this.onMessage(m));
    worker.on('error', (err) => {
      this.crash = err.message;
    });
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const reason = this.crash ?? `exited with code ${code}`;
      this.crash = undefined;
      if (!this.stopping && !this.halted) this.workerDown(reason);
    });
  }

  /** The worker is gone (or could not start): down, and a new one from the acknowledged watermark after a backoff. */
  private workerDown(reason: string): void {
    const delay = backoffDelay(this.restarts++, this.options.backoff);
    this.log.error(
      { reason, acked: this.options.journal.kafkaAcked, head: this.options.journal.head, restartInMs: Math.round(delay) },
      'Kafka outbox worker failed; restarting it',
    );
    this.state = 'down';
    this.lastError = `outbox worker failed: ${reason}`;
    this.settleFirst();
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopping) this.spawn();
    }, delay);
  }

  private onMessage(m: FromOutboxWorker): void {
    switch (m.type) {
      case 'log':
        relog(this.options.logger, m.record);
        return;
      case 'ready':
        this.settleFirst();
        return;
      case 'topic-error':
        this.halted = true;
        this.state = 'down';
        this.lastError = m.message;
        this.settleFirst(new KafkaTopicError(m.message));
        this.post({ type: 'stop' });
        return;
      case 'state':
        this.state = m.state;
        this.lastError = m.lastError;
        if (m.state === 'up') this.restarts = 0;
        return;
      case 'breaker':
        this.breakerState = m.state;
        return;
      case 'failure':
        this.metrics.failures.inc();
        return;
      case 'acked':
        this.options.journal.setKafkaAcked(m.seq);
        this.metrics.sendSeconds.observe(m.seconds);
        this.metrics.batchMessages.observe(m.messages);
        this.metrics.produced.inc(m.messages);
        this.metrics.acked.set(m.seq);
        this.acked(m.seq);
        return;
      case 'skipped':
        this.options.journal.setKafkaAcked(m.seq);
        this.acked(m.seq);
        return;
      case 'stopped':
        this.workerStopped?.();
        // A worker halted by a topic error is not waited for by stop(): end it here.
        if (this.halted && !this.stopping) void this.worker?.terminate();
        return;
    }
  }

  private acked(seq: number): void {
    if (this.ackWaiters.length === 0) return;
    const waiting = this.ackWaiters;
    this.ackWaiters = waiting.filter((w) => w.seq > seq);
    for (const w of waiting) if (w.seq <= seq) w.resolve();
  }

  /** Tells the worker the committed head (once per commit: a structured clone of two fields). */
  private tellHead(): void {
    const head = this.options.journal.head;
    if (head <= this.headSent) return;
    this.headSent = head;
    this.post({ type: 'head', head });
  }

  private post(m: ToOutboxWorker): void {
    this.worker?.postMessage(m);
  }

  private settleFirst(err?: Error): void {
    if (this.first.settled) return;
    this.first.settled = true;
    if (err) this.first.reject(err);
    else this.first.resolve();
  }

  private backlog(): number {
    return Math.max(0, this.options.journal.head - this.options.journal.kafkaAcked);
  }

  private lagMs(): number {
    const journal = this.options.journal;
    const seq = journal.kafkaAcked + 1;
    if (journal.head < seq) return 0;
    if (this.oldestUnacked?.seq !== seq) {
      let ts: number | undefined;
      try {
        // One row when the watermark has moved: status() and metric scrapes are rare next to sends.
        ts = journal.read(seq, journal.head, 1)[0]?.ts;
      } catch {
        ts = undefined; // the journal is closed
      }
      this.oldestUnacked = ts === undefined ? undefined : { seq, ts };
    }
    return this.oldestUnacked ? Math.max(0, this.now() - this.oldestUnacked.ts) : 0;
  }
}
