// A relay's epoch feed on its own: the window's bounds, the seq → offset index a recall seeks by, and
// the recalled runs' cache. Recalls here read from an array standing for the topic (relay-stream.test.ts reads Kafka).
import { describe, expect, it } from 'vitest';
import { encodeFrame, type DataFrame } from '../../../src/shared/stream';
import { DEFAULT_RELAY_WINDOW, EpochFeed } from '../../../src/main/share';

const frame = (seq: number): DataFrame => ({ op: 'data', epoch: 'E', seq, prev: seq - 1, ts: seq, topic: `t.${seq % 2}`, data: seq });

/** A feed fed `records` records of `per` messages each, record i at offset 10 * i; the topic as an array the recaller reads. */
function fed(records: number, per: number, limits: Partial<typeof DEFAULT_RELAY_WINDOW>) {
  const asked: bigint[] = [];
  const topic = new Map<bigint, DataFrame[]>();
  const feed = new EpochFeed('E', 0, { ...DEFAULT_RELAY_WINDOW, ...limits }, (offset, _epoch, from, upTo) => {
    asked.push(offset);
    const out: DataFrame[] = [];
    for (let o = offset; topic.has(o); o += 10n) for (const f of topic.get(o)!) if (f.seq >= from && f.seq <= upTo) out.push(f);
    return Promise.resolve(out);
  });
  for (let i = 0; i < records; i++) {
    const frames = Array.from({ length: per }, (_, j) => frame(i * per + j + 1));
    topic.set(BigInt(i * 10), frames);
    feed.append(frames, BigInt(i * 10), undefined);
  }
  return { feed, asked };
}

