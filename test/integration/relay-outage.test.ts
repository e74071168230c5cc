// The relay's stream through a broker outage (a broker of its own, stopped and restarted on the same
// folder and ports): the outage is reported, and the reading goes on from where it was, with no gap
// and nothing twice.
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { encodeFrame, type DataFrame } from '../../src/shared/stream';
import { RelayStream, type EpochFeed } from '../../src/main/share';
import { runRecord, type CommittedBatch } from '../../src/main/transport';
import { ensureKafkaLibs, startKafkaBroker, type KafkaBroker } from '../../scripts/kafka/broker';
import { memoryLogger } from '../support/logs';
import { settingsFor } from '../support/kafka';
import { until } from '../support/wait';

let broker: KafkaBroker;
const libs = ensureKafkaLibs();

beforeAll(async () => {
  broker = await startKafkaBroker({ libs, maxLifetimeSeconds: 600 });
});
afterAll(() => broker.destroy());

const frameOf = (seq: number): DataFrame => ({ op: 'data', epoch: 'E1', seq, prev: seq - 1, ts: 1_700_000_000_000 + seq, topic: `md.quote.S${seq % 3}`, data: { seq } });
const record = (first: number, last: number) =>
  runRecord('E1', { first, last, ts: 1_700_000_000_000 + last, frames: Buffer.concat(Array.from({ length: last - first + 1 }, (_, i) => encodeFrame(frameOf(first + i)))) });

async function produce(topic: string, from: number, to: number, create = false): Promise<void> {
  const kafka = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING });
  if (create) {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
  }
  const producer = kafka.producer();
  await producer.connect();
  const messages = [];
  for (let first = from; first <= to; first += 10) messages.push(record(first, Math.min(first + 9, to)));
  await producer.send({ topic, messages });
  await producer.disconnect();
}

describe('the relay stream through a broker outage', () => {
  it('reports Kafka unreachable, then reads on from where it was once the broker is back', async () => {
    const settings = settingsFor(broker.brokers, { connectionTimeoutMs: 1_000, requestTimeoutMs: 5_000 });
    await produce(settings.topic, 1, 100, true);
    const feeds: EpochFeed[] = [];
    const batches: CommittedBatch[] = [];
    const stream = new RelayStream({
      settings,
      topic: settings.topic,
      logger: memoryLogger('fatal').logger,
      pollMs: 100,
      onFeed: (feed) => {
        feeds.push(feed);
        feed.onCommitted((b) => batches.push(b));
      },
    });
    onTestFinished(() => stream.stop());
    await stream.start();
    await stream.caughtUp();
    expect(stream.status()).toMatchObject({ kafka: { reachable: true }, caughtUp: true, head: 100 });

    await broker.stop();
    await until(() => !stream.status().kafka.reachable, 'the outage reported', 60_000);
    expect(stream.status().kafka.detail).not.toBe('');
    broker = await startKafkaBroker({ libs, dir: broker.dir, port: broker.port, controllerPort: broker.controllerPort, maxLifetimeSeconds: 600 });
    await produce(settings.topic, 101, 250);
    await until(() => feeds[0]!.head === 250, 'the records written after the outage', 60_000);
    await until(() => stream.status().kafka.reachable && stream.status().lag === 0, 'reachable and caught up again', 60_000);
    expect(feeds).toHaveLength(1);
    expect(batches.flatMap((b) => b.frames.map((f) => f.seq))).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
  });
});
