import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DataFrame } from '../../src/shared/stream';
import { systemClock, type Clock } from '../../src/main/clock';
import type { StreamJournal, StreamPublisher } from '../../src/main/transport';
import { KafkaOutbox, KafkaStreamReader, type KafkaSettings } from '../../src/main/transport/kafka';
import { memoryLogger } from '../support/logs';
import { openStream, publishMany, readRecords, settingsFor } from '../support/kafka';
import { until } from '../support/wait';

const brokers = inject('kafkaBrokers');
// Messages one simulated second apart, starting 4 hours ago: a ts seek can land anywhere in the topic.
const T0 = Date.now() - 4 * 3_600_000;
const tsOf = (seq: number) => T0 + seq * 1_000;
let at = 0;
const clock: Clock = { ...systemClock, now: () => tsOf(at) };

let settings: KafkaSettings;
let journal: StreamJournal;
let publisher: StreamPublisher;
let outbox: KafkaOutbox;
let reader: KafkaStreamReader;
const dir = mkdtempSync(join(tmpdir(), 'dualdesk-test-'));

/** Publishes up to seq `to`, each message stamped one simulated second after the previous, and waits for Kafka. */
async function publishUpTo(to: number): Promise<void> {
  const from = journal.head + 1;
  await publishMany(publisher, to - from + 1, 500, (i) => {
    at = from + i;
    return `md.quote.S${at % 5}`;
  });
  await outbox.whenAcked(to);
}

/** Collects frames from readFrom until `done` holds. */
function collector() {
  const frames: DataFrame[] = [];
  let firstAt = 0;
  return {
    frames,
    onFrames: (batch: DataFrame[]) => {
      if (frames.length === 0) firstAt = performance.now();
      frames.push(...batch);
    },
    firstAt: () => firstAt,
  };
}

beforeAll(async () => {
  settings = settingsFor(brokers);
  ({ journal, publisher } = await openStream(dir, clock));
  outbox = new KafkaOutbox({ journal, onCommitted: (l) => publisher.onCommitted(l), settings, logger: memoryLogger('warn').logger, metrics: new Registry() });
  await outbox.start();
  await publishUpTo(10_000);
  reader = new KafkaStreamReader({ settings, logger: memoryLogger('warn').logger });
  await reader.start();
});

