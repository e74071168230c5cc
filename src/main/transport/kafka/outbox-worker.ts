// The Kafka outbox's worker thread: reads the journal on a read-only connection of its own (WAL lets
// it read beside the journal's writer) and runs the send loop with kafkajs, so that building produce
// requests never costs the main event loop. A thin adapter: the loop is outbox-loop.ts, the protocol
// outbox-protocol.ts, and the main-thread side KafkaOutbox (outbox.ts), which starts this file.
import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { createRecordLogger } from '../../ops';
import { OutboxLoop } from './outbox-loop';
import type { FromOutboxWorker, OutboxWorkerData, ToOutboxWorker } from './outbox-protocol';

const port = parentPort;
if (!port) throw new Error('outbox-worker.ts runs as a worker thread (KafkaOutbox starts it)');
const data = workerData as OutboxWorkerData;
const post = (m: FromOutboxWorker): void => port.postMessage(m);

const db = new BetterSqlite3(data.file, { readonly: true, fileMustExist: true });
// A run in one row: SQLite concatenates the frames (one Buffer, not an object and a Buffer per message:
// about 5x faster). The bare ts is the max(seq) row's (SQLite's rule for one max() aggregate); the
// journal's seqs have no holes after its oldest, so first = last - count + 1. CAST keeps the bytes a blob.
// The ORDER BY inside group_concat is what makes the order guaranteed (without it SQLite leaves it
// unspecified); it costs a sort, and still reads about 2x faster than a row per message.
// (ts is the row of max(seq)'s: SQLite takes a bare column from the row a lone max() picked.)
const readRun = db.prepare<[number, number, number], { count: number; first: number | null; last: number | null; ts: number; frames: Buffer }>(
  `SELECT count(*) AS count, min(seq) AS first, max(seq) AS last, ts, CAST(group_concat(frame, '' ORDER BY seq) AS BLOB) AS frames
   FROM (SELECT seq, ts, frame FROM stream_journal WHERE seq >= ? AND seq <= ? ORDER BY seq LIMIT ?)`,
);
const loop = new OutboxLoop({
  ...data.tuning,
  read: (from, to, limit) => {
    const run = readRun.get(from, to, limit);
    if (!run || run.first === null || run.last === null || run.count === 0) return undefined;
    // Pruning only ever cuts the oldest rows, so a run has no hole; were it otherwise, a record would misname its frames.
    if (run.last - run.first + 1 !== run.count) throw new Error(`the stream journal has a hole between seq ${run.first} and ${run.last}`);
    return { first: run.first, last: run.last, ts: run.ts, frames: run.frames };
  },
  epoch: data.epoch,
  acked: data.acked,
  head: data.head,
  settings: data.settings,
  logger: createRecordLogger(data.logLevel, (record) => post({ type: 'log', record })),
  emit: post,
});

port.on('message', (m: ToOutboxWorker) => {
  if (m.type === 'head') {
    loop.setHead(m.head);
    return;
  }
  void loop.stop().then(() => {
    db.close();
    post({ type: 'stopped' });
  });
});
loop.start();
