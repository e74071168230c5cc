// The stream journal: every message with its sequence number, in a SQLite file of its own per trading
// mode (so its commits never contend with the order store's). Writes go through a worker thread;
// reads (replays, the Kafka outbox, the snapshot) use a read-only connection on the calling thread.
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import type { DataFrame } from '../../shared/stream';
import { bootIdentity } from './boot';
import { journalCheckpointer, type CheckpointerData, type CheckpointerReport } from './journal-checkpointer';
import { journalWorker, type JournalBatch, type JournalCommand, type JournalReply, type JournalRow, type JournalWorkerData } from './journal-worker';

export type { JournalBatch, JournalRow };

/** A sealed batch of frames (DataFrameBatch.seal) as the journal's writer takes it. */
export function journalBatch(frames: readonly DataFrame[], sealed: { readonly message: Uint8Array; readonly offsets: Uint32Array }): JournalBatch {
  const ts = new Float64Array(frames.length);
  const topicOf = new Uint32Array(frames.length);
  const index = new Map<string, number>();
  frames.forEach((f, i) => {
    ts[i] = f.ts;
    let t = index.get(f.topic);
    if (t === undefined) index.set(f.topic, (t = index.size));
    topicOf[i] = t;
  });
  return { first: frames[0]?.seq ?? 0, ts, topics: [...index.keys()], topicOf, bytes: sealed.message, offsets: sealed.offsets };
}

/** Tuning of the journal's checkpointer (journal-checkpointer.ts). */
export interface JournalOptions {
  /** Between checkpoints (default 1,000 ms). */
  readonly checkpointIntervalMs?: number;
  /** WAL pages beyond which a checkpoint waits for the writer (default 16,384). */
  readonly restartAbovePages?: number;
  /** This machine's boot id (default: bootIdentity()); null: none, so every commit is fsynced. */
  readonly boot?: string | null;
}

/** A checkpoint the checkpointer finished: WAL pages it found, pages it copied into the database file. */
export interface JournalCheckpoint {
  readonly walPages: number;
  readonly copiedPages: number;
  readonly ms: number;
  readonly restarted: boolean;
}

export class JournalError extends Error {
  override readonly name = 'JournalError';
}

interface Waiter {
  readonly resolve: (reply: JournalReply) => void;
  readonly reject: (err: Error) => void;
}

export class StreamJournal {
  private nextId = 1;
  private readonly waiters = new Map<number, Waiter>();
  private headValue: number;
  private oldestValue: number;
  private ackedValue: number;
  private failure: string | undefined;
  private checkpointer: Worker | undefined;
  private checkpointFailure: string | undefined;
  private checkpointWaiters: { resolve: (c: JournalCheckpoint) => void; reject: (err: Error) => void }[] = [];
  private readonly readRange;
  private readonly readLatest;

  private constructor(
    private readonly worker: Worker,
    private readonly reader: BetterSqlite3.Database,
    readonly file: string,
    /** A random id created with the journal: a new file is a new epoch. */
    readonly epoch: string,
    private readonly ready: Extract<JournalReply, { type: 'ready' }>,
  ) {
    this.headValue = ready.head;
    this.oldestValue = ready.oldest;
    this.ackedValue = ready.kafkaAcked;
    this.readRange = reader.prepare<[number, number, number], JournalRow>('SELECT seq, ts, topic, frame FROM stream_journal WHERE seq >= ? AND seq <= ? ORDER BY seq LIMIT ?');
    this.readLatest = reader.prepare<[], JournalRow>(
      'SELECT j.seq, j.ts, j.topic, j.frame FROM stream_journal j JOIN (SELECT topic, MAX(seq) AS seq FROM stream_journal GROUP BY topic) l ON j.seq = l.seq',
    );
    worker.on('message', (m: JournalReply) => this.onReply(m));
    worker.on('error', (err) => this.fail(`journal writer crashed: ${err.message}`));
    worker.on('exit', (code) => {
      if (code !== 0) this.fail(`journal writer exited with code ${code}`);
    });
  }

