// What the main thread's KafkaOutbox and its worker thread (outbox-worker.ts) say to each other.
// Plain data only: everything here crosses threads by structured clone.
import type { BackoffOptions } from '../../../shared/backoff';
import type { BreakerOptions, BreakerState } from '../../../shared/stream';
import type { LogRecord } from '../../ops';
import type { KafkaSettings } from './settings';

export type KafkaOutboxState = 'starting' | 'up' | 'down';

/** What the send loop reports; the main thread turns it into status(), metrics and the journal's watermark. */
export type OutboxEvent =
  /** The first connection attempt is over (reached Kafka or not). */
  | { readonly type: 'ready' }
  /** The topic cannot carry the stream: the loop has ended and stays down. */
  | { readonly type: 'topic-error'; readonly message: string }
  | { readonly type: 'state'; readonly state: KafkaOutboxState; readonly lastError?: string }
  | { readonly type: 'breaker'; readonly state: BreakerState }
  /** A failed attempt to connect or send. */
  | { readonly type: 'failure' }
  /** Kafka acknowledged everything up to `seq`: `messages` in one send of `seconds`. */
  | { readonly type: 'acked'; readonly seq: number; readonly messages: number; readonly seconds: number }
  /** The journal no longer holds seqs up to `seq` (pruned); the watermark moves past the hole. */
  | { readonly type: 'skipped'; readonly seq: number };

/** The send loop's tuning, as given to KafkaOutbox. */
export interface OutboxTuning {
  readonly maxRecordMessages?: number;
  readonly maxRecordBytes?: number;
  readonly maxBatchBytes?: number;
  readonly backoff?: BackoffOptions;
  readonly breaker?: BreakerOptions;
}

export interface OutboxWorkerData {
  /** The journal's SQLite file, opened read-only by the worker. */
  readonly file: string;
  readonly epoch: string;
  /** Kafka's acknowledged watermark: the worker sends from the seq after it. */
  readonly acked: number;
  /** The committed head as of the worker's start; later heads come as messages. */
  readonly head: number;
  readonly settings: KafkaSettings;
  /** The main logger's level, so the worker posts only what would be written. */
  readonly logLevel: string;
  readonly tuning: OutboxTuning;
}

/** Main thread → worker. */
export type ToOutboxWorker = { readonly type: 'head'; readonly head: number } | { readonly type: 'stop' };

/** Worker → main thread. */
export type FromOutboxWorker =
  | OutboxEvent
  | { readonly type: 'log'; readonly record: LogRecord }
  /** The loop has stopped and the producer is disconnected: the worker may be terminated. */
  | { readonly type: 'stopped' };
