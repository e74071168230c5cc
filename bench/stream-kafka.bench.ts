// The stream's Kafka side, against one real single-node broker (KRaft, 127.0.0.1) started for the run:
// (1) throughput from publish to Kafka's acknowledgement (journal + outbox), beside a bare kafkajs
// producer sending one record per message (the previous format), with diagnostics for the outbox
// alone and the batch format's own ceiling; (2) failover: the WebSocket server is taken away under a
// steady flow while the subscriber's Kafka standby tails the stream, then comes back; (3) gap fill:
// 10,000 frames lost on the WebSocket, filled by whichever channel is first; (4) the publisher's
// event-loop lag at 20,000 msg/s and at the seed's peak of 50,000, with a WebSocket subscriber and the
// Kafka outbox running, beside the bare ws loop; (5) what the hot standby costs a subscriber process
// (CPU, bytes read from Kafka) at a steady rate, beside one without a backup.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { Registry } from 'prom-client';
import { encodeFrame, type DataFrame } from '../src/shared/stream';
import { createLogger } from '../src/main/ops';
import { HybridSubscriber, KafkaOutbox, KafkaStreamReader, parseKafkaSettings, RECORD_OVERHEAD, streamRecord, type JournalRow, type KafkaSettings } from '../src/main/transport';
import { ensureKafkaLibs, startKafkaBroker, type KafkaBroker } from '../scripts/kafka/broker';
import { knob, report } from './lib/report';
import { StandbyChild } from './lib/standby-rig';
import type { StandbyReport } from './lib/standby-subscriber';
import { fmt, median, quantile, table } from './lib/stats';
import {
  now,
  paced,
  pollUntil,
  publishCount,
  quote,
  silent,
  sleep,
  startBareStream,
  startDeskStream,
  steadyFlow,
  SubscriberChild,
  TOKEN,
  type BareStream,
  type DeskStream,
  type Sink,
  type SubscriberKind,
} from './lib/stream-rig';

const ROUNDS = knob('BENCH_ROUNDS', 3, 3);
// Long enough to measure the pipeline, not its start: at 30,000 the whole run lasted about as long as its warm-up.
const KAFKA_MESSAGES = knob('BENCH_KAFKA_MESSAGES', 300_000, 200_000);
/** Enough cuts for a p99 to mean something (with 10, it is the worst but one). */
const FAILOVER_ROUNDS = knob('BENCH_FAILOVER_ROUNDS', 20, 10);
/** Gap-fill rounds (each 10,000 messages lost on the WebSocket). */
const GAP_ROUNDS = knob('BENCH_GAP_ROUNDS', 10, 5);
/** Steady rates for the standby's cost, and the window measured at each. */
const STANDBY_RATES = [2_000, 20_000];
const STANDBY_WINDOW_MS = knob('BENCH_STANDBY_WINDOW_MS', 5_000, 3_000);
const FLOW_RATE = knob('BENCH_FLOW_RATE', 2_000, 2_000);
const LOST = 10_000;
/** Offered rates for the loop-lag measurement; the last is the seed's peak per connection. */
const LAG_RATES = (process.env['BENCH_LAG_RATES'] ?? '20000,50000').split(',').map(Number);
const WINDOW_MS = knob('BENCH_WINDOW_MS', 2_000, 1_000);
const KAFKA_BATCH = 1_000;
/** The outbox's default bytes per send (outbox.ts maxBatchBytes). */
const BATCH_BYTES = 512 * 1024;
/** How long the subscriber stays on Kafka, after its first message from there, before the WebSocket comes back. */
const HOLD_MS = 200;

const dir = mkdtempSync(join(tmpdir(), 'dualdesk-bench-stream-kafka-'));
const topicName = (what: string) => `bench-${what}-${randomBytes(4).toString('hex')}`;
let journals = 0;
const journalFile = () => join(dir, `stream-${++journals}.db`);

function settingsFor(broker: KafkaBroker, what: string): KafkaSettings {
  return parseKafkaSettings({ brokers: broker.brokers, topic: topicName(what) });
}

function outboxFor(desk: DeskStream, settings: KafkaSettings): KafkaOutbox {
  return new KafkaOutbox({ journal: desk.journal, onCommitted: (l) => desk.publisher.onCommitted(l), settings, logger: silent, metrics: new Registry() });
}

// --- (1) throughput to Kafka's acknowledgement ---------------------------------------------------

