// Shared by the kafka-*.test.ts files: a journal + publisher on a temp file, a raw kafkajs read of a
// whole topic expanded into its stream messages (independent of the code under test).
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { decode } from '@msgpack/msgpack';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { Registry } from 'prom-client';
import type { DataFrame } from '../../src/shared/stream';
import { systemClock, type Clock } from '../../src/main/clock';
import { createStreamMetrics, StreamJournal, StreamPublisher } from '../../src/main/transport';
import { parseKafkaSettings, type KafkaSettings, type KafkaSettingsInput } from '../../src/main/transport/kafka';
import { memoryLogger } from './logs';

export async function openStream(dir: string, clock: Clock = systemClock, file = 'stream.db') {
  const journal = await StreamJournal.open(join(dir, file));
  const publisher = new StreamPublisher({ journal, clock, logger: memoryLogger('warn').logger, metrics: createStreamMetrics(new Registry()) });
  return { journal, publisher };
}

export function settingsFor(brokers: string[], extra: Partial<KafkaSettingsInput> = {}): KafkaSettings {
  return parseKafkaSettings({ brokers, topic: `t-${randomUUID()}`, ...extra });
}

/** A record of the topic, as stored. */
export interface TopicRecord {
  readonly offset: number;
  readonly value: Buffer;
  readonly timestamp: number;
  readonly headers: Readonly<Record<string, string>>;
}

/** One stream message as found in the topic: its frame, and the record that carried it. */
export interface TopicEntry {
  readonly seq: number;
  readonly epoch: string;
  readonly frame: DataFrame;
  /** The offset of the record that carried it, and its place in that record. */
  readonly offset: number;
  readonly index: number;
  readonly record: TopicRecord;
}

/** Every record of a one-partition topic, up to its end as of the call, read with a plain kafkajs consumer. */
export async function readRecords(client: Pick<KafkaConfig, 'brokers' | 'ssl' | 'sasl'>, topic: string, timeoutMs = 30_000): Promise<TopicRecord[]> {
  const kafka = new Kafka({ clientId: 'dualdesk-test-reader', ...client, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const end = Number((await admin.fetchTopicOffsets(topic)).find((p) => p.partition === 0)?.high ?? 0);
  await admin.disconnect();
  if (end === 0) return [];
  const consumer = kafka.consumer({ groupId: `test-${randomUUID()}`, maxWaitTimeInMs: 100, maxBytesPerPartition: 8 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const records: TopicRecord[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${records.length} of ${end} records of ${topic} in ${timeoutMs} ms`)), timeoutMs);
      consumer
        .run({
          autoCommit: false,
          eachBatch: ({ batch }) => {
            for (const m of batch.messages) {
              const headers = Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(Array.isArray(v) ? v[0] : v)]));
              records.push({ offset: Number(m.offset), value: m.value ?? Buffer.alloc(0), timestamp: Number(m.timestamp), headers });
            }
            if (Number(batch.lastOffset()) + 1 >= end) {
              clearTimeout(timer);
              resolve();
            }
            return Promise.resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return records.filter((r) => r.offset < end);
}

/**
 * Every stream message in a topic, in topic order: each record expanded into the frames it carries
 * (a batch record many, a record of the previous format one). Decoded here with msgpack alone, not
 * with the code under test.
 */
export async function readTopic(client: Pick<KafkaConfig, 'brokers' | 'ssl' | 'sasl'>, topic: string, timeoutMs = 30_000): Promise<TopicEntry[]> {
  return expandRecords(await readRecords(client, topic, timeoutMs));
}

export function expandRecords(records: readonly TopicRecord[]): TopicEntry[] {
  return records.flatMap((record) => {
    const value: unknown = decode(record.value);
    const frames = (Array.isArray(value) ? value : [value]) as DataFrame[];
    return frames.map((frame, index) => ({ seq: frame.seq, epoch: frame.epoch, frame, offset: record.offset, index, record }));
  });
}

/** The seqs of the messages, in topic order. */
export function seqsOf(entries: readonly TopicEntry[]): number[] {
  return entries.map((e) => e.seq);
}

/**
 * Checks that the only repeats in a topic are resends from an acknowledged watermark on: a message seen
 * before comes again only at the start of a record, and within a record no repeat follows a new message
 * (a resend after a producer reset repeats whole records; one after a restart may add new messages to
 * the last record it repeats).
 */
export function repeatsOnlyAsResends(entries: readonly TopicEntry[]): boolean {
  const seen = new Set<number>();
  let repeating = false;
  for (const e of entries) {
    const again = seen.has(e.seq);
    if (e.index === 0) repeating = again;
    else if (again && !repeating) return false;
    else if (!again) repeating = false;
    seen.add(e.seq);
  }
  return true;
}

/** Publishes `count` messages, `perTick` per turn of the event loop (so they commit and send in several batches). */
export async function publishMany(publisher: StreamPublisher, count: number, perTick = 1_000, topic = (i: number) => `md.quote.S${i % 5}`): Promise<void> {
  for (let i = 0; i < count; i++) {
    if (publisher.publish(topic(i), { i, bid: 100 + (i % 50) / 100 }) === undefined) throw new Error(`publish ${i} refused`);
    if (i % perTick === perTick - 1) await new Promise((r) => setImmediate(r));
  }
  await publisher.flush();
}