afterAll(async () => {
  await reader?.stop();
  await outbox?.stop();
  await journal?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Kafka stream reader', () => {
  it('starts connected and idle (a warm standby), and refuses to read before it is started', async () => {
    expect(reader.status()).toMatchObject({ state: 'idle', delivered: 0 });
    const cold = new KafkaStreamReader({ settings, logger: memoryLogger('warn').logger });
    await expect(cold.readFrom({ epoch: journal.epoch, seq: 1, ts: tsOf(1) }, () => undefined)).rejects.toThrow('the Kafka reader is not connected (stopped)');
  });

  it('seeks near the position by timestamp (not from offset 0) and delivers what follows it, in order', async () => {
    const c = collector();
    const asked = performance.now();
    await reader.readFrom({ epoch: journal.epoch, seq: 6_000, ts: tsOf(6_000) }, c.onFrames);
    // The 1 s margin is one simulated message back: the seek lands on the record holding seq 5,999,
    // although that record began up to 1,000 simulated seconds earlier.
    const records = await readRecords({ brokers }, settings.topic);
    const holding = records.find((r) => Number(r.headers['first']) <= 5_999 && 5_999 <= Number(r.headers['last']))!;
    expect(reader.status().startOffset).toBe(String(holding.offset));
    await until(() => c.frames.at(-1)?.seq === 10_000, 'frames up to the head');
    // A warm consumer: the first frames arrive well within a second of asking.
    expect(c.firstAt() - asked).toBeLessThan(1_000);
    expect(c.frames[0]?.seq).toBe(6_001);
    expect(c.frames.map((f) => f.seq)).toEqual(Array.from({ length: 4_000 }, (_, i) => 6_001 + i));
    expect(c.frames[0]).toMatchObject({ op: 'data', epoch: journal.epoch, prev: 6_000, ts: tsOf(6_001), topic: 'md.quote.S1' });
    expect(reader.status()).toMatchObject({ state: 'reading', nextOffset: String(records.length) });
    // Only the messages of that record up to the position were read and dropped.
    expect(reader.status().skipped).toBe(6_000 - Number(holding.headers['first']) + 1);
    reader.pause();
  });

  it('pauses (nothing more is delivered) and resumes from a new position', async () => {
    const first = collector();
    await reader.readFrom({ epoch: journal.epoch, seq: 9_900, ts: tsOf(9_900) }, first.onFrames);
    await until(() => first.frames.at(-1)?.seq === 10_000, 'the tail');
    reader.pause();
    expect(reader.status().state).toBe('idle');
    const afterPause = first.frames.length;

    await publishUpTo(11_000);
    const second = collector();
    await reader.readFrom({ epoch: journal.epoch, seq: 10_000, ts: tsOf(10_000) }, second.onFrames);
    await until(() => second.frames.at(-1)?.seq === 11_000, 'the new messages');
    expect(second.frames.map((f) => f.seq)).toEqual(Array.from({ length: 1_000 }, (_, i) => 10_001 + i));
    // The paused read got none of them, although they were in the topic all along.
    expect(first.frames.length).toBe(afterPause);
    reader.pause();
  });

  it('keeps delivering live messages while reading; passes another epoch newer than the position, drops an older one', async () => {
    const c = collector();
    const skippedBefore = reader.status().skipped;
    // A position in an epoch the topic does not hold (the store was recreated): what the seek margin
    // brings from before the position is taken as an older store's tail; everything after it passes.
    await reader.readFrom({ epoch: 'an-older-epoch', seq: 10_990, ts: tsOf(10_990) }, c.onFrames);
    await until(() => c.frames.at(-1)?.seq === 11_000, 'the current tail');
    expect(c.frames[0]!.seq).toBe(10_991);
    expect(reader.status().skipped).toBeGreaterThan(skippedBefore);
    await publishUpTo(11_500);
    await until(() => c.frames.at(-1)?.seq === 11_500, 'live messages');
    const seqs = c.frames.map((f) => f.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0]! + i));
    reader.pause();
  });

  it('as a hot standby, skips what its subscriber already has (the position it reports now), before decoding, and reports the bytes it read', async () => {
    const c = collector();
    const before = reader.status();
    let current = 11_400;
    await reader.readFrom({ epoch: journal.epoch, seq: 11_000, ts: tsOf(11_000) }, c.onFrames, () => current);
    await until(() => c.frames.at(-1)?.seq === 11_500, 'the tail after the current position');
    expect(c.frames.map((f) => f.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 11_401 + i));
    expect(reader.status().skipped - before.skipped).toBeGreaterThanOrEqual(400);
    // The subscriber moves on without Kafka (its WebSocket): what Kafka brings next is behind it.
    current = 11_800;
    await publishUpTo(11_900);
    await until(() => c.frames.at(-1)?.seq === 11_900, 'live messages after the moved position');
    expect(c.frames.slice(100).map((f) => f.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 11_801 + i));
    expect(reader.status().bytesRead).toBeGreaterThan(before.bytesRead + 500 * 100);
    expect(reader.available()).toBe(true);
    reader.pause();
  });

  it('reads from the start of the topic for a position before it', async () => {
    const c = collector();
    await reader.readFrom({ epoch: journal.epoch, seq: 0, ts: 0 }, c.onFrames);
    expect(reader.status().startOffset).toBe('0');
    await until(() => c.frames.at(-1)?.seq === 11_900, 'the whole topic');
    expect(c.frames).toHaveLength(11_900);
    reader.pause();
  });
});
