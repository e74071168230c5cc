import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { Registry } from 'prom-client';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { decodeFrames, encodeBatch, type DataFrame } from '../../src/shared/stream';
import { ensureStreamTopic, KafkaOutbox, KafkaTopicError, MIN_RETENTION_MS } from '../../src/main/transport/kafka';
import { outboxFaults } from '../support/faults';
import { tempDir } from '../support/fs';
import { memoryLogger } from '../support/logs';
import { repoRoot } from '../support/paths';
import { openStream, publishMany, readRecords, readTopic, repeatsOnlyAsResends, seqsOf, settingsFor } from '../support/kafka';
import { until } from '../support/wait';

const brokers = inject('kafkaBrokers');

async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  // A histogram's count is read as `<name>_count`.
  const base = name.replace(/_count$/, '');
  const values = (await registry.getSingleMetric(base)?.get())?.values ?? [];
  return values.find((v) => ((v as { metricName?: string }).metricName ?? base) === name && Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
}

function admin() {
  const a = new Kafka({ clientId: 'dualdesk-test-admin', brokers, logLevel: logLevel.NOTHING }).admin();
  onTestFinished(() => a.disconnect());
  return a;
}

describe('Kafka outbox', () => {
  it('copies every committed message once and in order, in batch records: frame bytes, epoch/first/last headers, the last ts as the record timestamp', async () => {
    const { journal, publisher } = await openStream(tempDir());
    const settings = settingsFor(brokers);
    const registry = new Registry();
    const outbox = new KafkaOutbox({ journal, onCommitted: (l) => publisher.onCommitted(l), settings, logger: memoryLogger('warn').logger, metrics: registry });
    onTestFinished(async () => {
      await outbox.stop();
      await journal.close();
    });
    await outbox.start();
    expect(outbox.status()).toMatchObject({ state: 'up', breaker: 'closed', acked: 0, head: 0, backlog: 0, lagMs: 0 });

    const total = 30_000;
    await publishMany(publisher, total, 700);
    expect(journal.head).toBe(total);
    await outbox.whenAcked(total);
    expect(outbox.status()).toEqual({ state: 'up', breaker: 'closed', acked: total, head: total, backlog: 0, lagMs: 0 });

    const entries = await readTopic({ brokers }, settings.topic);
    expect(entries).toHaveLength(total); // no duplicate in the normal path
    expect(seqsOf(entries)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(entries.every((e) => e.epoch === journal.epoch)).toBe(true);
    // Each record: a run of consecutive messages, its value the journaled frames as one msgpack array
    // (a WebSocket batch's bytes), its timestamp the last message's ts; at most 1,000 messages.
    const records = await readRecords({ brokers }, settings.topic);
    const rows = journal.read(1, total, total);
    let next = 1;
    for (const r of records) {
      const first = Number(r.headers['first']);
      const last = Number(r.headers['last']);
      expect(r.headers).toEqual({ v: '2', epoch: journal.epoch, first: String(next), last: String(last) });
      expect(last - first + 1).toBeLessThanOrEqual(1_000);
      const run = rows.slice(first - 1, last);
      expect(r.timestamp).toBe(run.at(-1)!.ts);
      expect(Buffer.compare(r.value, encodeBatch(run.map((row) => row.frame)))).toBe(0);
      next = last + 1;
    }
    expect(next).toBe(total + 1);
    expect(records.length).toBeLessThan(total / 100); // many messages per record
    const last = decodeFrames(records.at(-1)!.value).at(-1) as DataFrame;
    expect(last).toMatchObject({ op: 'data', epoch: journal.epoch, seq: total, prev: total - 1 });

    expect(await metricValue(registry, 'dualdesk_kafka_messages_produced_total')).toBe(total);
    expect(await metricValue(registry, 'dualdesk_kafka_acked_seq')).toBe(total);
    expect(await metricValue(registry, 'dualdesk_kafka_backlog_messages')).toBe(0);
    expect(await metricValue(registry, 'dualdesk_kafka_lag_seconds')).toBe(0);
    expect(await metricValue(registry, 'dualdesk_kafka_breaker_state', { state: 'closed' })).toBe(1);
    expect(await metricValue(registry, 'dualdesk_kafka_send_failures_total')).toBe(0);
    // Batched: many messages per send, never more than the batch limit (512 KiB of records per send).
    const sends = await metricValue(registry, 'dualdesk_kafka_send_seconds_count');
    const bytes = records.reduce((n, r) => n + r.value.byteLength, 0);
    expect(sends).toBeGreaterThanOrEqual(Math.ceil(bytes / (512 * 1024)));
    expect(sends).toBeLessThan(total / 10);
  });

  it('after a crash (SIGKILL mid-stream), a new outbox on the same journal produces the unacknowledged tail again', async () => {
    const dir = tempDir();
    const settings = settingsFor(brokers);
    // The first desk process: publishes continuously with an outbox, and is killed without warning.
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../support/kafka-crash-child.ts', import.meta.url)), dir, JSON.stringify(settings)], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    onTestFinished(() => {
      child.kill('SIGKILL');
    });
    let seen = { acked: 0, head: 0 };
    for await (const line of createInterface({ input: child.stdout })) {
      seen = JSON.parse(line) as typeof seen;
      // Killed while a burst is being journaled and sent: acknowledged messages, and a tail that is not.
      if (seen.acked >= 5_000 && seen.head > seen.acked) break;
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const { journal, publisher } = await openStream(dir);
    const acked = journal.kafkaAcked;
    const head = journal.head;
    // The watermark is persisted after Kafka's ack (the kill may beat the write): never ahead of what
    // Kafka holds. (What the child last printed is no bound: it kept going until the kill landed.)
    const held = new Set(seqsOf(await readTopic({ brokers }, settings.topic)));
    expect(acked).toBeGreaterThan(0);
    for (let s = 1; s <= acked; s++) if (!held.has(s)) expect.fail(`seq ${s} is acknowledged in the journal but not in Kafka`);
    expect(head).toBeGreaterThanOrEqual(seen.head);
    expect(head).toBeGreaterThan(acked);
    const registry = new Registry();
    const outbox = new KafkaOutbox({ journal, onCommitted: (l) => publisher.onCommitted(l), settings, logger: memoryLogger('warn').logger, metrics: registry });
    onTestFinished(async () => {
      await outbox.stop();
      await journal.close();
    });
    await outbox.start();
    expect(outbox.status().backlog).toBe(head - acked);
    await outbox.whenAcked(head);
    expect(await metricValue(registry, 'dualdesk_kafka_messages_produced_total')).toBe(head - acked);

    const entries = await readTopic({ brokers }, settings.topic);
    const seqs = seqsOf(entries);
    const distinct = new Set(seqs);
    expect(distinct.size).toBe(head);
    for (let s = 1; s <= head; s++) expect(distinct.has(s)).toBe(true);
    // Order holds within what each producer sent: the topic never goes back except to repeat the unacknowledged tail.
    const firstRepeat = seqs.findIndex((s, i) => i > 0 && s <= seqs[i - 1]!);
    if (firstRepeat >= 0) expect(seqs[firstRepeat]).toBe(acked + 1);
    expect(repeatsOnlyAsResends(entries)).toBe(true);
  });

  it('after retention empties the journal and a restart, the next messages get new numbers and reach Kafka', async () => {
    const dir = tempDir();
    const settings = settingsFor(brokers);
    const outboxOn = (stream: Awaited<ReturnType<typeof openStream>>) =>
      new KafkaOutbox({ journal: stream.journal, onCommitted: (l) => stream.publisher.onCommitted(l), settings, logger: memoryLogger('warn').logger, metrics: new Registry() });
    const first = await openStream(dir);
    const firstOutbox = outboxOn(first);
    await firstOutbox.start();
    await publishMany(first.publisher, 47);
    await firstOutbox.whenAcked(47);
    // An idle day: every row is older than the 24-hour window (and acknowledged), so one pass removes them all.
    const day = 24 * 3_600_000;
    expect(await first.journal.prune(Date.now() + day + 60_000, day, 100_000, first.journal.kafkaAcked + 1)).toBe(47);
    await firstOutbox.stop();
    await first.journal.close();

    const second = await openStream(dir);
    const secondOutbox = outboxOn(second);
    onTestFinished(async () => {
      await secondOutbox.stop();
      await second.journal.close();
    });
    await secondOutbox.start();
    await publishMany(second.publisher, 3);
    expect([second.journal.epoch, second.journal.head]).toEqual([first.journal.epoch, 50]);
    await secondOutbox.whenAcked(50);
    const records = await readTopic({ brokers }, settings.topic);
    expect(seqsOf(records)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(new Set(records.map((r) => r.epoch))).toEqual(new Set([first.journal.epoch]));
  });

  it('restarts its worker thread when it dies mid-stream, from the acknowledged watermark: every seq reaches Kafka', async () => {
    const { journal, publisher } = await openStream(tempDir());
    const settings = settingsFor(brokers);
    const registry = new Registry();
    const logs = memoryLogger('warn');
    const faults = outboxFaults();
    // Restarts (and the worker's Kafka retries) after 300–600 ms instead of up to 10 s: short, yet long enough for the stream to go on committing while the worker is down.
    const outbox = new KafkaOutbox({
      journal,
      onCommitted: (l) => publisher.onCommitted(l),
      settings,
      logger: logs.logger,
      metrics: registry,
      backoff: { initialMs: 600, maxMs: 600 },
      faults,
    });
    onTestFinished(async () => {
      await outbox.stop();
      await journal.close();
    });
    await outbox.start();

    const total = 60_000;
    const publishing = publishMany(publisher, total, 500);
    // Should the test fail half-way, the journal closes under the publisher: its refusal is not the failure to report.
    publishing.catch(() => undefined);
    for (const at of [5_000, 20_000]) {
      await until(() => journal.kafkaAcked >= at, `Kafka acknowledging ${at}`);
      await faults.killWorker();
      const acked = journal.kafkaAcked;
      expect(outbox.status()).toMatchObject({ state: 'down', acked, lastError: expect.stringContaining('outbox worker failed') as string });
      // The dead worker may have acknowledged all it was told of; what commits now waits, unacknowledged, for the next one.
      await until(() => journal.head > acked, 'the stream committing while the worker is down');
      expect(outbox.status()).toMatchObject({ state: 'down', acked });
      // The new worker goes on from there, as the stream goes on.
      await until(() => outbox.status().state === 'up' && journal.kafkaAcked > acked, 'the restarted worker sending');
    }
    await publishing;
    await outbox.whenAcked(total);
    expect(outbox.status()).toMatchObject({ state: 'up', breaker: 'closed', acked: total, head: total, backlog: 0 });
    expect(logs.lines().filter((l) => l['msg'] === 'Kafka outbox worker failed; restarting it')).toHaveLength(2);

    // At least once: a send in flight when the worker died may be in the topic twice, nothing is missing.
    const entries = await readTopic({ brokers }, settings.topic);
    expect(repeatsOnlyAsResends(entries)).toBe(true);
    const seqs = seqsOf(entries);
    const distinct = new Set(seqs);
    expect(distinct.size).toBe(total);
    for (let s = 1; s <= total; s++) expect(distinct.has(s)).toBe(true);
    expect(await metricValue(registry, 'dualdesk_kafka_acked_seq')).toBe(total);
    expect(await metricValue(registry, 'dualdesk_kafka_messages_produced_total')).toBeGreaterThanOrEqual(total);
  });

  it('creates its topic with one partition and at least 7 days of retention', async () => {
    const settings = settingsFor(brokers);
    const a = admin();
    await a.connect();
    const { logger } = memoryLogger('warn');
    expect(await ensureStreamTopic(a, settings, logger)).toEqual({ created: true, partitions: 1, retentionMs: MIN_RETENTION_MS });
    const meta = await a.fetchTopicMetadata({ topics: [settings.topic] });
    expect(meta.topics[0]?.partitions).toHaveLength(1);
    const config = await a.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: settings.topic, configNames: ['retention.ms', 'cleanup.policy'] }] });
    const entries = Object.fromEntries(config.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
    expect(Number(entries['retention.ms'])).toBeGreaterThanOrEqual(7 * 24 * 3_600_000);
    expect(entries['cleanup.policy']).toBe('delete');
    // Idempotent: a second desk finds it and leaves it alone.
    expect(await ensureStreamTopic(a, settings, logger)).toMatchObject({ created: false, partitions: 1 });
  });

  it('refuses an existing topic with 3 partitions (order would not be total), and stays down', async () => {
    const settings = settingsFor(brokers);
    const a = admin();
    await a.connect();
    await a.createTopics({ topics: [{ topic: settings.topic, numPartitions: 3 }], waitForLeaders: true });
    const { journal, publisher } = await openStream(tempDir());
    const outbox = new KafkaOutbox({ journal, onCommitted: (l) => publisher.onCommitted(l), settings, logger: memoryLogger('warn').logger, metrics: new Registry() });
    onTestFinished(async () => {
      await outbox.stop();
      await journal.close();
    });
    publisher.publish('t', 1);
    await publisher.flush();
    const refused = outbox.start();
    await expect(refused).rejects.toBeInstanceOf(KafkaTopicError);
    await expect(refused).rejects.toThrow(`Kafka topic '${settings.topic}' has 3 partitions; the DualDesk stream needs exactly 1 so that its order is total`);
    expect(outbox.status()).toMatchObject({ state: 'down', acked: 0, backlog: 1, lastError: expect.stringContaining('3 partitions') as string });
    const offsets = await a.fetchTopicOffsets(settings.topic);
    expect(offsets.every((p) => p.high === '0')).toBe(true);
  });

  it('warns about (and keeps) an existing topic that retains less than 7 days', async () => {
    const settings = settingsFor(brokers);
    const a = admin();
    await a.connect();
    await a.createTopics({ topics: [{ topic: settings.topic, numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '3600000' }] }], waitForLeaders: true });
    const { logger, lines } = memoryLogger('warn');
    expect(await ensureStreamTopic(a, settings, logger)).toEqual({ created: false, partitions: 1, retentionMs: 3_600_000 });
    expect(lines()).toEqual([
      expect.objectContaining({ level: 'warn', topic: settings.topic, retentionMs: 3_600_000, msg: expect.stringContaining('under the 7 days') as string }),
    ]);
  });
});