interface KafkaRun {
  /** Messages per second from the first publish to the journal commit of the last (DualDesk only). */
  readonly journal: number;
  /** Messages per second from the first publish (or send) to Kafka's acknowledgement of the last. */
  readonly acked: number;
}

/** The outbox alone: a backlog already committed to the journal, from the outbox connected to Kafka's acknowledgement of the last. */
async function backlogToKafka(broker: KafkaBroker): Promise<KafkaRun> {
  const desk = await startDeskStream(journalFile());
  const settings = settingsFor(broker, 'backlog');
  const warm = outboxFor(desk, settings);
  try {
    await warm.start();
    await publishCount(desk.sink, KAFKA_BATCH); // warm-up: connection, topic, first produce
    await warm.whenAcked(desk.sink.issued);
  } finally {
    await warm.stop();
  }
  await publishCount(desk.sink, KAFKA_MESSAGES);
  await desk.publisher.flush();
  const outbox = outboxFor(desk, settings);
  try {
    await outbox.start();
    const t0 = now();
    await outbox.whenAcked(desk.sink.issued);
    const t1 = now();
    return { journal: Number.NaN, acked: (KAFKA_MESSAGES / (t1 - t0)) * 1000 };
  } finally {
    await outbox.stop();
    await desk.close();
  }
}

async function deskToKafka(broker: KafkaBroker): Promise<KafkaRun> {
  const desk = await startDeskStream(journalFile());
  const outbox = outboxFor(desk, settingsFor(broker, 'outbox'));
  try {
    await outbox.start();
    await publishCount(desk.sink, KAFKA_BATCH); // warm-up: connection, topic, first produce
    await outbox.whenAcked(desk.sink.issued);
    const t0 = now();
    await publishCount(desk.sink, KAFKA_MESSAGES);
    await desk.publisher.flush();
    const tJournal = now();
    await outbox.whenAcked(desk.sink.issued);
    const t1 = now();
    if (outbox.status().acked !== desk.publisher.head) throw new Error(`the outbox acknowledged ${outbox.status().acked}, head ${desk.publisher.head}`);
    return { journal: (KAFKA_MESSAGES / (tJournal - t0)) * 1000, acked: (KAFKA_MESSAGES / (t1 - t0)) * 1000 };
  } finally {
    await outbox.stop();
    await desk.close();
  }
}

/**
 * A bare kafkajs producer. 'single': one record per message, as the previous release's outbox (value:
 * the msgpack frame; headers epoch and seq; timestamp), 1,000 per send. 'single-no-headers': the same
 * without the headers. 'batch': the stream's batch records (record.ts: 1,000 frames a record), as many
 * per send as the outbox puts (512 KiB).
 */
async function bareToKafka(broker: KafkaBroker, n = KAFKA_MESSAGES, format: 'single' | 'single-no-headers' | 'batch' = 'single'): Promise<KafkaRun> {
  const topic = topicName('bare');
  const kafka = new Kafka({ clientId: 'bench-bare', brokers: broker.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic,
        numPartitions: 1,
        configEntries: [
          { name: 'retention.ms', value: String(7 * 24 * 3_600_000) },
          { name: 'message.timestamp.type', value: 'CreateTime' },
        ],
      },
    ],
  });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: () => () => 0 });
  await producer.connect();
  const epoch = randomBytes(9).toString('base64url');
  let seq = 0;
  const row = () => {
    seq++;
    const q = quote(seq);
    const ts = Date.now();
    return { seq, ts, topic: q.topic, frame: encodeFrame({ op: 'data', epoch, seq, prev: seq - 1, ts, topic: q.topic, data: q.data }) };
  };
  /** The next send's records and how many messages they carry. */
  const batch = (): { messages: Message[]; count: number } => {
    if (format === 'batch') {
      // Records of 1,000 messages while the send stays under the outbox's byte budget.
      const messages: Message[] = [];
      let bytes = 0;
      let count = 0;
      for (;;) {
        const rows: JournalRow[] = Array.from({ length: KAFKA_BATCH }, row);
        const size = rows.reduce((n, r) => n + r.frame.byteLength, RECORD_OVERHEAD);
        if (messages.length > 0 && bytes + size > BATCH_BYTES) {
          seq -= KAFKA_BATCH; // these go first in the next send
          return { messages, count };
        }
        messages.push(streamRecord(epoch, rows));
        bytes += size;
        count += KAFKA_BATCH;
      }
    }
    const out: Message[] = [];
    for (let k = 0; k < KAFKA_BATCH; k++) {
      const { seq: s, ts, frame } = row();
      const value = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
      out.push(format === 'single' ? { partition: 0, value, timestamp: String(ts), headers: { epoch, seq: String(s) } } : { partition: 0, value, timestamp: String(ts) });
    }
    return { messages: out, count: out.length };
  };
  try {
    await producer.send({ topic, acks: -1, messages: batch().messages }); // warm-up
    // Batch records are built before the clock starts: that row is the format's produce ceiling, not
    // the frame encoder's (the outbox, too, gets its frames encoded already, from the journal).
    const prebuilt: ReturnType<typeof batch>[] = [];
    for (let built = 0; format === 'batch' && built < n; built += prebuilt.at(-1)?.count ?? 0) prebuilt.push(batch());
    const t0 = now();
    let sent = 0;
    for (let i = 0; sent < n; i++) {
      const { messages, count } = prebuilt[i] ?? batch();
      await producer.send({ topic, acks: -1, timeout: 10_000, messages });
      sent += count;
    }
    const t1 = now();
    return { journal: Number.NaN, acked: (sent / (t1 - t0)) * 1000 };
  } finally {
    await producer.disconnect();
  }
}

