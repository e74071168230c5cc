// The Kafka outbox's worker thread: reads the journal on a read-only connection of its own (WAL lets
// it read beside the journal's writer) and runs the send loop with kafkajs, so that building produce
// requests never costs the main event loop. A thin adapter: the loop is outbox-loop.ts, the protocol
// outbox-protocol.ts, and the main-thread side KafkaOutbox (outbox.ts), which starts this file.
import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { createRecordLogger } from '../../ops';
import type { JournalRow } from '../journal';
import { OutboxLoop } from './outbox-loop';
import type { FromOutboxWorker, OutboxWorkerData, ToOutboxWorker } from './outbox-protocol';

const port = parentPort;
if (!port) throw new Error('outbox-worker.ts runs as a worker thread (KafkaOutbox starts it)');
const data = workerData as OutboxWorkerData;
const post = (m: FromOutboxWorker): void => port.postMessage(m);

const db = new BetterSqlite3(data.file, { readonly: true, fileMustExist: true });
const readRange = db.prepare<[number, number, number], JournalRow>('SELECT seq, ts, topic, frame FROM stream_journal WHERE seq >= ? AND seq <= ? ORDER BY seq LIMIT ?');
const loop = new OutboxLoop({
  ...data.tuning,
  read: (from, to, limit) => readRange.all(from, to, limit),
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
