import { copyFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { decodeFrames, type DataFrame } from '../../../src/shared/stream';
import { systemClock } from '../../../src/main/clock';
import { type CommittedBatch, createStreamMetrics, JournalRetention, readJournalHistory, StreamJournal, StreamPublisher } from '../../../src/main/transport';
import { tempDir } from '../../support/fs';
import { memoryLogger } from '../../support/logs';
import { until } from '../../support/wait';

async function open(file: string) {
  const journal = await StreamJournal.open(file);
  const publisher = new StreamPublisher({ journal, clock: systemClock, logger: memoryLogger().logger, metrics: createStreamMetrics(new Registry()) });
  return { journal, publisher };
}

describe('stream journal and publisher', () => {
  it('sequences from 1, journals before any channel sees a message, and hands batches over in order', async () => {
    const { journal, publisher } = await open(join(tempDir(), 'paper-stream.db'));
    const batches: CommittedBatch[] = [];
    publisher.onCommitted((b) => {
      // Journal-before-send: whatever a channel receives is already readable from the journal.
      expect(journal.read(b.frames[0]!.seq, b.frames.at(-1)!.seq, 10_000)).toHaveLength(b.frames.length);
      batches.push(b);
    });
    const seqs = Array.from({ length: 20_000 }, (_, i) => publisher.publish(`md.quote.S${i % 7}`, { i }));
    expect(seqs[0]).toBe(1);
    expect(seqs.at(-1)).toBe(20_000);
    await publisher.flush();
    const all = batches.flatMap((b) => b.frames);
    expect(all.map((f) => f.seq)).toEqual(Array.from({ length: 20_000 }, (_, i) => i + 1));
    expect(batches.length).toBeGreaterThan(1); // group commit, bounded batches
    const stored = decodeFrames(journal.read(19_999, 19_999, 1)[0]!.frame)[0] as DataFrame;
    expect(stored).toEqual({ op: 'data', epoch: journal.epoch, seq: 19_999, prev: 19_998, ts: expect.any(Number) as number, topic: 'md.quote.S6', data: { i: 19_998 } });
    expect(publisher.snapshot((t) => t === 'md.quote.S0')).toEqual({ seq: 20_000, state: { 'md.quote.S0': { i: 19_999 - (19_999 % 7) } } });
    await journal.close();
  });

  it('keeps its epoch, head and snapshot across a reopen; a new file is a new epoch', async () => {
    const dir = tempDir();
    const file = join(dir, 'paper-stream.db');
    const first = await open(file);
    for (let i = 0; i < 100; i++) first.publisher.publish(`t.${i % 3}`, i);
    await first.publisher.flush();
    const epoch = first.journal.epoch;
    await first.journal.close();
    const second = await open(file);
    expect(second.journal.epoch).toBe(epoch);
    expect(second.publisher.head).toBe(100);
    expect(second.publisher.publish('t.0', 'next')).toBe(101);
    expect(second.publisher.snapshot().state).toMatchObject({ 't.1': 97, 't.2': 98 });
    await second.publisher.flush();
    await second.journal.close();
    rmSync(file);
    rmSync(`${file}-wal`, { force: true });
    rmSync(`${file}-shm`, { force: true });
    const recreated = await open(file);
    expect(recreated.journal.epoch).not.toBe(epoch);
    expect(recreated.publisher.publish('t.0', 'fresh')).toBe(1);
    await recreated.publisher.flush();
    await recreated.journal.close();
  });

  it('never issues a number twice after retention empties the journal: the head survives the prune and a reopen, Kafka’s mark stays behind it', async () => {
    const file = join(tempDir(), 'paper-stream.db');
    const first = await open(file);
    for (let i = 0; i < 47; i++) first.publisher.publish(`t.${i % 3}`, i);
    await first.publisher.flush();
    first.journal.setKafkaAcked(47);
    // An idle day: every row is older than the 24-hour window, and one pass removes them all.
    const day = 24 * 3_600_000;
    expect(await first.journal.prune(Date.now() + day + 60_000, day, 100_000)).toBe(47);
    expect(first.journal.read(1, 1_000, 1_000)).toHaveLength(0);
    expect([first.journal.head, first.journal.oldest]).toEqual([47, 48]);
    const epoch = first.journal.epoch;
    await first.journal.close();

    const second = await open(file);
    expect([second.journal.epoch, second.journal.head, second.journal.oldest, second.journal.kafkaAcked]).toEqual([epoch, 47, 48, 47]);
    expect(second.publisher.publish('t.0', 'after the idle day')).toBe(48);
    await second.publisher.flush();
    // The outbox sends from Kafka's mark + 1 up to the head: the new message is in that range.
    expect(second.journal.kafkaAcked).toBeLessThan(second.journal.head);
    expect(second.journal.read(second.journal.kafkaAcked + 1, second.journal.head, 10).map((r) => r.seq)).toEqual([48]);
    second.journal.setKafkaAcked(48);
    await second.journal.close();
    // What the refusal to start over a lost trading database reports: the head, not the rows left.
    expect(readJournalHistory(file)).toEqual({ epoch, messages: 1, lastSeq: 48 });

    // A file left by a release that kept no mark (its rows pruned, Kafka's mark at 48): Kafka's mark may
    // trail what that release issued (Kafka off, or behind), so it is no head: a new epoch starts.
    const pruned = new BetterSqlite3(file);
    pruned.exec('DELETE FROM stream_journal');
    pruned.close();
    expect(readJournalHistory(file)).toEqual({ epoch, messages: 0, lastSeq: 48 });
    const old = new BetterSqlite3(file);
    old.exec("DELETE FROM stream_meta WHERE key = 'head'");
    old.close();
    const third = await open(file);
    expect(third.journal.epoch).not.toBe(epoch);
    expect([third.journal.head, third.journal.oldest, third.journal.kafkaAcked]).toEqual([0, 1, 0]);
    expect(third.journal.renewedBecause).toMatch(/no head mark.*no rows/);
    expect(third.publisher.publish('t.0', 'next')).toBe(1);
    await third.publisher.flush();
    await third.journal.close();
  });

  it('starts a new epoch on a journal an earlier release emptied (an epoch, no rows, no head mark): its head is unknown, so no number is reused', async () => {
    const file = join(tempDir(), 'paper-stream.db');
    // As the release before the head mark left it: messages up to some seq, every row then pruned.
    const old = new BetterSqlite3(file);
    old.exec(`CREATE TABLE stream_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
              CREATE TABLE stream_journal (seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, topic TEXT NOT NULL, frame BLOB NOT NULL) STRICT;
              CREATE INDEX stream_journal_by_ts ON stream_journal (ts);
              INSERT INTO stream_meta (key, value) VALUES ('epoch', 'old-epoch');`);
    old.close();
    const renewed = await open(file);
    expect(renewed.journal.epoch).not.toBe('old-epoch');
    expect([renewed.journal.head, renewed.journal.oldest, renewed.journal.kafkaAcked]).toEqual([0, 1, 0]);
    expect(renewed.journal.renewedBecause).toMatch(/epoch old-epoch .*no head mark.*no rows/);
    await expectNewEpochGoesOn(renewed, file);
  });

  it('prunes by age and count, but never what Kafka has not acknowledged', async () => {
    const { journal, publisher } = await open(join(tempDir(), 'paper-stream.db'));
    for (let i = 0; i < 1_000; i++) publisher.publish('t', i);
    await publisher.flush();
    journal.setKafkaAcked(300);
    expect(await journal.prune(Date.now(), 3_600_000, 100, journal.kafkaAcked + 1)).toBe(300);
    expect(journal.oldest).toBe(301);
    expect(await journal.prune(Date.now(), 3_600_000, 100)).toBe(600);
    expect(journal.oldest).toBe(901);
    expect(journal.read(1, 1_000, 2_000)).toHaveLength(100);
    await journal.close();
  });

  it('keeps a bounded window on a timer, and warns when Kafka’s unacknowledged tail holds it over', async () => {
    const { journal, publisher } = await open(join(tempDir(), 'paper-stream.db'));
    for (let i = 0; i < 1_000; i++) publisher.publish('t', i);
    await publisher.flush();
    const log = memoryLogger();
    let acked = 0;
    const retention = new JournalRetention({ journal, clock: systemClock, logger: log.logger, maxAgeMs: 3_600_000, maxCount: 200, keepFrom: () => acked + 1, everyMs: 5 });
    retention.start();
    await retention.prune();
    expect(journal.oldest).toBe(1);
    expect(log.text()).toContain('Kafka has not acknowledged the tail');
    acked = 1_000;
    // The timer's passes, not only direct calls, prune.
    await until(() => journal.oldest === 801, 'a timed pass');
    await retention.stop();
    await journal.close();
  });

  it('holds what a journal gone for good never took, sends none of it, and says why', async () => {
    const { journal, publisher } = await open(join(tempDir(), 'paper-stream.db'));
    const committed: number[] = [];
    publisher.onCommitted((b) => committed.push(...b.frames.map((f) => f.seq)));
    for (let i = 0; i < 10; i++) publisher.publish('t', i);
    await publisher.flush();
    // Its writer thread dies (as on a crash of the native driver) with 5 messages handed over.
    const died = (journal as unknown as { worker: Worker }).worker.terminate();
    for (let i = 0; i < 5; i++) publisher.publish('t', i);
    await died;
    await publisher.flush();
    expect(publisher.publish('t', 'later')).toBeUndefined();
    expect(committed).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(publisher.failure).toMatch(/journal writer exited with code 1; 5 message\(s\) after seq 10 held, never sent/);
    await journal.close();
  });

  it('closes at once after its writer died with messages queued: nothing waits for a commit that cannot come', async () => {
    const { journal, publisher } = await open(join(tempDir(), 'paper-stream.db'));
    for (let i = 0; i < 10; i++) publisher.publish('t', i);
    await publisher.flush();
    const died = (journal as unknown as { worker: Worker }).worker.terminate();
    for (let i = 0; i < 5; i++) publisher.publish('t', i);
    await died;
    await publisher.flush();
    // Stopping the mode (TradingScope.stop) flushes again, then closes: neither may wait for a drain.
    await publisher.flush();
    await publisher.close();
    expect(publisher.head).toBe(10);
    await journal.close();
  });

  it('refuses (and counts) messages when the journal cannot keep up, never blocking the caller', async () => {
    const { journal } = await open(join(tempDir(), 'paper-stream.db'));
    const registry = new Registry();
    const publisher = new StreamPublisher({ journal, clock: systemClock, logger: memoryLogger().logger, metrics: createStreamMetrics(registry), maxPending: 10 });
    const results = Array.from({ length: 15 }, (_, i) => publisher.publish('t', i));
    expect(results.filter((r) => r === undefined)).toHaveLength(5);
    // What was refused is lost to every subscriber: a failure (orders refused) until the queue drains.
    expect(publisher.failure).toMatch(/fell 10 messages behind .*: 5 message\(s\) refused, never sent/);
    await publisher.flush();
    expect(journal.head).toBe(10);
    expect(publisher.failure).toBeUndefined();
    expect((await registry.getSingleMetric('dualdesk_stream_refused_total')?.get())?.values[0]?.value).toBe(5);
    await journal.close();
  });
});

/** The writer thread dies without closing the journal, as in a crash of the process. */
/** A renewed journal issues 1 first, and keeps its new epoch and head mark across a reopen. */
async function expectNewEpochGoesOn(renewed: Awaited<ReturnType<typeof open>>, file: string): Promise<void> {
  expect(renewed.publisher.publish('t.0', 'first of the new epoch')).toBe(1);
  await renewed.publisher.flush();
  const epoch = renewed.journal.epoch;
  await renewed.journal.close();
  const again = await open(file);
  expect([again.journal.epoch, again.journal.head, again.journal.renewedBecause]).toEqual([epoch, 1, undefined]);
  await again.journal.close();
}

async function crash(journal: StreamJournal): Promise<void> {
  await (journal as unknown as { worker: Worker }).worker.terminate();
  await journal.close();
}

/** What stream_meta says, read beside (or after) the writer. */
function meta(file: string): Record<string, string> {
  const db = new BetterSqlite3(file, { readonly: true });
  const rows = db.prepare<[], { key: string; value: string }>('SELECT key, value FROM stream_meta').all();
  db.close();
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

/** As if the journal had last been written before a reboot of the machine. */
function writtenInAnotherBoot(file: string): void {
  const db = new BetterSqlite3(file);
  db.prepare("UPDATE stream_meta SET value = 'linux:another-boot' WHERE key = 'boot'").run();
  db.close();
}

describe('stream journal durability across crashes and reboots', () => {
  async function published(file: string, n: number) {
    const opened = await open(file);
    for (let i = 0; i < n; i++) opened.publisher.publish(`t.${i % 2}`, i);
    await opened.publisher.flush();
    return opened;
  }

  it('marks the journal as written by this boot while open, and clean once closed', async () => {
    const file = join(tempDir(), 'paper-stream.db');
    const { journal } = await published(file, 3);
    const open = meta(file);
    expect(open['clean']).toBe('0');
    expect(open['boot']).toMatch(/^(linux|booted):./);
    await journal.close();
    expect(meta(file)).toMatchObject({ clean: '1', boot: open['boot'], head: '3' });
  });

  it('keeps the epoch after a process crash: the OS still holds every commit, so the next open goes on after the last', async () => {
    const file = join(tempDir(), 'paper-stream.db');
    const first = await published(file, 10);
    await crash(first.journal);
    const again = await open(file);
    expect([again.journal.epoch, again.journal.head, again.journal.renewedBecause]).toEqual([first.journal.epoch, 10, undefined]);
    expect(again.publisher.publish('t.0', 'next')).toBe(11);
    await again.publisher.flush();
    await again.journal.close();
  });

  it('starts a new epoch on a journal last written in another boot and not closed cleanly: its last commits may be gone, so their numbers are never issued again', async () => {
    const file = join(tempDir(), 'paper-stream.db');
    const first = await published(file, 10);
    first.journal.setKafkaAcked(8);
    await first.publisher.flush();
    await crash(first.journal);
    writtenInAnotherBoot(file);
    const renewed = await open(file);
    expect(renewed.journal.epoch).not.toBe(first.journal.epoch);
    expect(renewed.journal.renewedBecause).toMatch(/epoch .* was last written in another boot .* not closed cleanly/);
    // Like a new file: nothing of the old epoch is served, the snapshot is empty, Kafka's mark is the new epoch's.
    expect([renewed.journal.head, renewed.journal.oldest, renewed.journal.kafkaAcked]).toEqual([0, 1, 0]);
    expect(renewed.journal.read(1, 100, 100)).toEqual([]);
    expect(renewed.publisher.snapshot()).toEqual({ seq: 0, state: {} });
    await expectNewEpochGoesOn(renewed, file);
  });

  it('records no boot where the OS gives no boot id (every commit is then fsynced), and keeps its epoch across a crash', async () => {
    const file = join(tempDir(), 'paper-stream.db');
    const journal = await StreamJournal.open(file, { boot: null });
    const publisher = new StreamPublisher({ journal, clock: systemClock, logger: memoryLogger().logger, metrics: createStreamMetrics(new Registry()) });
    publisher.publish('t.0', 1);
    await publisher.flush();
    expect(meta(file)['boot']).toBeUndefined();
    await crash(journal);
    const again = await StreamJournal.open(file, { boot: null });
    expect([again.epoch, again.head, again.renewedBecause]).toEqual([journal.epoch, 1, undefined]);
    await again.close();
  });

  it('keeps the epoch of a journal closed cleanly before a reboot: every commit was synced before the clean mark', async () => {
    const file = join(tempDir(), 'paper-stream.db');
    const first = await published(file, 10);
    await first.journal.close();
    writtenInAnotherBoot(file);
    const again = await open(file);
    expect([again.journal.epoch, again.journal.head, again.journal.renewedBecause]).toEqual([first.journal.epoch, 10, undefined]);
    expect(again.publisher.snapshot().state).toEqual({ 't.0': 8, 't.1': 9 });
    await again.journal.close();
  });
});

describe('stream journal checkpoints, off the commit path', () => {
  /** The rows the database file holds by itself (a copy without its WAL): what a checkpoint has copied. */
  function rowsInDatabaseFile(file: string): number {
    const copy = join(tempDir(), 'copy.db');
    copyFileSync(file, copy);
    const db = new BetterSqlite3(copy);
    try {
      // Not even the table, before the first checkpoint: it was created in the WAL too.
      if (db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'stream_journal'").get() === undefined) return 0;
      return (db.prepare('SELECT COUNT(*) AS n FROM stream_journal').get() as { n: number }).n;
    } finally {
      db.close();
    }
  }

  it('copies commits into the database file on the checkpointer’s thread, long before the WAL reaches SQLite’s own 1,000-page trigger', async () => {
    const file = join(tempDir(), 'paper-stream.db');
    const journal = await StreamJournal.open(file, { checkpointIntervalMs: 50 });
    const publisher = new StreamPublisher({ journal, clock: systemClock, logger: memoryLogger().logger, metrics: createStreamMetrics(new Registry()) });
    for (let i = 0; i < 50; i++) publisher.publish(`t.${i % 2}`, i);
    await publisher.flush();
    const checkpoint = await journal.nextCheckpoint();
    expect(checkpoint.walPages).toBeLessThan(1_000);
    expect(checkpoint.copiedPages).toBeGreaterThan(0);
    expect(rowsInDatabaseFile(file)).toBe(50);
    expect(journal.checkpointerFailure).toBeUndefined();
    await journal.close();
  });

  it('never checkpoints inside a commit: with the checkpointer far apart, a WAL past 1,000 pages stays uncopied', async () => {
    const file = join(tempDir(), 'paper-stream.db');
    const journal = await StreamJournal.open(file, { checkpointIntervalMs: 3_600_000 });
    const publisher = new StreamPublisher({ journal, clock: systemClock, logger: memoryLogger().logger, metrics: createStreamMetrics(new Registry()) });
    // About 6 MB of frames: SQLite's default trigger (1,000 pages of 4 KiB) would have checkpointed inside a commit.
    const payload = 'x'.repeat(2_000);
    for (let i = 0; i < 3_000; i++) publisher.publish(`t.${i % 2}`, { i, payload });
    await publisher.flush();
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(1_000 * 4_096);
    expect(rowsInDatabaseFile(file)).toBe(0);
    await journal.close();
    // Closing checkpoints everything, with a fsync, before the clean mark.
    expect(rowsInDatabaseFile(file)).toBe(3_000);
  });
});