// --- (2) failover and (3) gap fill -----------------------------------------------------------------

interface Cut {
  /** WebSocket cut → subscriber's channel is 'kafka'. */
  readonly toKafka: number;
  /** WebSocket cut → the first message published after the cut is delivered. */
  readonly firstAfterCut: number;
  /** WebSocket back → channel 'websocket'. */
  readonly back: number;
  /** Reconnect attempts while the WebSocket was away. */
  readonly reconnects: number;
  /** Why the subscriber failed over (its own log line). */
  readonly trigger: string;
}

interface GapRound {
  readonly filled: number;
  /** Publish → the journal committed the last of them (before that no channel can have them). */
  readonly committed: number;
  /** Publish → Kafka acknowledged the last lost message (the outbox's share of the fill). */
  readonly acked: number;
  readonly viaKafka: boolean;
}

/** The subscriber's channel changes, timestamped as they happen: it logs each one synchronously as it switches. */
const SWITCH_LINES: Record<string, 'kafka' | 'websocket'> = {
  'subscriber failing over to Kafka': 'kafka',
  'subscriber back on the WebSocket': 'websocket',
};
const STANDBY_LINE = 'Kafka standby tailing the stream';

/**
 * A HybridSubscriber with a Kafka backup that checks it delivers every seq after its snapshot once and
 * in order, and records when its channel switches. The switches are taken from its log lines (written
 * synchronously where the channel changes) rather than by polling state(): state() sorts its 4,096
 * latency samples on every call (about 0.9 ms here), which polled every millisecond would eat most of
 * the event loop this process shares with the publisher, the server and the outbox.
 */
class CheckedSubscriber {
  readonly subscriber: HybridSubscriber;
  expected = -1;
  violations = 0;
  resets = 0;
  cutSeq = Number.POSITIVE_INFINITY;
  firstAfterCut: number | undefined;
  /** When seq `watchSeq` was delivered. */
  watchSeq = Number.POSITIVE_INFINITY;
  watchAt: number | undefined;
  readonly switches: { readonly at: number; readonly to: 'kafka' | 'websocket'; readonly reason: string }[] = [];
  /** When its Kafka standby started tailing. */
  standbyAt: number | undefined;
  startMs = 0;

  constructor(desk: DeskStream, settings: KafkaSettings) {
    const logger = createLogger({
      level: 'info',
      destination: {
        write: (line: string) => {
          const at = now();
          const entry = JSON.parse(line) as { msg?: string; reason?: string };
          const to = SWITCH_LINES[entry.msg ?? ''];
          if (to) this.switches.push({ at, to, reason: entry.reason ?? '' });
          if (entry.msg === STANDBY_LINE) this.standbyAt ??= at;
        },
      },
    });
    this.subscriber = new HybridSubscriber({
      url: desk.url,
      token: TOKEN,
      logger,
      backup: new KafkaStreamReader({ settings, logger: silent }),
      onSnapshot: (snap) => {
        if (this.expected < 0) this.expected = snap.seq + 1;
        else this.resets++;
      },
      onReset: () => this.resets++,
      onMessage: (f: DataFrame) => {
        if (f.seq !== this.expected) this.violations++;
        this.expected = f.seq + 1;
        if (this.firstAfterCut === undefined && f.seq > this.cutSeq) this.firstAfterCut = now();
        if (this.watchAt === undefined && f.seq >= this.watchSeq) this.watchAt = now();
      },
    });
  }

