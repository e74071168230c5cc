// The relay's stream read from a real Kafka broker: records written in the stream's format (record.ts),
// read whole from the earliest offset, a bounded window, recalls of older positions, epochs.
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { encodeFrame, type DataFrame } from '../../src/shared/stream';
import { RelayStream, type EpochFeed } from '../../src/main/share/relay';
import { runRecord, type CommittedBatch, type KafkaSettings } from '../../src/main/transport';
import { memoryLogger } from '../support/logs';
import { settingsFor } from '../support/kafka';
import { until } from '../support/wait';

const brokers = inject('kafkaBrokers');

const frameOf = (epoch: string, seq: number): DataFrame => ({ op: 'data', epoch, seq, prev: seq - 1, ts: 1_700_000_000_000 + seq, topic: `md.quote.S${seq % 3}`, data: { seq } });

/** The record of seqs first..last of an epoch, as the desk's outbox writes it. */
function record(epoch: string, first: number, last: number) {
  const frames = Array.from({ length: last - first + 1 }, (_, i) => encodeFrame(frameOf(epoch, first + i)));
  return runRecord(epoch, { first, last, ts: 1_700_000_000_000 + last, frames: Buffer.concat(frames) });
}

async function topicWithProducer(): Promise<{ settings: KafkaSettings; producer: Producer }> {
  const settings = settingsFor(brokers);
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: settings.topic, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  onTestFinished(() => producer.disconnect());
  return { settings, producer };
}

async function relayOf(settings: KafkaSettings, window: { maxMessages?: number; recallMessages?: number } = {}) {
  const feeds: EpochFeed[] = [];
  const batches: CommittedBatch[] = [];
  const stream = new RelayStream({
    settings,
    topic: settings.topic,
    logger: memoryLogger('warn').logger,
    window,
    pollMs: 100,
    onFeed: (feed) => {
      feeds.push(feed);
      feed.onCommitted((b) => batches.push(b));
    },
  });
  onTestFinished(() => stream.stop());
  await stream.start();
  return { stream, feeds, batches };
}

describe('the relay stream (a real Kafka broker)', () => {
  it('reads the whole topic from its start: head, snapshot, a bounded window, record values forwarded unchanged, resends skipped', async () => {
    const { settings, producer } = await topicWithProducer();
    const records = [];
    for (let first = 1; first <= 300; first += 10) records.push(record('E1', first, first + 9));
    await producer.send({ topic: settings.topic, messages: records });
    const { stream, feeds, batches } = await relayOf(settings, { maxMessages: 100 });
    await stream.caughtUp();
    const feed = feeds[0]!;
    expect(feeds).toHaveLength(1);
    expect(feed.epoch).toBe('E1');
    expect(feed.head).toBe(300);
    expect(feed.oldest).toBe(201);
    expect(feed.snapshot()).toEqual({ seq: 300, state: { 'md.quote.S0': { seq: 300 }, 'md.quote.S1': { seq: 298 }, 'md.quote.S2': { seq: 299 } } });
    expect(Buffer.from(batches[0]!.message)).toEqual(records[0]!.value);
    expect(feed.read(250, 252, 10).map((r) => r.seq)).toEqual([250, 251, 252]);
    expect(Buffer.from(feed.read(250, 250, 1)[0]!.frame)).toEqual(Buffer.from(encodeFrame(frameOf('E1', 250))));
    expect(stream.status()).toMatchObject({ kafka: { reachable: true }, caughtUp: true, lag: 0, epoch: 'E1', head: 300, oldest: 201 });

    // A resend of the last record, then one overlapping it: only the new messages go on, re-encoded.
    await producer.send({ topic: settings.topic, messages: [record('E1', 291, 300), record('E1', 296, 305)] });
    await until(() => feed.head === 305, 'the overlapping record');
    const last = batches.at(-1)!;
    expect(last.frames.map((f) => f.seq)).toEqual([301, 302, 303, 304, 305]);
    expect(batches.flatMap((b) => b.frames.map((f) => f.seq))).toEqual(Array.from({ length: 305 }, (_, i) => i + 1));
  });

  it('recalls positions older than its window from Kafka, straight from the record, contiguous', async () => {
    const { settings, producer } = await topicWithProducer();
    const records = [];
    for (let first = 1; first <= 1_000; first += 7) records.push(record('E1', first, Math.min(first + 6, 1_000)));
    await producer.send({ topic: settings.topic, messages: records });
    const { stream, feeds } = await relayOf(settings, { maxMessages: 50, recallMessages: 200 });
    await stream.caughtUp();
    const feed = feeds[0]!;
    expect(feed.oldest).toBe(951);
    expect(feed.read(100, 110, 100)).toEqual([]);
    await feed.recall(100);
    expect(feed.read(100, 400, 1_000).map((r) => r.seq)).toEqual(Array.from({ length: 200 }, (_, i) => 100 + i));
    // The next position past the recalled run is recalled in turn, up to the window.
    await feed.recall(300);
    expect(feed.read(300, 2_000, 1_000).map((r) => r.seq)).toEqual(Array.from({ length: 200 }, (_, i) => 300 + i));
    await Promise.all([feed.recall(900), feed.recall(900)]);
    expect(feed.read(900, 2_000, 1_000).map((r) => r.seq)).toEqual(Array.from({ length: 51 }, (_, i) => 900 + i));
  });

  it('a record of a new epoch starts a new feed; records of the earlier one after it are stale', async () => {
    const { settings, producer } = await topicWithProducer();
    await producer.send({ topic: settings.topic, messages: [record('E1', 1, 20)] });
    const { stream, feeds } = await relayOf(settings);
    await stream.caughtUp();
    expect(feeds.map((f) => f.epoch)).toEqual(['E1']);
    // A viewer from a relay that read E2 first waits on E1's feed: the relay reaching E2 answers it (E1's feed is superseded).
    let answered: boolean | undefined;
    const waiting = feeds[0]!.awaitHead('E2', 3, 60_000).then((r) => (answered = r));
    await producer.send({ topic: settings.topic, messages: [record('E2', 1, 5), record('E1', 21, 30), record('E2', 6, 8)] });
    await until(() => feeds.length === 2 && feeds[1]!.head === 8, 'the new epoch');
    await waiting;
    expect(answered).toBe(false);
    // E2's feed knows E1 is over: a resume there is not waited for.
    expect(await feeds[1]!.awaitHead('E1', 20, 60_000)).toBe(false);
    expect(await feeds[1]!.awaitHead('E2', 8, 60_000)).toBe(true);
    expect(feeds.map((f) => f.epoch)).toEqual(['E1', 'E2']);
    expect(feeds[0]!.head).toBe(20);
    expect(stream.status()).toMatchObject({ epoch: 'E2', head: 8, oldest: 1 });
    expect(feeds[1]!.snapshot().state).toEqual({ 'md.quote.S0': { seq: 6 }, 'md.quote.S1': { seq: 7 }, 'md.quote.S2': { seq: 8 } });
  });

  it('names a missing topic in its Kafka status', async () => {
    const settings = settingsFor(brokers);
    const stream = new RelayStream({ settings, topic: `absent-${Date.now()}`, logger: memoryLogger('silent').logger, pollMs: 100, onFeed: () => undefined });
    onTestFinished(() => stream.stop());
    await stream.start();
    await until(
      () => /does not exist/.test(stream.status().kafka.detail),
      () => `the status naming the topic (${stream.status().kafka.detail})`,
      20_000,
    );
    expect(stream.status().kafka.reachable).toBe(false);
    expect(stream.status().kafka.detail).toMatch(/^topic absent-\d+ does not exist$/);
  });
});
