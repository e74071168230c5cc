// The journal's checkpointer, on a thread of its own: copying the WAL into the database file (and its
// fsync, the only one a commit under synchronous=NORMAL waits for) takes tens of milliseconds, and a
// checkpoint run inside a commit holds every message behind it that long. Here it runs beside the
// writer (PASSIVE: it never blocks a commit); only a WAL that passive runs cannot bound is restarted.
//
// Started like the writer (journal-worker.ts): `new Worker(String(journalCheckpointer), { eval: true })`,
// so it is self-contained and never names `require`.
import type BetterSqlite3 from 'better-sqlite3';

export interface CheckpointerData {
  readonly file: string;
  /** The resolved path of better-sqlite3. */
  readonly sqlite: string;
  /** Between checkpoints (default 1 s): what an OS crash can take at most is this much of the stream. */
  readonly intervalMs: number;
  /** A WAL of more pages than this that three passive runs in a row could not copy whole (the writer never paused) is restarted, waiting for the writer (default 16,384: 64 MiB). */
  readonly restartAbovePages: number;
}

/** Messages to the main thread. */
export type CheckpointerReport =
  | { readonly type: 'checkpoint'; readonly walPages: number; readonly copiedPages: number; readonly ms: number; readonly restarted: boolean }
  | { readonly type: 'fatal'; readonly message: string };

export function journalCheckpointer(): void {
  const threads = process.getBuiltinModule('node:worker_threads');
  const { createRequire } = process.getBuiltinModule('node:module');
  const data = threads.workerData as CheckpointerData;
  const port = threads.parentPort as NonNullable<typeof threads.parentPort>;
  const report = (m: CheckpointerReport) => port.postMessage(m);
  try {
    const Database = createRequire(data.sqlite)(data.sqlite) as typeof BetterSqlite3;
    // A short busy wait: a RESTART waiting on the writer is retried at the next interval, and close() never waits long behind it.
    const db = new Database(data.file, { fileMustExist: true, timeout: 200 });
    const run = (mode: 'PASSIVE' | 'RESTART') =>
      (db.pragma(`wal_checkpoint(${mode})`) as { busy: number; log: number; checkpointed: number }[])[0] ?? { busy: 0, log: 0, checkpointed: 0 };
    // A passive run that copies the whole WAL lets the writer start it over at its next commit; only
    // a writer that never pauses (runs that never finish) needs the restart, which makes it wait.
    let unfinished = 0;
    setInterval(() => {
      try {
        const started = performance.now();
        let r = run('PASSIVE');
        let restarted = false;
        unfinished = r.checkpointed < r.log ? unfinished + 1 : 0;
        if (r.log > data.restartAbovePages && unfinished >= 3) {
          unfinished = 0;
          r = run('RESTART');
          restarted = true;
        }
        if (r.checkpointed > 0 || restarted) report({ type: 'checkpoint', walPages: r.log, copiedPages: r.checkpointed, ms: performance.now() - started, restarted });
      } catch (err) {
        report({ type: 'fatal', message: err instanceof Error ? err.message : String(err) });
        db.close();
        process.exit(1);
      }
    }, data.intervalMs);
  } catch (err) {
    report({ type: 'fatal', message: err instanceof Error ? err.message : String(err) });
  }
}
