// The journal's writer, on its own thread: a SQLite commit of thousands of rows takes milliseconds
// (tens with an fsync), and the trading path's event loop must never wait for one.
//
// This function is started with `new Worker(String(journalWorker), { eval: true })`, so it must be
// self-contained: everything it uses is loaded or defined inside it (type imports are erased). It
// never names `require`, which bundlers rewrite: builtins come from process.getBuiltinModule.
import type BetterSqlite3 from 'better-sqlite3';

/** Messages from the main thread. */
export type JournalCommand =
  | { readonly type: 'append'; readonly id: number; readonly batch: JournalBatch }
  | { readonly type: 'acked'; readonly seq: number }
  /** The checkpointer thread is gone: the writer checkpoints by itself again (inside commits, as SQLite does by default). */
  | { readonly type: 'checkpoint-inline' }
  | { readonly type: 'prune'; readonly id: number; readonly beforeTs: number; readonly keepAtMost: number; readonly keepFrom: number }
  | { readonly type: 'close'; readonly id: number };

/** Messages to the main thread. */
export type JournalReply =
  | { readonly type: 'ready'; readonly epoch: string; readonly head: number; readonly oldest: number; readonly kafkaAcked: number; readonly renewedBecause?: string }
  | { readonly type: 'committed'; readonly id: number; readonly through: number }
  | { readonly type: 'pruned'; readonly id: number; readonly removed: number; readonly oldest: number }
  | { readonly type: 'closed'; readonly id: number }
  | { readonly type: 'failed'; readonly id: number; readonly message: string }
  | { readonly type: 'fatal'; readonly message: string };

export interface JournalRow {
  readonly seq: number;
  readonly ts: number;
  readonly topic: string;
  /** The msgpack data frame, encoded once. */
  readonly frame: Uint8Array;
}

/**
 * Consecutive messages from `first` on, as the publisher encoded them: message i is seq first + i,
 * its topic topics[topicOf[i]], its frame bytes[offsets[i]..offsets[i + 1]) (typed arrays and each
 * topic once cross to the thread, not a row object and a string per message).
 */
export interface JournalBatch {
  readonly first: number;
  readonly ts: Float64Array;
  readonly topics: readonly string[];
  readonly topicOf: Uint32Array;
  readonly bytes: Uint8Array;
  readonly offsets: Uint32Array;
}

export interface JournalWorkerData {
  readonly file: string;
  /** The resolved path of better-sqlite3 (an eval'd worker resolves modules from the working directory). */
  readonly sqlite: string;
  /** The epoch to record if the journal is new. */
  readonly newEpoch: string;
  /** This machine's boot (see bootIdentity): commits are fsynced only at checkpoints and at close, so an OS crash can lose the last ones. Undefined where no boot id can be read: every commit is then fsynced. */
  readonly boot: string | undefined;
}

