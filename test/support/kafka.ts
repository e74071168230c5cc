// Shared by the kafka-*.test.ts files: a journal + publisher on a temp file, a raw kafkajs read of a
// whole topic (independent of the code under test).
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { Registry } from 'prom-client';
import { systemClock, type Clock } from '../../src/main/clock';
import { StreamJournal } from '../../src/main/transport/journal';
import { parseKafkaSettings, type KafkaSettings, type KafkaSettingsInput } from '../../src/main/transport/kafka';
import { createStreamMetrics, StreamPublisher } from '../../src/main/transport/publisher';
import { memoryLogger } from './logs';

export async function openStream(dir: string, clock: Clock = systemClock, file = 'stream.db') {
  const journal = await StreamJournal.open(join(dir, file));
  const publisher = new StreamPublisher({ journal, clock, logger: memoryLogger('warn').logger, metrics: createStreamMetrics(new Registry()) });
  return { journal, publisher };
}

export function settingsFor(brokers: string[], extra: Partial<KafkaSettingsInput> = {}): KafkaSettings {
  return parseKafkaSettings({ brokers, topic: `t-${randomUUID()}`, ...extra });
}

export interface TopicRecord {
  readonly offset: number;
  readonly value: Buffer;
  readonly timestamp: number;
  readonly headers: { readonly epoch: string | undefined; readonly seq: string | undefined };
}

/** Every record of a one-partition topic, up to its end as of the call, read with a plain kafkajs consumer. */
export async function readTopic(client: Pick<KafkaConfig, 'brokers' | 'ssl' | 'sasl'>, topic: string, timeoutMs = 30_000): Promise<TopicRecord[]> {
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
              records.push({
                offset: Number(m.offset),
                value: m.value ?? Buffer.alloc(0),
                timestamp: Number(m.timestamp),
                headers: { epoch: m.headers?.['epoch']?.toString(), seq: m.headers?.['seq']?.toString() },
              });
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

/** The seqs (from the `seq` header) of the records. */
export function seqsOf(records: readonly TopicRecord[]): number[] {
  return records.map((r) => Number(r.headers.seq));
}

/** Publishes `count` messages, `perTick` per turn of the event loop (so they commit and send in several batches). */
export async function publishMany(publisher: StreamPublisher, count: number, perTick = 1_000, topic = (i: number) => `md.quote.S${i % 5}`): Promise<void> {
  for (let i = 0; i < count; i++) {
    if (publisher.publish(topic(i), { i, bid: 100 + (i % 50) / 100 }) === undefined) throw new Error(`publish ${i} refused`);
    if (i % perTick === perTick - 1) await new Promise((r) => setImmediate(r));
  }
  await publisher.flush();
}