  async start(): Promise<number> {
    const t0 = now();
    await this.subscriber.start(); // the Kafka reader connects first (a warm standby)
    await pollUntil(() => this.expected >= 0, 'the snapshot');
    this.startMs = now() - t0;
    return this.expected - 1;
  }

  /** The first switch to `to` at or after `since` (ms), waited for; checked against state() once. */
  async switched(to: 'kafka' | 'websocket', since: number, timeoutMs: number): Promise<{ at: number; reason: string }> {
    const find = () => this.switches.find((x) => x.to === to && x.at >= since);
    await pollUntil(() => find() !== undefined, `the channel to be ${to}`, timeoutMs, 5);
    const found = find() as { at: number; reason: string };
    const channel = this.subscriber.state().channel;
    if (channel !== to)
      throw new Error(`the subscriber logged a switch to ${to} but state() says ${channel} (switches since: ${JSON.stringify(this.switches.filter((x) => x.at >= since))})`);
    return found;
  }

  check(head: number): void {
    if (this.violations > 0 || this.resets > 0 || this.expected - 1 !== head) {
      throw new Error(`the subscriber lost or repeated messages: ${this.violations} out of sequence, ${this.resets} resets, at ${this.expected - 1} of ${head}`);
    }
  }
}

/** Takes the WebSocket server away under the flow, until the subscriber delivers from Kafka; then brings it back. */
async function cut(desk: DeskStream, sub: CheckedSubscriber): Promise<Cut> {
  const { subscriber } = sub;
  await pollUntil(
    () => {
      const s = subscriber.state();
      return s.channel === 'websocket' && s.lastSeq >= desk.publisher.head - FLOW_RATE / 100;
    },
    'live on the WebSocket',
    30_000,
    10,
  );
  await pollUntil(() => sub.standbyAt !== undefined, 'the Kafka standby tailing', 30_000, 10);
  await sleep(300);
  const reconnects0 = subscriber.state().reconnects;
  sub.firstAfterCut = undefined;
  sub.cutSeq = desk.sink.issued;
  const t0 = now();
  desk.setDown(true);
  desk.faults.disconnectAll();
  const onKafka = await sub.switched('kafka', t0, 15_000);
  await pollUntil(() => sub.firstAfterCut !== undefined, 'a message published after the cut', 15_000);
  await sleep(HOLD_MS);
  const t1 = now();
  desk.setDown(false);
  const back = await sub.switched('websocket', t1, 30_000);
  return {
    toKafka: onKafka.at - t0,
    firstAfterCut: (sub.firstAfterCut as unknown as number) - t0,
    back: back.at - t1,
    reconnects: subscriber.state().reconnects - reconnects0,
    trigger: onKafka.reason,
  };
}

async function failoverAndGaps(broker: KafkaBroker): Promise<{ cuts: Cut[]; gaps: GapRound[]; delivered: number; startMs: number[] }> {
  const desk = await startDeskStream(journalFile());
  const settings = settingsFor(broker, 'failover');
  const outbox = outboxFor(desk, settings);
  await outbox.start();
  const cuts: Cut[] = [];
  const gaps: GapRound[] = [];
  const startMs: number[] = [];
  let delivered = 0;
  let flow: { stop(): Promise<void> } | undefined;
  let sub: CheckedSubscriber | undefined;
  try {
    // Each round: a new subscriber (a healthy breaker, no failures in its 30 s window), one outage.
    flow = steadyFlow(desk.sink, FLOW_RATE);
    let lastFrom = 0;
    for (let r = 0; r < FAILOVER_ROUNDS; r++) {
      const current = new CheckedSubscriber(desk, settings);
      sub = current;
      const from = await current.start();
      startMs.push(current.startMs);
      cuts.push(await cut(desk, current));
      if (r < FAILOVER_ROUNDS - 1) {
        // Everything up to the head as of now, then the next subscriber.
        const head = desk.sink.issued;
        await pollUntil(() => current.expected > head, 'the subscriber at the head', 30_000, 10);
        await current.subscriber.stop();
        current.check(current.expected - 1);
        delivered += current.expected - 1 - from;
      } else {
        lastFrom = from;
      }
    }
    await flow.stop();
    flow = undefined;
    const last = sub as CheckedSubscriber;
    const live = () => {
      const st = last.subscriber.state();
      return st.channel === 'websocket' && st.lastSeq === desk.publisher.head;
    };

    for (let r = 0; r < GAP_ROUNDS; r++) {
      await desk.publisher.flush();
      await outbox.whenAcked(desk.publisher.head);
      await pollUntil(live, 'live at the head on the WebSocket', 30_000, 10);
      await sleep(300);
      desk.faults.loseFrames(LOST);
      last.watchAt = undefined;
      last.watchSeq = desk.sink.issued + LOST + 5;
      // The lost frames and, in the same turn (so in the same commits), the messages after them.
      desk.sink.emit(LOST);
      const t0 = now();
      desk.sink.emit(5);
      const committed = new Promise<number>((resolve) => {
        const off = desk.publisher.onCommitted(() => {
          if (desk.publisher.head < last.watchSeq) return;
          off();
          resolve(now());
        });
      });
      const acked = outbox.whenAcked(last.watchSeq - 5).then(() => now());
      // Done when it has delivered the head and is back on the WebSocket, whichever comes last.
      const back = await last.switched('websocket', t0, 30_000);
      const headAt = await pollUntil(() => last.watchAt !== undefined, 'the head delivered', 30_000, 5);
      const viaKafka = last.switches.some((x) => x.to === 'kafka' && x.at >= t0);
      const filled = Math.max(back.at, last.watchAt ?? headAt);
      gaps.push({ filled: filled - t0, committed: (await committed) - t0, acked: (await acked) - t0, viaKafka });
    }

    await desk.publisher.flush();
    await pollUntil(live, 'the last message', 30_000, 10);
    last.check(desk.publisher.head);
    delivered += desk.publisher.head - lastFrom;
    return { cuts, gaps, delivered, startMs };
  } finally {
    await flow?.stop();
    await sub?.subscriber.stop();
    await outbox.stop();
    await desk.close();
  }
}