export function journalWorker(): void {
  const threads = process.getBuiltinModule('node:worker_threads');
  const { chmodSync } = process.getBuiltinModule('node:fs');
  const { createRequire } = process.getBuiltinModule('node:module');
  const data = threads.workerData as JournalWorkerData;
  const port = threads.parentPort as NonNullable<typeof threads.parentPort>;
  const reply = (m: JournalReply) => port.postMessage(m);
  try {
    const Database = createRequire(data.sqlite)(data.sqlite) as typeof BetterSqlite3;
    const db = new Database(data.file);
    chmodSync(data.file, 0o600);
    db.pragma('journal_mode = WAL');
    // The marks written at open are fsynced (FULL); the commits after them are not (NORMAL, set below).
    db.pragma('synchronous = FULL');
    db.exec(`CREATE TABLE IF NOT EXISTS stream_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
             CREATE TABLE IF NOT EXISTS stream_journal (
               seq   INTEGER PRIMARY KEY,
               ts    INTEGER NOT NULL,
               topic TEXT NOT NULL,
               frame BLOB NOT NULL
             ) STRICT;
             CREATE INDEX IF NOT EXISTS stream_journal_by_ts ON stream_journal (ts);`);
    const getMeta = db.prepare<[string], { value: string }>('SELECT value FROM stream_meta WHERE key = ?');
    const putMeta = db.prepare('INSERT INTO stream_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    const bounds = db.prepare<[], { head: number | null; oldest: number | null }>('SELECT MAX(seq) AS head, MIN(seq) AS oldest FROM stream_journal');
    const insert = db.prepare('INSERT INTO stream_journal (seq, ts, topic, frame) VALUES (?, ?, ?, ?)');
    let epoch = getMeta.get('epoch')?.value;
    const headMark = getMeta.get('head')?.value;
    let acked = Number(getMeta.get('kafka_acked')?.value ?? 0);
    const rowBounds = bounds.get();
    // A file of a release before the head mark, pruned empty: its last seq is known nowhere (Kafka's
    // mark trails it whenever Kafka was off or behind), so going on in its epoch could issue numbers again.
    let renewedBecause: string | undefined;
    if (epoch !== undefined && headMark === undefined && (rowBounds?.head ?? null) === null) {
      renewedBecause = `epoch ${epoch} has no head mark (written by an earlier release) and no rows (retention emptied it): its last seq is unknown, so a new epoch starts rather than issue its numbers again`;
      epoch = undefined;
      acked = 0;
      putMeta.run('kafka_acked', '0');
    }
    // Commits are not fsynced (see below): an OS crash or power loss can take the last ones, whose
    // numbers were already sent. A journal last written in another boot and never closed cleanly may
    // have lost them, so its epoch ends here (a process crash loses nothing: the OS holds the WAL).
    const lastBoot = getMeta.get('boot')?.value;
    if (epoch !== undefined && lastBoot !== undefined && lastBoot !== data.boot && getMeta.get('clean')?.value !== '1') {
      renewedBecause = `epoch ${epoch} was last written in another boot of this machine and not closed cleanly: its last commits may have been lost with the OS, so a new epoch starts rather than issue their numbers again`;
      epoch = undefined;
      acked = 0;
      db.exec('DELETE FROM stream_journal');
      putMeta.run('head', '0');
      putMeta.run('kafka_acked', '0');
    }
    if (epoch === undefined) {
      epoch = data.newEpoch;
      putMeta.run('epoch', epoch);
    }
    // The sequence's high-water mark lives in stream_meta, which retention never touches: a journal
    // pruned empty still knows its head. A file written before the mark existed (or by a release that
    // reissued numbers) takes the highest of its rows and of Kafka's mark, so it never moves back.
    let head = renewedBecause === undefined ? Math.max(Number(headMark ?? 0), rowBounds?.head ?? 0, acked) : 0;
    putMeta.run('head', String(head));
    // Written with a fsync before any commit: whatever an OS crash takes later, the next open knows
    // this boot wrote here and did not finish cleanly.
    putMeta.run('clean', '0');
    if (data.boot === undefined) {
      // Without a boot id a reboot cannot be told from a process crash: every commit stays fsynced.
      db.prepare("DELETE FROM stream_meta WHERE key = 'boot'").run();
    } else {
      putMeta.run('boot', data.boot);
      // No fsync per commit: a group commit costs a write to the OS, not a wait for the disk.
      db.pragma('synchronous = NORMAL');
    }
    // Checkpoints run on the checkpointer's thread (journal-checkpointer.ts), never inside a commit.
    db.pragma('wal_autocheckpoint = 0');
    // A WAL grown by a burst is cut back to this when it starts over (it is reused, not shrunk, otherwise).
    db.pragma('journal_size_limit = 67108864');
    const append = db.transaction((b: JournalBatch) => {
      // Consecutive after the head, or nothing: a number is never issued twice nor skipped.
      if (b.first !== head + 1) throw new Error(`rows must start at seq ${head + 1}, not ${b.first}`);
      const n = b.ts.length;
      for (let i = 0; i < n; i++) insert.run(b.first + i, b.ts[i], b.topics[b.topicOf[i] as number], b.bytes.subarray(b.offsets[i], b.offsets[i + 1]));
      const last = b.first + n - 1;
      putMeta.run('head', String(last));
      return last;
    });
    const firstAtOrAfter = db.prepare<[number], { seq: number }>('SELECT seq FROM stream_journal WHERE ts >= ? ORDER BY ts LIMIT 1');
    const deleteBefore = db.prepare('DELETE FROM stream_journal WHERE seq < ?');
    /** The first seq still held; an empty journal holds from its next seq on. */
    const oldest = () => bounds.get()?.oldest ?? head + 1;
    reply({ type: 'ready', epoch, head, oldest: oldest(), kafkaAcked: acked, ...(renewedBecause === undefined ? {} : { renewedBecause }) });

    port.on('message', (m: JournalCommand) => {
      try {
        switch (m.type) {
          case 'append': {
            head = append(m.batch);
            reply({ type: 'committed', id: m.id, through: head });
            return;
          }
          case 'checkpoint-inline':
            db.pragma('wal_autocheckpoint = 1000');
            return;
          case 'acked':
            if (m.seq > acked) {
              acked = m.seq;
              putMeta.run('kafka_acked', String(acked));
            }
            return;
          case 'prune': {
            // Keep: everything newer than beforeTs, at most keepAtMost messages, and never what Kafka still needs (keepFrom).
            const byAge = firstAtOrAfter.get(m.beforeTs)?.seq ?? head + 1;
            const byCount = head - m.keepAtMost + 1;
            const cut = Math.min(Math.max(byAge, byCount), m.keepFrom);
            const removed = cut > 0 ? deleteBefore.run(cut).changes : 0;
            reply({ type: 'pruned', id: m.id, removed, oldest: oldest() });
            return;
          }
          case 'close':
            // Everything on disk (a checkpoint syncs the WAL and the file), then the clean mark with a
            // fsync of its own: a later boot that finds it knows no commit was lost.
            db.pragma('wal_checkpoint(TRUNCATE)');
            db.pragma('synchronous = FULL');
            putMeta.run('clean', '1');
            db.close();
            reply({ type: 'closed', id: m.id });
            return;
        }
      } catch (err) {
        reply({ type: 'failed', id: 'id' in m ? m.id : -1, message: err instanceof Error ? err.message : String(err) });
      }
    });
  } catch (err) {
    reply({ type: 'fatal', message: err instanceof Error ? err.message : String(err) });
  }
}
