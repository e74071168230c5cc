// A broker of its own, stopped for 10 s mid-stream and restarted on the same folder and ports: the
// WebSocket goes on unaffected, the outbox keeps the journal growing, opens its breaker, and drains the
// backlog after; the reader survives too.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { DataFrame } from '../../src/shared/stream';
import { KafkaStreamReader } from '../../src/main/transport/kafka';
import { ensureKafkaLibs, startKafkaBroker, type KafkaBroker } from '../../scripts/kafka/broker';
import { tempDir } from '../support/fs';
import { memoryLogger } from '../support/logs';
import { subscribe } from '../support/stream';
import { startStreamHost } from '../support/stream-host';
import { publishMany, readTopic, seqsOf, settingsFor } from '../support/kafka';
import { until } from '../support/wait';

let broker: KafkaBroker;
const libs = ensureKafkaLibs();

beforeAll(async () => {
  broker = await startKafkaBroker({ libs, maxLifetimeSeconds: 900 });
});
afterAll(() => broker.destroy());

describe('Kafka outage', () => {
  it('a broker stopped for 10 s mid-stream: the WebSocket subscriber is unaffected, the journal holds the backlog, which drains to zero when the broker returns', async () => {
    const settings = settingsFor(broker.brokers, { connectionTimeoutMs: 1_000, requestTimeoutMs: 5_000 });
    const outboxLog = memoryLogger('warn');
    // Retries capped at 1 s (instead of 10 s) to keep the test short; the breaker is the default one.
    const host = await startStreamHost({ dir: tempDir(), kafka: settings, outbox: { backoff: { maxMs: 1_000 } }, logger: outboxLog.logger });
    const { journal, publisher, metrics: registry } = host;
    const outbox = host.outbox!;
    const readerErrors: string[] = [];
    const reader = new KafkaStreamReader({ settings, logger: memoryLogger('warn').logger, onError: (m) => readerErrors.push(m), backoff: { maxMs: 1_000 } });
    const load: { timer?: NodeJS.Timeout } = {};
    onTestFinished(async () => {
      clearInterval(load.timer);
      await reader.stop();
      await host.close();
    });

    await publishMany(publisher, 5_000);
    await outbox.whenAcked(5_000);
    await reader.start();
    expect(reader.status().state).toBe('idle');
    const received: DataFrame[] = [];
    await reader.readFrom({ epoch: journal.epoch, seq: 0, ts: 0 }, (frames) => received.push(...frames));
    await until(() => received.length >= 5_000, 'the reader to catch up');
    // A WebSocket subscriber, Kafka as its backup: it must not need it.
    const ws = await subscribe(host, { backup: new KafkaStreamReader({ settings, logger: memoryLogger('warn').logger, backoff: { maxMs: 1_000 } }) });
    await until(() => ws.received.snapshots.length === 1, 'the WebSocket subscriber joining');

    // Steady publishing from here on, as a desk would; publish() must never wait for Kafka.
    let slowestPublishMs = 0;
    load.timer = setInterval(() => {
      const started = performance.now();
      for (let i = 0; i < 50; i++) publisher.publish('md.quote.X', { i });
      slowestPublishMs = Math.max(slowestPublishMs, performance.now() - started);
    }, 5);

    await broker.stop();
    const stoppedAt = performance.now();
    await until(() => outbox.status().state === 'down' && outbox.status().breaker === 'open', 'the outbox to notice the outage and open its breaker');
    const early = outbox.status();
    expect(early.lastError).toBeDefined();
    await until(() => reader.status().state === 'down', 'the reader to report the outage');
    expect(readerErrors.length).toBeGreaterThan(0);
    // The outage lasts 10 s (the scenario's length, not a synchronization).
    await new Promise((r) => setTimeout(r, Math.max(0, 10_000 - (performance.now() - stoppedAt))));
    const during = outbox.status();
    expect(during.head).toBeGreaterThan(early.head + 2_000);
    expect(during.acked).toBe(early.acked);
    expect(during.lagMs).toBeGreaterThan(5_000);
    expect(journal.head).toBe(during.head);
    expect(slowestPublishMs).toBeLessThan(50);
    const failures = (await registry.getSingleMetric('dualdesk_kafka_send_failures_total')?.get())?.values[0]?.value ?? 0;
    expect(failures).toBeGreaterThan(3);
    // Open, or half-open for a trial after its cool-down: not closed.
    const breakerClosed = (await registry.getSingleMetric('dualdesk_kafka_breaker_state')?.get())?.values.find((v) => v.labels['state'] === 'closed')?.value;
    expect(breakerClosed).toBe(0);
    expect((await registry.getSingleMetric('dualdesk_kafka_backlog_messages')?.get())?.values[0]?.value).toBeGreaterThanOrEqual(during.backlog);
    // Meanwhile the WebSocket carried everything, live: no failover, no gap, small latency.
    await until(() => ws.subscriber.state().lastSeq >= during.head, 'the WebSocket subscriber at the head');
    expect(ws.subscriber.state()).toMatchObject({ channel: 'websocket', failovers: 0, gapsDetected: 0 });
    expect(ws.subscriber.state().latencyMs.p99).toBeLessThan(500);

    broker = await startKafkaBroker({ libs, dir: broker.dir, port: broker.port, controllerPort: broker.controllerPort, maxLifetimeSeconds: 900 });
    await until(() => outbox.status().acked > during.acked, 'the first send after the restart');
    clearInterval(load.timer);
    await publisher.flush();
    const head = journal.head;
    await outbox.whenAcked(head);
    expect(outbox.status()).toMatchObject({ state: 'up', breaker: 'closed', acked: head, backlog: 0, lagMs: 0 });
    expect((await registry.getSingleMetric('dualdesk_kafka_lag_seconds')?.get())?.values[0]?.value).toBe(0);
    expect(outboxLog.text()).toContain('Kafka unavailable');

    const seqs = seqsOf(await readTopic({ brokers: broker.brokers }, settings.topic));
    const distinct = new Set(seqs);
    expect(distinct.size).toBe(head); // duplicates allowed, none missing
    for (let s = 1; s <= head; s++) expect(distinct.has(s)).toBe(true);

    // The reader reconnected by itself and went on from where it was: every seq once, in order.
    await until(() => received.at(-1)?.seq === head, 'the reader to deliver the backlog', 60_000);
    expect(received.map((f) => f.seq)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
    expect(reader.status().state).toBe('reading');
    await until(() => ws.subscriber.state().lastSeq === head, 'the WebSocket subscriber at the end');
    const joined = ws.received.snapshots[0]!.seq;
    expect(ws.received.frames.map((f) => f.seq)).toEqual(Array.from({ length: head - joined }, (_, i) => joined + 1 + i));
  });
});