// --- (4) event-loop lag at peak -------------------------------------------------------------------

interface LagRound {
  readonly p99: number;
  readonly max: number;
  readonly latencyP50: number;
  readonly latencyP99: number;
  readonly delivered: number;
  /** Kafka acknowledgements per second over the window (DualDesk only). */
  readonly acked: number;
}

/** One connection; each offered rate in turn (lowest first, so a Kafka backlog left by the peak cannot spill into another window). */
async function lagAtRates(kind: SubscriberKind, child: SubscriberChild, broker: KafkaBroker): Promise<LagRound[]> {
  const desk = kind === 'dualdesk' ? await startDeskStream(journalFile()) : undefined;
  const outbox = desk ? outboxFor(desk, settingsFor(broker, 'peak')) : undefined;
  const bare = desk ? undefined : await startBareStream();
  const out: LagRound[] = [];
  try {
    await outbox?.start();
    let sink: Sink;
    if (desk) {
      await child.connect(kind, desk.url);
      sink = desk.sink;
    } else {
      const b = bare as BareStream;
      const connecting = child.connect(kind, b.url);
      sink = await b.connected;
      await connecting;
    }
    for (const rate of LAG_RATES) {
      const settle = 500;
      const pacing = paced(sink, rate, settle + WINDOW_MS);
      await sleep(settle);
      await child.mark();
      const acked0 = outbox?.status().acked ?? 0;
      const t0 = now();
      const h = monitorEventLoopDelay({ resolution: 1 });
      h.enable();
      await sleep(WINDOW_MS - 50);
      h.disable();
      const r = await child.report();
      const acked = (((outbox?.status().acked ?? 0) - acked0) / (now() - t0)) * 1000;
      await pacing;
      if (r.violations > 0) throw new Error(`${kind}: ${r.violations} deliveries out of sequence`);
      await child.awaitSeq(sink.issued);
      // The histogram records each 1 ms timer's whole interval: lag is what exceeds the 1 ms.
      out.push({
        p99: Math.max(0, h.percentile(99) / 1e6 - 1),
        max: Math.max(0, h.max / 1e6 - 1),
        latencyP50: r.p50,
        latencyP99: r.p99,
        delivered: (r.delivered / r.elapsedMs) * 1000,
        acked,
      });
    }
    await child.disconnect();
    return out;
  } finally {
    await outbox?.stop();
    await desk?.close();
    await bare?.close();
  }
}

// --- (5) the standby's cost ----------------------------------------------------------------------

interface StandbyRound {
  readonly rate: number;
  readonly off: StandbyReport;
  readonly on: StandbyReport;
}