  /** Starts the checkpointer thread; if it ever fails, the writer checkpoints inside its commits again (slower, never unbounded). */
  private startCheckpointer(sqlite: string, options: JournalOptions): void {
    const data: CheckpointerData = { file: this.file, sqlite, intervalMs: options.checkpointIntervalMs ?? 1_000, restartAbovePages: options.restartAbovePages ?? 16_384 };
    const checkpointer = new Worker(`var __name = (f) => f;\n(${journalCheckpointer.toString()})()`, { eval: true, workerData: data });
    // It never keeps a process alive: close() stops it, and a process exiting without close loses nothing (the OS holds the WAL).
    checkpointer.unref();
    this.checkpointer = checkpointer;
    const gone = (why: string) => {
      if (this.checkpointer !== checkpointer) return;
      this.checkpointer = undefined;
      this.checkpointFailure = why;
      this.post({ type: 'checkpoint-inline' });
      this.settleCheckpointWaiters(new JournalError(`no more checkpoints on their own thread: ${why}`));
    };
    checkpointer.on('message', (m: CheckpointerReport) => {
      if (m.type === 'fatal') {
        gone(m.message);
        return;
      }
      const waiters = this.checkpointWaiters;
      this.checkpointWaiters = [];
      for (const w of waiters) w.resolve(m);
    });
    checkpointer.on('error', (err) => gone(`journal checkpointer crashed: ${err.message}`));
    checkpointer.on('exit', (code) => gone(`journal checkpointer exited with code ${code}`));
  }

  /** Why checkpoints moved back into the writer's commits (the checkpointer failed); undefined while it runs. */
  get checkpointerFailure(): string | undefined {
    return this.checkpointFailure;
  }

  /** Resolves with the checkpointer's next checkpoint that copied pages (or restarted the WAL); rejects once there will be none. */
  nextCheckpoint(): Promise<JournalCheckpoint> {
    if (!this.checkpointer) return Promise.reject(new JournalError(`no checkpointer: ${this.checkpointFailure ?? 'the journal is closed'}`));
    return new Promise((resolve, reject) => this.checkpointWaiters.push({ resolve, reject }));
  }

  private settleCheckpointWaiters(err: Error): void {
    const waiters = this.checkpointWaiters;
    this.checkpointWaiters = [];
    for (const w of waiters) w.reject(err);
  }

  /** Opens (creating if needed) the journal in `file`. */
  static async open(file: string, options: JournalOptions = {}): Promise<StreamJournal> {
    const data: JournalWorkerData = {
      file,
      sqlite: createRequire(import.meta.url).resolve('better-sqlite3'),
      newEpoch: randomBytes(9).toString('base64url'),
      boot: options.boot === undefined ? bootIdentity() : (options.boot ?? undefined),
    };
    // Dev loaders (tsx, esbuild keepNames) wrap functions in __name(), which the worker's fresh scope lacks.
    const worker = new Worker(`var __name = (f) => f;\n(${journalWorker.toString()})()`, { eval: true, workerData: data });
    const ready = await new Promise<Extract<JournalReply, { type: 'ready' }>>((resolve, reject) => {
      worker.once('message', (m: JournalReply) => {
        if (m.type === 'ready') resolve(m);
        else reject(new JournalError(m.type === 'fatal' ? m.message : `unexpected ${m.type}`));
      });
      worker.once('error', reject);
    }).catch(async (err: unknown) => {
      await worker.terminate();
      throw new JournalError(`cannot open the stream journal ${file}: ${(err as Error).message}`);
    });
    let reader: BetterSqlite3.Database;
    try {
      reader = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
    } catch (err) {
      // The writer is running by now: a journal that cannot be read must not leave it behind.
      await worker.terminate();
      throw new JournalError(`cannot read the stream journal ${file}: ${(err as Error).message}`);
    }
    const journal = new StreamJournal(worker, reader, file, ready.epoch, ready);
    journal.startCheckpointer(data.sqlite, options);
    return journal;
  }

