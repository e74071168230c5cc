// The outbox's Prometheus metrics, created once per registry: outboxes come and go with trading
// modes, and the live one feeds the gauges.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { BreakerState } from '../../../shared/stream';

export interface OutboxGaugeSource {
  backlog(): number;
  lagSeconds(): number;
  breaker(): BreakerState;
}

export interface KafkaOutboxMetrics {
  readonly produced: Counter;
  readonly failures: Counter;
  readonly acked: Gauge;
  readonly sendSeconds: Histogram;
  readonly batchMessages: Histogram;
  /** The outbox whose backlog, lag and breaker the gauges report (the latest started). */
  bind(source: OutboxGaugeSource | undefined): void;
}

const BREAKER_STATES: readonly BreakerState[] = ['closed', 'open', 'half-open'];
const byRegistry = new WeakMap<Registry, KafkaOutboxMetrics>();

export function kafkaOutboxMetrics(registry: Registry): KafkaOutboxMetrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  const registers = [registry];
  let source: OutboxGaugeSource | undefined;
  const backlog: Gauge = new Gauge({
    name: 'dualdesk_kafka_backlog_messages',
    help: 'Journaled messages Kafka has not acknowledged yet (head - acked).',
    registers,
    collect() {
      if (source) backlog.set(source.backlog());
    },
  });
  const lag: Gauge = new Gauge({
    name: 'dualdesk_kafka_lag_seconds',
    help: 'Age of the oldest message Kafka has not acknowledged (0 when none).',
    registers,
    collect() {
      if (source) lag.set(source.lagSeconds());
    },
  });
  const breaker: Gauge<'state'> = new Gauge({
    name: 'dualdesk_kafka_breaker_state',
    help: "The Kafka outbox's circuit breaker: 1 for its current state.",
    labelNames: ['state'] as const,
    registers,
    collect() {
      if (!source) return;
      const current = source.breaker();
      for (const state of BREAKER_STATES) breaker.set({ state }, state === current ? 1 : 0);
    },
  });
  const metrics: KafkaOutboxMetrics = {
    produced: new Counter({ name: 'dualdesk_kafka_messages_produced_total', help: 'Messages Kafka acknowledged (acks=all).', registers }),
    failures: new Counter({ name: 'dualdesk_kafka_send_failures_total', help: 'Failed attempts to connect to or send to Kafka.', registers }),
    acked: new Gauge({ name: 'dualdesk_kafka_acked_seq', help: 'The highest seq Kafka acknowledged.', registers }),
    sendSeconds: new Histogram({
      name: 'dualdesk_kafka_send_seconds',
      help: 'Time of one acknowledged send (one produce request).',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    }),
    batchMessages: new Histogram({ name: 'dualdesk_kafka_send_messages', help: 'Messages per send.', buckets: [1, 10, 100, 500, 1000, 2000, 5000, 10000, 20000], registers }),
    bind(s) {
      source = s;
    },
  };
  byRegistry.set(registry, metrics);
  return metrics;
}