/** Like steadyFlow, but what falls due while the journal is behind (no room) is skipped rather than piled up: on a loaded machine the offered rate then degrades instead of the publisher refusing messages. */
function cappedFlow(sink: Sink, rate: number): { stop(): Promise<void> } {
  let on = true;
  const done = (async () => {
    const t0 = now();
    let due = 0;
    while (on) {
      const target = Math.floor(((now() - t0) * rate) / 1000);
      if (target > due && sink.room()) sink.emit(Math.min(target - due, 1_000));
      due = target;
      await sleep(1);
    }
  })();
  return {
    async stop() {
      on = false;
      await done;
    },
  };
}

/** At each steady rate, two subscriber processes side by side over the same window: one without a backup, one with its Kafka standby tailing. */
async function standbyCost(broker: KafkaBroker): Promise<StandbyRound[]> {
  const desk = await startDeskStream(journalFile());
  const settings = settingsFor(broker, 'standby');
  const outbox = outboxFor(desk, settings);
  const out: StandbyRound[] = [];
  try {
    await outbox.start();
    for (const rate of STANDBY_RATES) {
      const flow = cappedFlow(desk.sink, rate);
      const children: StandbyChild[] = [];
      try {
        const off = await StandbyChild.start(desk.url, TOKEN, undefined);
        children.push(off);
        const on = await StandbyChild.start(desk.url, TOKEN, settings);
        children.push(on);
        await sleep(1_000); // both live, the standby caught up
        await Promise.all([off.mark(), on.mark()]);
        await sleep(STANDBY_WINDOW_MS);
        const [a, b] = await Promise.all([off.report(), on.report()]);
        if (a.violations > 0 || b.violations > 0)
          throw new Error(`standby cost at ${rate} msg/s: deliveries out of sequence (${a.violations} without, ${b.violations} with the standby)`);
        out.push({ rate, off: a, on: b });
      } finally {
        await flow.stop();
        for (const c of children) await c.stop();
      }
    }
    return out;
  } finally {
    await outbox.stop();
    await desk.close();
  }
}

// --- run ------------------------------------------------------------------------------------------

const started = now();
const libs = ensureKafkaLibs((line) => process.stderr.write(`${line}\n`));
const broker = await startKafkaBroker({ libs, heap: '1g', maxLifetimeSeconds: 900 });
const brokerSeconds = (now() - started) / 1000;
const throughput: { bare: KafkaRun[]; dualdesk: KafkaRun[]; backlog: KafkaRun[]; batch: KafkaRun[]; noHeaders: KafkaRun[] } = {
  bare: [],
  dualdesk: [],
  backlog: [],
  batch: [],
  noHeaders: [],
};
/** A fresh JVM is several times slower for its first few hundred thousand records (JIT). */
const BROKER_WARMUP = knob('BENCH_KAFKA_WARMUP', 200_000, 100_000);
let warmup: KafkaRun | undefined;
const lag: { bare: LagRound[][]; dualdesk: LagRound[][] } = { bare: [], dualdesk: [] };
let recovery: Awaited<ReturnType<typeof failoverAndGaps>>;
let standby: StandbyRound[];
let child: SubscriberChild | undefined;
try {
  warmup = await bareToKafka(broker, BROKER_WARMUP);
  for (let r = 0; r < ROUNDS; r++) {
    throughput.bare.push(await bareToKafka(broker));
    throughput.dualdesk.push(await deskToKafka(broker));
    throughput.backlog.push(await backlogToKafka(broker));
    throughput.batch.push(await bareToKafka(broker, KAFKA_MESSAGES, 'batch'));
    throughput.noHeaders.push(await bareToKafka(broker, KAFKA_MESSAGES, 'single-no-headers'));
  }
  recovery = await failoverAndGaps(broker);
  standby = await standbyCost(broker);
  child = await SubscriberChild.start();
  for (let r = 0; r < ROUNDS; r++) {
    lag.bare.push(await lagAtRates('bare', child, broker));
    lag.dualdesk.push(await lagAtRates('dualdesk', child, broker));
  }
} finally {
  child?.stop();
  await broker.destroy();
  rmSync(dir, { recursive: true, force: true });
}

