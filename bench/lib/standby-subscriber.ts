// The standby-cost benchmark's subscriber, in its own process so that its CPU time is its own: a
// HybridSubscriber with a Kafka hot standby, or without a backup (the WebSocket alone). Driven over
// the IPC channel by StandbyChild (./standby-rig.ts); it checks that it delivers every seq once, in order.
import { HybridSubscriber, KafkaStreamReader, type KafkaSettings } from '../../src/main/transport';
import { pollUntil, silent } from './stream-rig';

export type StandbyCommand =
  | { readonly type: 'start'; readonly url: string; readonly token: string; readonly kafka: KafkaSettings | undefined }
  | { readonly type: 'mark' }
  | { readonly type: 'report' }
  | { readonly type: 'stop' };

export interface StandbyReport {
  readonly type: 'report';
  /** CPU time (user + system) over wall time since the mark, in percent of one core. */
  readonly cpuPercent: number;
  /** Bytes of broker answers to the Kafka consumer per second since the mark (0 without a backup). */
  readonly kafkaBytesPerSecond: number;
  readonly delivered: number;
  readonly violations: number;
  readonly lastSeq: number;
}

export type StandbyReply = { readonly type: 'ready' } | { readonly type: 'marked' } | StandbyReport;

let subscriber: HybridSubscriber | undefined;
let reader: KafkaStreamReader | undefined;
let expected = -1;
let violations = 0;
let delivered = 0;
let mark = { at: 0, cpu: process.cpuUsage(), bytes: 0, delivered: 0 };

const send = (reply: StandbyReply) => process.send?.(reply);
const bytesRead = () => reader?.status().bytesRead ?? 0;

process.on('message', (m: StandbyCommand) => {
  void (async () => {
    if (m.type === 'start') {
      reader = m.kafka ? new KafkaStreamReader({ settings: m.kafka, logger: silent }) : undefined;
      subscriber = new HybridSubscriber({
        url: m.url,
        token: m.token,
        logger: silent,
        ...(reader ? { backup: reader } : {}),
        onSnapshot: (s) => {
          if (expected < 0) expected = s.seq + 1;
          else violations++;
        },
        onMessage: (f) => {
          if (f.seq !== expected) violations++;
          expected = f.seq + 1;
          delivered++;
        },
      });
      await subscriber.start();
      await pollUntil(() => expected >= 0 && (reader === undefined || reader.status().state === 'reading'), 'the snapshot and the standby', 30_000, 5);
      send({ type: 'ready' });
    } else if (m.type === 'mark') {
      mark = { at: performance.now(), cpu: process.cpuUsage(), bytes: bytesRead(), delivered };
      send({ type: 'marked' });
    } else if (m.type === 'report') {
      const seconds = (performance.now() - mark.at) / 1000;
      const cpu = process.cpuUsage(mark.cpu);
      send({
        type: 'report',
        cpuPercent: ((cpu.user + cpu.system) / 1e6 / seconds) * 100,
        kafkaBytesPerSecond: (bytesRead() - mark.bytes) / seconds,
        delivered: delivered - mark.delivered,
        violations,
        lastSeq: expected - 1,
      });
    } else {
      await subscriber?.stop();
      process.exit(0);
    }
  })();
});