describe('the relay epoch feed', () => {
  it('keeps a window bounded by messages, and by bytes', () => {
    const byCount = fed(100, 10, { maxMessages: 250 });
    expect(byCount.feed.head).toBe(1_000);
    expect(byCount.feed.oldest).toBe(751);
    expect(byCount.feed.window.messages).toBe(250);
    expect(byCount.feed.read(750, 760, 100)).toEqual([]);
    expect(byCount.feed.read(751, 1_000, 5).map((r) => r.seq)).toEqual([751, 752, 753, 754, 755]);
    const byBytes = fed(100, 10, { maxBytes: 64 * 100 });
    expect(byBytes.feed.window.messages).toBe(100);
    expect(byBytes.feed.window.bytes).toBeLessThanOrEqual(64 * 100);
  });

  it('recalls straight from the record holding the position (past thousands of records), once for concurrent asks, within the cache bound', async () => {
    const { feed, asked } = fed(5_000, 3, { maxMessages: 300, recallMessages: 100, recallCacheMessages: 250 });
    expect(feed.oldest).toBe(14_701);
    // seq 4,000 is in record 1,333 (seqs 4,000-4,002), at offset 13,330.
    await Promise.all([feed.recall(4_000), feed.recall(4_000)]);
    expect(asked).toEqual([13_330n]);
    expect(feed.read(4_000, 5_000, 1_000).map((r) => r.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 4_000 + i));
    await feed.recall(100);
    await feed.recall(9_000);
    await feed.recall(12_000);
    // 400 recalled messages against a cache of 250: the least recently used runs went.
    expect(feed.read(4_000, 4_000, 1)).toEqual([]);
    expect(feed.read(12_000, 12_000, 1).map((r) => r.seq)).toEqual([12_000]);
    // Before anything read, or already in the window: nothing to ask Kafka.
    await feed.recall(14_800);
    expect(asked).toHaveLength(4);
  });

  it('forgets the index below the topic’s earliest retained offset: those positions are not asked of Kafka', async () => {
    const { feed, asked } = fed(100, 10, { maxMessages: 100 });
    expect(feed.indexRecords).toBe(100);
    feed.forgetBefore(500n);
    expect(feed.indexRecords).toBe(50);
    await feed.recall(5);
    expect(asked).toEqual([]);
    await feed.recall(505);
    expect(asked).toEqual([500n]);
    expect(feed.read(505, 505, 1).map((r) => r.seq)).toEqual([505]);
  });

  it('counts the encodings made for reads in the window’s bytes', () => {
    const { feed } = fed(10, 10, {});
    const before = feed.window.bytes;
    const rows = feed.read(1, 100, 100);
    expect(rows).toHaveLength(100);
    const encoded = rows.reduce((n, r) => n + r.frame.length, 0);
    expect(feed.window.bytes).toBe(before + encoded);
    feed.read(1, 100, 100);
    expect(feed.window.bytes).toBe(before + encoded);
  });

  it('bounds the recalled runs by bytes too, the least recently used dropped first', async () => {
    const runBytes = Array.from({ length: 100 }, (_, i) => encodeFrame(frame(1_000 + i)).length).reduce((a, b) => a + b, 0);
    const { feed } = fed(500, 10, { maxMessages: 100, recallMessages: 100, recallCacheBytes: Math.floor(runBytes * 1.5) });
    await feed.recall(1_000);
    expect(feed.recallCacheBytes).toBeGreaterThan(0);
    await feed.recall(2_000);
    expect(feed.read(1_000, 1_000, 1)).toEqual([]);
    expect(feed.read(2_000, 2_000, 1).map((r) => r.seq)).toEqual([2_000]);
    expect(feed.recallCacheBytes).toBeLessThanOrEqual(Math.floor(runBytes * 1.5));
  });

  it('does not read back a position deeper than maxRecallMessages behind the window, nor beyond maxPendingRecalls pending', async () => {
    const results: string[] = [];
    const pending: (() => void)[] = [];
    const feed = new EpochFeed(
      'E',
      0,
      { ...DEFAULT_RELAY_WINDOW, maxMessages: 100, maxRecallMessages: 500, maxPendingRecalls: 2 },
      () => new Promise((resolve) => pending.push(() => resolve([]))),
      (r) => results.push(r),
    );
    for (let i = 0; i < 100; i++)
      feed.append(
        Array.from({ length: 10 }, (_, j) => frame(i * 10 + j + 1)),
        BigInt(i * 10),
        undefined,
      );
    expect(feed.oldest).toBe(901);
    await feed.recall(300);
    expect(results).toEqual(['too-deep']);
    const waits = [feed.recall(500), feed.recall(600), feed.recall(700)];
    await waits[2];
    expect(results).toEqual(['too-deep', 'busy']);
    expect(pending).toHaveLength(2);
    for (const p of pending) p();
    await Promise.all(waits);
    expect(results).toEqual(['too-deep', 'busy', 'read', 'read']);
  });

  it('waits for a later epoch until superseded; an epoch read before is over at once; waiters in its own epoch are answered too', async () => {
    const feed = new EpochFeed(
      'F',
      0,
      DEFAULT_RELAY_WINDOW,
      () => Promise.resolve([]),
      undefined,
      (e) => e === 'E',
    );
    feed.append([{ ...frame(1), epoch: 'F' }], 0n, undefined);
    expect(await feed.awaitHead('E', 1, 60_000)).toBe(false);
    expect(await feed.awaitHead('F', 1, 60_000)).toBe(true);
    const answers: boolean[] = [];
    const later = feed.awaitHead('G', 5, 60_000).then((r) => answers.push(r));
    const ahead = feed.awaitHead('F', 5, 60_000).then((r) => answers.push(r));
    // A frame of its own epoch answers neither: one is of another epoch, the other further ahead.
    feed.append([{ ...frame(2), epoch: 'F' }], 1n, undefined);
    await Promise.resolve();
    expect(answers).toEqual([]);
    feed.supersede();
    await Promise.all([later, ahead]);
    expect(answers).toEqual([false, false]);
    expect(await feed.awaitHead('G', 1, 60_000)).toBe(false);
  });
});