const m = <T>(xs: readonly T[], f: (x: T) => number) => median(xs.map(f));
const bareAcked = m(throughput.bare, (x) => x.acked);
const deskAcked = m(throughput.dualdesk, (x) => x.acked);
/** The failover reasons (without the detail in parentheses), counted. */
const tally = (cuts: readonly Cut[]) => {
  const counts = new Map<string, number>();
  for (const c of cuts) {
    const key = c.trigger.replace(/^WebSocket: /, '').replace(/ \(.*$/, '');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${n} × “${k}”`).join(', ');
};
const range = (xs: readonly number[]) => `${fmt(Math.min(...xs), 0)}–${fmt(Math.max(...xs), 0)}`;
// The headline figures for `npm run bench -- --json` (bench/lib/report.ts).
const sortedOf = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);
report({ figure: 'stream.kafka.throughput', unit: 'msg/s', value: deskAcked, baseline: bareAcked });
report({ figure: 'stream.failover.first_delivery.p50', unit: 'ms', value: m(recovery.cuts, (x) => x.firstAfterCut) });
report({ figure: 'stream.failover.first_delivery.p99', unit: 'ms', value: quantile(sortedOf(recovery.cuts.map((x) => x.firstAfterCut)), 0.99) });
report({ figure: 'stream.failover.to_kafka.p50', unit: 'ms', value: m(recovery.cuts, (x) => x.toKafka) });
report({ figure: 'stream.gapfill.10k.p50', unit: 'ms', value: m(recovery.gaps, (x) => x.filled) });
const rateId = (rate: number) => (rate % 1000 === 0 ? `${rate / 1000}k` : String(rate));
for (const r of standby) {
  report({ figure: `stream.standby.cpu@${rateId(r.rate)}`, unit: '% of a core', value: r.on.cpuPercent, baseline: r.off.cpuPercent });
  report({ figure: `stream.standby.bytes@${rateId(r.rate)}`, unit: 'B/s', value: r.on.kafkaBytesPerSecond });
}
LAG_RATES.forEach((rate, i) => {
  const p99 = (kind: 'bare' | 'dualdesk') => m(lag[kind], (rounds) => (rounds[i] as LagRound).p99);
  report({ figure: `stream.kafka.loop_lag.p99@${rateId(rate)}`, unit: 'ms', value: p99('dualdesk'), baseline: p99('bare') });
});

const lagRows = LAG_RATES.flatMap((rate, i) =>
  (['bare', 'dualdesk'] as const).map((kind) => {
    const xs = lag[kind].map((rounds) => rounds[i] as LagRound);
    return [
      kind === 'bare' ? 'bare ws loop → bare ws client (baseline)' : 'DualDesk: journal + StreamServer + Kafka outbox → HybridSubscriber',
      rate,
      fmt(m(xs, (x) => x.p99)),
      fmt(m(xs, (x) => x.max)),
      fmt(m(xs, (x) => x.latencyP50)),
      fmt(m(xs, (x) => x.latencyP99)),
      Math.round(m(xs, (x) => x.delivered)),
      kind === 'bare' ? '—' : Math.round(m(xs, (x) => x.acked)),
    ];
  }),
);

process.stdout.write(
  `## stream, Kafka path: publish → Kafka acknowledgement (acks=all, idempotent; ${KAFKA_MESSAGES.toLocaleString('en')} messages, ${ROUNDS} rounds, median)\n\n` +
    table(
      ['path', 'journal committed msg/s', 'Kafka acknowledged msg/s', 'vs baseline'],
      [
        ['bare kafkajs producer, one record per message (epoch, seq headers), 1,000 records per send, sequential (baseline)', '—', Math.round(bareAcked), '1.00'],
        [
          'DualDesk: publish → journal → outbox (batch records of ≤ 1,000 messages, ≤ 512 KiB per send)',
          Math.round(m(throughput.dualdesk, (x) => x.journal)),
          Math.round(deskAcked),
          fmt(deskAcked / bareAcked, 2),
        ],
        ...(
          [
            ['diagnostic: DualDesk outbox alone, draining a backlog already in the journal', throughput.backlog],
            ['diagnostic: bare kafkajs, the same batch records (the format’s own ceiling)', throughput.batch],
            ['diagnostic: bare producer, one record per message without the epoch and seq headers', throughput.noHeaders],
          ] as const
        ).map(([name, runs]) => [name, '—', Math.round(m(runs, (x) => x.acked)), fmt(m(runs, (x) => x.acked) / bareAcked, 2)]),
      ],
    ) +
    `\n\nOne broker (Kafka 3.9.1, KRaft, 1 GiB heap) on the same 2 cores, started in ${fmt(brokerSeconds, 1)} s and warmed up with ${BROKER_WARMUP.toLocaleString('en')} records (${Math.round(warmup?.acked ?? 0)} msg/s while cold); each run on a new one-partition topic, after a 1,000-message warm-up of its own.\n\n` +
    `## stream, failover: WebSocket server taken away under a steady ${FLOW_RATE.toLocaleString('en')} msg/s, the Kafka standby tailing (${FAILOVER_ROUNDS} rounds, each a new subscriber; median, p99, range)\n\n` +
    table(
      ['interval', 'median ms', 'p99 ms', 'range ms'],
      [
        ["cut → the triggers declare the WebSocket failed (failover counted, channel 'kafka')", (x: Cut) => x.toKafka],
        ['cut → first message published after the cut delivered (from Kafka)', (x: Cut) => x.firstAfterCut],
        ["WebSocket back → channel is 'websocket' again", (x: Cut) => x.back],
      ].map(([name, f]) => {
        const get = f as (x: Cut) => number;
        return [name as string, fmt(m(recovery.cuts, get), 0), fmt(quantile(sortedOf(recovery.cuts.map(get)), 0.99), 0), range(recovery.cuts.map(get))];
      }),
    ) +
    `\n\nFailover trigger: ${tally(recovery.cuts)}; reconnect attempts while away (median): ${m(recovery.cuts, (x) => x.reconnects)}. ` +
    `A new subscriber (Kafka reader connected) took ${fmt(median(recovery.startMs), 0)} ms to start (median). Switch times from the subscriber's own log lines (written as it switches), deliveries from its onMessage callback: no polling in the measured intervals. ` +
    `Every seq delivered once, in order (${recovery.delivered.toLocaleString('en')} deliveries checked, including the gap fills below).\n\n` +
    `## stream, gap fill: ${LOST.toLocaleString('en')} frames lost on the WebSocket, filled by a WebSocket replay and the Kafka standby, whichever is first (${GAP_ROUNDS} rounds)\n\n` +
    table(
      ['interval', 'median ms', 'range ms'],
      [
        [
          `publish of the first message after the ${LOST.toLocaleString('en')} lost → the journal committed it (no channel has them before)`,
          fmt(
            m(recovery.gaps, (x) => x.committed),
            0,
          ),
          range(recovery.gaps.map((x) => x.committed)),
        ],
        [
          `publish of the first message after the ${LOST.toLocaleString('en')} lost → Kafka acknowledged the last lost one (outbox)`,
          fmt(
            m(recovery.gaps, (x) => x.acked),
            0,
          ),
          range(recovery.gaps.map((x) => x.acked)),
        ],
        [
          `publish of the first message after the ${LOST.toLocaleString('en')} lost → subscriber lastSeq = head (5 after), channel 'websocket'`,
          fmt(
            m(recovery.gaps, (x) => x.filled),
            0,
          ),
          range(recovery.gaps.map((x) => x.filled)),
        ],
      ],
    ) +
    `\n\nA failover counted (the gap is over 10) in ${recovery.gaps.filter((g) => g.viaKafka).length} of ${recovery.gaps.length} rounds.` +
    `\n\n## stream, the hot standby's cost: two subscriber processes side by side on the same steady flow (${STANDBY_WINDOW_MS / 1000} s window)\n\n` +
    table(
      ['offered msg/s', 'subscriber', 'CPU % of a core', 'bytes/s read from Kafka', 'bytes per message', 'delivered msg/s'],
      standby.flatMap((r) =>
        (['off', 'on'] as const).map((k) => [
          r.rate,
          k === 'off' ? 'WebSocket only, no backup (baseline)' : 'WebSocket + Kafka hot standby',
          fmt(r[k].cpuPercent, 1),
          Math.round(r[k].kafkaBytesPerSecond),
          fmt(r[k].kafkaBytesPerSecond / r.rate, 0),
          Math.round((r[k].delivered / STANDBY_WINDOW_MS) * 1000),
        ]),
      ),
    ) +
    `\n\nCPU: process.cpuUsage() of each subscriber process over the window; bytes: the sizes of the brokers' answers to the standby's consumer (kafkajs request events). Machine load (1-minute average) at the end: ${loadavg()[0]?.toFixed(2)}.` +
    `\n\n## stream, publisher event-loop lag with a WebSocket subscriber (own process) and, for DualDesk, the Kafka outbox running (${ROUNDS} rounds of ${WINDOW_MS / 1000} s, median)\n\n` +
    table(['publisher', 'offered msg/s', 'loop lag p99 ms', 'loop lag max ms', 'WS latency p50 ms', 'WS latency p99 ms', 'delivered msg/s', 'Kafka acked msg/s'], lagRows) +
    `\n\nLoop lag: perf_hooks.monitorEventLoopDelay (1 ms resolution) in the publisher process, minus the 1 ms timer interval itself.\n`,
);