  /** The last committed seq (0 for a new journal); kept apart from the rows, so pruning never moves it back. */
  get head(): number {
    return this.headValue;
  }

  /** Why this open started a new epoch on a file that had one (undefined when it went on, or the file is new). */
  get renewedBecause(): string | undefined {
    return this.ready.renewedBecause;
  }

  /** The first seq still in the journal (head + 1 when retention has emptied it). */
  get oldest(): number {
    return this.oldestValue;
  }

  get kafkaAcked(): number {
    return this.ackedValue;
  }

  /** Why the journal can no longer be written, once it cannot. */
  get failed(): string | undefined {
    return this.failure;
  }

  /** Commits a batch (consecutive seqs after head); resolves with the new head. Durable against a process crash at once, against an OS crash once closed (see docs/RELIABILITY.md). */
  async append(batch: JournalBatch): Promise<number> {
    if (batch.ts.length === 0) return this.headValue;
    const reply = await this.call({ type: 'append', id: this.nextId++, batch });
    if (reply.type !== 'committed') throw new JournalError(`journal append failed: ${reply.type === 'failed' ? reply.message : reply.type}`);
    this.headValue = reply.through;
    return reply.through;
  }

  /** Committed rows with from ≤ seq ≤ to, at most `limit`. */
  read(from: number, to: number, limit: number): JournalRow[] {
    return this.readRange.all(from, to, limit);
  }

  /** The latest row of every topic (to rebuild the snapshot state). */
  latestPerTopic(): JournalRow[] {
    return this.readLatest.all();
  }

  /** Records the highest seq Kafka acknowledged (written with the next commits). */
  setKafkaAcked(seq: number): void {
    if (seq <= this.ackedValue) return;
    this.ackedValue = seq;
    this.post({ type: 'acked', seq });
  }

  /** Drops what is older than `maxAgeMs` or beyond `maxCount`, but never from `keepFrom` on (Kafka's unacknowledged tail). */
  async prune(now: number, maxAgeMs: number, maxCount: number, keepFrom = Number.MAX_SAFE_INTEGER): Promise<number> {
    const reply = await this.call({ type: 'prune', id: this.nextId++, beforeTs: now - maxAgeMs, keepAtMost: maxCount, keepFrom });
    if (reply.type !== 'pruned') throw new JournalError(reply.type === 'failed' ? reply.message : `unexpected ${reply.type}`);
    this.oldestValue = reply.oldest;
    return reply.removed;
  }

  async close(): Promise<void> {
    // Stopped first: the writer's closing checkpoint must not wait behind one of its.
    const checkpointer = this.checkpointer;
    this.checkpointer = undefined;
    this.settleCheckpointWaiters(new JournalError('the journal is closed'));
    await checkpointer?.terminate();
    if (!this.failure) {
      try {
        await this.call({ type: 'close', id: this.nextId++ });
      } catch {
        // closing anyway
      }
    }
    this.reader.close();
    await this.worker.terminate();
  }

  private call(command: Extract<JournalCommand, { id: number }>): Promise<JournalReply> {
    if (this.failure) return Promise.reject(new JournalError(this.failure));
    return new Promise((resolve, reject) => {
      this.waiters.set(command.id, { resolve, reject });
      this.post(command);
    });
  }

  private post(command: JournalCommand): void {
    if (!this.failure) this.worker.postMessage(command);
  }

  private onReply(m: JournalReply): void {
    if (m.type === 'fatal') {
      this.fail(m.message);
      return;
    }
    if (m.type === 'ready') return;
    const waiter = this.waiters.get(m.id);
    this.waiters.delete(m.id);
    waiter?.resolve(m);
  }

  private fail(message: string): void {
    if (this.failure) return;
    this.failure = message;
    for (const w of this.waiters.values()) w.reject(new JournalError(message));
    this.waiters.clear();
  }
}
