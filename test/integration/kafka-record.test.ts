// The stream's Kafka record against the real broker: a topic written partly by the previous release
// (one frame per record) and partly in batch records, read by KafkaStreamReader.
import { Kafka, logLevel, type Message } from 'kafkajs';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import { encodeFrame, type DataFrame } from '../../src/shared/stream';
import type { JournalRow } from '../../src/main/transport';
import { KafkaOutbox, KafkaStreamReader, RECORD_OVERHEAD, streamRecord, type KafkaSettings } from '../../src/main/transport/kafka';
import { tempDir } from '../support/fs';
import { memoryLogger } from '../support/logs';
import { openStream, publishMany, readRecords, settingsFor } from '../support/kafka';
import { until } from '../support/wait';

const brokers = inject('kafkaBrokers');
const EPOCH = 'e-mixed';
// One message per simulated second, an hour ago: a batch record spans far more than the seek margin.
const T0 = Date.now() - 3_600_000;
const tsOf = (seq: number) => T0 + seq * 1_000;

function rowOf(seq: number): JournalRow {
  const frame: DataFrame = { op: 'data', epoch: EPOCH, seq, prev: seq - 1, ts: tsOf(seq), topic: 'md.quote.S1', data: { i: seq } };
  return { seq, ts: frame.ts, topic: frame.topic, frame: encodeFrame(frame) };
}
const rows = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => rowOf(from + i));

/** The previous release's record: the frame alone, headers epoch and seq, its own ts. */
function oldRecord(row: JournalRow): Message {
  return { partition: 0, value: Buffer.from(row.frame), timestamp: String(row.ts), headers: { epoch: EPOCH, seq: String(row.seq) } };
}

let settings: KafkaSettings;
let reader: KafkaStreamReader;

beforeAll(async () => {
  settings = settingsFor(brokers);
  const kafka = new Kafka({ clientId: 'dualdesk-test-writer', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: settings.topic, numPartitions: 1 }] });
  await admin.disconnect();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  // Seqs 1–100 by the previous release, then the upgraded outbox from 101 on: records of 250, one of
  // them written twice (a resend after a producer reset).
  await producer.send({ topic: settings.topic, acks: -1, messages: rows(1, 100).map(oldRecord) });
  const batches = [rows(101, 350), rows(351, 600), rows(601, 850), rows(601, 850), rows(851, 1_100)].map((r) => streamRecord(EPOCH, r));
  await producer.send({ topic: settings.topic, acks: -1, messages: batches });
  await producer.disconnect();
  reader = new KafkaStreamReader({ settings, logger: memoryLogger('warn').logger });
  await reader.start();
});

afterAll(async () => {
  await reader?.stop();
});

async function readAll(from: number): Promise<DataFrame[]> {
  const frames: DataFrame[] = [];
  await reader.readFrom({ epoch: EPOCH, seq: from, ts: tsOf(from) }, (batch) => frames.push(...batch));
  await until(() => frames.at(-1)?.seq === 1_100, 'the end of the topic');
  reader.pause();
  return frames;
}

async function metricValue(registry: Registry, name: string): Promise<number | undefined> {
  const base = name.replace(/_count$/, '');
  return (await registry.getSingleMetric(base)?.get())?.values.find((v) => (v as { metricName?: string }).metricName === name)?.value;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('the stream Kafka record, on the broker', () => {
  it('is written by the outbox within its caps: messages and bytes per record, bytes per send', async () => {
    const { journal, publisher } = await openStream(tempDir());
    const capped = settingsFor(brokers);
    const registry = new Registry();
    const size = 100; // bytes of frame at most, with these payloads (87 here)
    const outbox = new KafkaOutbox({
      journal,
      onCommitted: (l) => publisher.onCommitted(l),
      settings: capped,
      logger: memoryLogger('warn').logger,
      metrics: registry,
      maxRecordMessages: 7,
      maxRecordBytes: 5 * size,
      maxBatchBytes: 3 * (5 * size + RECORD_OVERHEAD),
    });
    onTestFinished(async () => {
      await outbox.stop();
      await journal.close();
    });
    await outbox.start();
    const total = 2_000;
    await publishMany(publisher, total, 250, () => 't');
    await outbox.whenAcked(total);
    const records = await readRecords({ brokers }, capped.topic);
    const spans = records.map((r) => [Number(r.headers['first']), Number(r.headers['last'])] as const);
    expect(spans[0]?.[0]).toBe(1);
    expect(spans.at(-1)?.[1]).toBe(total);
    for (const [i, [first, last]] of spans.entries()) {
      expect(last - first + 1).toBeLessThanOrEqual(7);
      if (i > 0) expect(first).toBe(spans[i - 1]![1] + 1);
    }
    const frameBytes = (r: (typeof records)[number]) => r.value.byteLength - 1; // a fixarray header: ≤ 15 frames
    expect(Math.max(...records.map(frameBytes))).toBeLessThanOrEqual(5 * size);
    expect(Math.max(...records.map((r) => frameBytes(r) / (Number(r.headers['last']) - Number(r.headers['first']) + 1)))).toBeLessThanOrEqual(size);
    // Several records per send, within its budget: never fewer sends than the budget allows.
    const sends = await metricValue(registry, 'dualdesk_kafka_send_seconds_count');
    const budgeted = records.reduce((n, r) => n + frameBytes(r) + RECORD_OVERHEAD, 0);
    expect(sends).toBeGreaterThanOrEqual(Math.ceil(budgeted / (3 * (5 * size + RECORD_OVERHEAD))));
    expect(sends).toBeLessThan(records.length / 2);
  });

  it('reads a topic mixing old single-frame records and batch records: every seq once, in order, across the resent record', async () => {
    const frames = await readAll(40);
    expect(frames.map((f) => f.seq)).toEqual(range(41, 1_100));
    expect(frames[0]).toEqual({ op: 'data', epoch: EPOCH, seq: 41, prev: 40, ts: tsOf(41), topic: 'md.quote.S1', data: { i: 41 } });
    // Seq 39 (the margin) and 40 decoded and dropped, then the resent record skipped by its headers.
    expect(reader.status().startOffset).toBe('38');
  });

  it('seeks by time to the record holding the position, although that record began long before it', async () => {
    const records = await readRecords({ brokers }, settings.topic);
    expect(records.map((r) => r.timestamp)).toEqual([...range(1, 100), 350, 600, 850, 850, 1_100].map(tsOf));
    const before = reader.status().skipped;
    // Seq 700's ts minus the 1 s margin is seq 699's, in the record 601–850 (offset 102), which began 99 s earlier.
    const frames = await readAll(700);
    expect(reader.status().startOffset).toBe('102');
    expect(frames.map((f) => f.seq)).toEqual(range(701, 1_100));
    // 601–700 read and dropped, then the whole resent record by its headers.
    expect(reader.status().skipped - before).toBe(100 + 250);
  });
});
