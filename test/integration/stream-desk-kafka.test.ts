// The desk with Kafka configured: each trading mode copies its stream to its own topic, and readiness
// and /metrics show the backup channel's state, backlog and lag; without a reachable broker the desk
// still starts and trades (Kafka is optional), and says why the backup is down.
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { freePort } from '../../scripts/kafka/broker';
import { startStreamDesk } from '../support/stream';
import { until } from '../support/wait';
import { readTopic, seqsOf } from '../support/kafka';

const brokers = inject('kafkaBrokers');
const seqs = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('desk with Kafka', () => {
  it('copies each mode’s stream to its own topic, and reports the backup in readiness and metrics', async () => {
    const topic = `desk-${randomUUID()}`;
    const s = await startStreamDesk({ kafka: { brokers, topic } });
    const paper = s.desk.stream!.publisher;
    for (let i = 0; i < 1_000; i++) paper.publish(`md.quote.S${i % 3}`, { i });
    await paper.flush();
    // The desk's own messages (its trading state) are in the stream too.
    const paperHead = paper.head;
    await until(() => s.desk.stream!.journal.kafkaAcked === paperHead, 'Kafka acknowledging the paper stream', 30_000);
    const ready = await s.desk.readiness();
    expect(ready.dependencies['kafka']).toEqual({ ok: true, detail: `${brokers.join(',')} topic ${topic}.paper: backlog 0 messages, lag 0.0 s` });
    const metrics = await s.desk.metrics.metrics();
    expect(metrics).toMatch(/^dualdesk_kafka_backlog_messages 0$/m);
    expect(metrics).toMatch(new RegExp(`^dualdesk_kafka_acked_seq ${paperHead}$`, 'm'));

    await s.desk.switchMode('live');
    const live = s.desk.stream!.publisher;
    for (let i = 0; i < 10; i++) live.publish('venue.status', { i });
    await live.flush();
    const liveHead = live.head;
    await until(() => s.desk.stream!.journal.kafkaAcked === liveHead, 'Kafka acknowledging the live stream', 30_000);
    expect(seqsOf(await readTopic({ brokers }, `${topic}.live`))).toEqual(seqs(liveHead));
    expect(seqsOf(await readTopic({ brokers }, `${topic}.paper`))).toEqual(seqs(paperHead));
    expect((await s.desk.readiness()).dependencies['kafka']?.detail).toContain(`topic ${topic}.live`);
  });

  it('starts and is ready without a reachable broker; readiness says the backup is down and the journal keeps the backlog', async () => {
    const s = await startStreamDesk({ demo: true, kafka: { brokers: [`127.0.0.1:${await freePort()}`], connectionTimeoutMs: 500 } });
    await until(() => s.desk.venue?.status().synced === true, 'the demo venue in sync');
    const report = await s.desk.readiness();
    expect(report.ready).toBe(true);
    // The venue's own messages (status, account, positions) wait in the journal for Kafka.
    expect(report.dependencies['kafka']).toMatchObject({
      ok: false,
      reason: expect.stringMatching(
        /^(connecting to|down:) 127\.0\.0\.1:\d+ topic dualdesk\.stream\.paper( \(.+\))?; backlog [1-9]\d* messages?, lag \d+\.\d s, kept in the journal$/,
      ) as unknown,
    });
    expect(s.desk.stream!.journal.kafkaAcked).toBe(0);
  });

  it('says Kafka is not configured when it is not, and shows the stream itself', async () => {
    const s = await startStreamDesk();
    const report = await s.desk.readiness();
    expect(report.dependencies['kafka']).toEqual({ ok: true, detail: 'not configured: the stream runs on the WebSocket and the journal alone' });
    expect(report.dependencies['stream']).toEqual({
      ok: true,
      detail: `epoch ${s.desk.stream!.publisher.epoch}, head ${s.desk.stream!.publisher.head}; 0 WebSocket subscriber(s), 0 catching up`,
    });
  });
});
