// The hybrid transport end to end: a real journal, real WebSockets, a real Kafka broker, and the
// subscriber with Kafka as its hot standby, across connection kills, a WebSocket server that goes away,
// and a publisher process killed with SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import type { DataFrame } from '../../src/shared/stream';
import { VirtualClock } from '../../src/main/clock';
import { HybridSubscriber, KafkaStreamReader, type KafkaSettings } from '../../src/main/transport';
import { freePort } from '../../scripts/kafka/broker';
import { tempDir } from '../support/fs';
import { memoryLogger } from '../support/logs';
import { repoRoot } from '../support/paths';
import { subscribe } from '../support/stream';
import { startStreamHost } from '../support/stream-host';
import { until } from '../support/wait';
import { readTopic, seqsOf, settingsFor } from '../support/kafka';

const brokers = inject('kafkaBrokers');
const seqs = (n: number, from = 1) => Array.from({ length: n }, (_, i) => from + i);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function backupReader(settings: KafkaSettings): KafkaStreamReader {
  return new KafkaStreamReader({ settings, logger: memoryLogger('warn').logger, backoff: { maxMs: 1_000 } });
}

async function hostWithKafka() {
  const settings = settingsFor(brokers);
  const host = await startStreamHost({ dir: tempDir(), kafka: settings });
  onTestFinished(() => host.close());
  return { host, settings };
}

describe('hybrid stream: WebSocket primary, Kafka backup', () => {
  it('delivers exactly 1..100,000 in order while the WebSocket connection is killed at random every few hundred milliseconds', async () => {
    const { host, settings } = await hostWithKafka();
    const { subscriber, received } = await subscribe(host, { backup: backupReader(settings) });
    await until(() => received.snapshots.length === 1, 'the snapshot');
    const N = 100_000;
    let publishing = true;
    let kills = 0;
    const chaos = (async () => {
      while (publishing) {
        await pause(50 + Math.random() * 300);
        host.faults.disconnectAll();
        kills++;
      }
    })();
    for (let i = 0; i < N; i++) {
      host.publisher.publish(`md.quote.S${i % 7}`, { i });
      // Load shaping, not synchronization: about 25,000 a second, so the kills land all along the stream.
      if (i % 500 === 499) await pause(20);
    }
    publishing = false;
    await chaos;
    await until(() => subscriber.state().lastSeq === N, `all ${N} (at ${subscriber.state().lastSeq})`, 60_000);
    expect(received.frames).toHaveLength(N);
    expect(received.frames.every((f, i) => f.seq === i + 1)).toBe(true);
    expect(kills).toBeGreaterThan(10);
    const s = subscriber.state();
    expect(s.reconnects).toBeGreaterThan(kills / 2);
    expect(s.delivered).toBe(N);
    // And Kafka got all of it too.
    await host.outbox!.whenAcked(N);
  });

  it('continues from Kafka when the WebSocket server goes away, and returns to the WebSocket when it is back', async () => {
    const { host, settings } = await hostWithKafka();
    const { subscriber, received } = await subscribe(host, { backup: backupReader(settings) });
    await until(() => received.snapshots.length === 1, 'the snapshot');
    const load = setInterval(() => {
      for (let i = 0; i < 50; i++) host.publisher.publish('md.quote.S', { i });
    }, 10);
    onTestFinished(() => clearInterval(load));
    await until(() => subscriber.state().lastSeq > 1_000, 'a live stream');

    await host.stopWebSocket();
    const cutAt = host.journal.head;
    // Four failed connections (the close and 3 reconnects) open the breaker: the failover is declared
    // (the standby delivers from Kafka before that: wait for the declaration itself).
    await until(() => subscriber.state().channel === 'kafka' && subscriber.state().failovers === 1, 'the failover to Kafka');
    await until(() => subscriber.state().lastSeq > cutAt + 2_000, 'messages published after the cut, from Kafka', 20_000);
    expect(subscriber.state().websocket).not.toBe('open');
    expect(subscriber.state().failovers).toBe(1);

    await host.startWebSocket();
    await until(() => subscriber.state().channel === 'websocket', 'the return to the WebSocket', 20_000);
    const back = subscriber.state().lastSeq;
    await until(() => subscriber.state().lastSeq > back + 1_000, 'live again over the WebSocket');
    expect(subscriber.state().channel).toBe('websocket');
    clearInterval(load);
    await host.publisher.flush();
    await until(() => subscriber.state().lastSeq === host.journal.head, 'the tail');
    expect(received.frames.map((f) => f.seq)).toEqual(seqs(host.journal.head));
    expect(subscriber.state().failovers).toBe(1);
  });

  it('delivers from the Kafka standby as soon as the WebSocket dies, without waiting for the triggers to declare a failover', async () => {
    const { host, settings } = await hostWithKafka();
    const reader = backupReader(settings);
    // A reconnect a minute away: the breaker cannot reach its 4 failures during the test, so no failover is declared.
    const { subscriber, received } = await subscribe(host, { backup: reader, reconnect: { initialMs: 60_000, maxMs: 60_000 } });
    await until(() => received.snapshots.length === 1, 'the snapshot');
    const load = setInterval(() => {
      for (let i = 0; i < 20; i++) host.publisher.publish('md.quote.S', { i });
    }, 10);
    onTestFinished(() => clearInterval(load));
    await until(() => subscriber.state().lastSeq > 500 && reader.status().state === 'reading', 'a live stream, the standby tailing');

    await host.stopWebSocket();
    const cutAt = host.journal.head;
    await until(() => subscriber.state().lastSeq > cutAt + 500, 'messages published after the cut, from Kafka');
    expect(subscriber.state()).toMatchObject({ websocket: 'closed', channel: 'kafka', failovers: 0, breaker: 'closed' });
    clearInterval(load);
    await host.publisher.flush();
    await until(() => subscriber.state().lastSeq === host.journal.head, 'the tail, from Kafka');
    const joined = received.snapshots[0]!.seq;
    expect(received.frames.map((f) => f.seq)).toEqual(seqs(host.journal.head - joined, joined + 1));
  });

  it('a filtered subscriber gets exactly its topics, once and in order, while the WebSocket is killed at random (Kafka carries every topic: the rest only moves the position)', async () => {
    const { host, settings } = await hostWithKafka();
    const { subscriber, received } = await subscribe(host, { backup: backupReader(settings), topics: ['md.quote.S1', 'md.quote.S4'] });
    await until(() => received.snapshots.length === 1, 'the snapshot');
    const N = 30_000;
    let publishing = true;
    const chaos = (async () => {
      while (publishing) {
        await pause(50 + Math.random() * 200);
        host.faults.disconnectAll();
      }
    })();
    for (let i = 0; i < N; i++) {
      host.publisher.publish(`md.quote.S${i % 7}`, { i });
      if (i % 500 === 499) await pause(20);
    }
    publishing = false;
    await chaos;
    await host.publisher.flush();
    const wanted = seqs(N).filter((seq) => (seq - 1) % 7 === 1 || (seq - 1) % 7 === 4);
    await until(() => received.frames.at(-1)?.seq === wanted.at(-1), `the last wanted message (at ${subscriber.state().lastSeq})`, 60_000);
    expect(received.frames.map((f) => f.seq)).toEqual(wanted);
    expect(received.frames.every((f) => f.topic === 'md.quote.S1' || f.topic === 'md.quote.S4')).toBe(true);
    expect(received.resets).toEqual([]);
  });

  it('fills a gap larger than 10 from Kafka, then goes on over the WebSocket', async () => {
    const { host, settings } = await hostWithKafka();
    const { subscriber, received } = await subscribe(host, { backup: backupReader(settings) });
    await until(() => received.snapshots.length === 1, 'the snapshot');
    host.faults.loseFrames(5_000);
    for (let i = 0; i < 6_000; i++) host.publisher.publish('t', i);
    await until(() => subscriber.state().lastSeq === 6_000, 'the 6,000 messages', 20_000);
    await until(() => subscriber.state().channel === 'websocket', 'back on the WebSocket');
    expect(subscriber.state()).toMatchObject({ gapsDetected: 1, failovers: 1 });
    for (let i = 0; i < 100; i++) host.publisher.publish('t', i);
    await until(() => subscriber.state().lastSeq === 6_100, 'live messages');
    expect(received.frames.map((f) => f.seq)).toEqual(seqs(6_100));
  });

  it('fails over to Kafka when the heartbeats stop (a stalled connection), and comes back when they resume', async () => {
    const { host, settings } = await hostWithKafka();
    const log = memoryLogger('info');
    const { subscriber, received } = await subscribe(host, { backup: backupReader(settings), logger: log.logger });
    await until(() => received.snapshots.length === 1, 'the snapshot');
    const load = setInterval(() => host.publisher.publish('md.quote.S', Date.now()), 5);
    onTestFinished(() => clearInterval(load));
    await until(() => subscriber.state().lastSeq > 50, 'a live stream');
    host.faults.stall(true);
    const stalledAt = host.journal.head;
    await until(() => subscriber.state().channel === 'kafka', 'the failover');
    expect(log.text()).toContain('3 heartbeats missed');
    await until(() => subscriber.state().lastSeq > stalledAt + 50, 'messages from Kafka while the connection is stalled');
    host.faults.stall(false);
    await until(() => subscriber.state().channel === 'websocket', 'the return to the WebSocket');
    clearInterval(load);
    await host.publisher.flush();
    await until(() => subscriber.state().lastSeq === host.journal.head, 'the tail');
    const joined = received.snapshots[0]!.seq;
    expect(received.frames.map((f) => f.seq)).toEqual(seqs(host.journal.head - joined, joined + 1));
  });

  it('fails over to Kafka when a replay goes unanswered for 1 s', async () => {
    const { host, settings } = await hostWithKafka();
    const log = memoryLogger('info');
    const { subscriber, received } = await subscribe(host, { backup: backupReader(settings), logger: log.logger });
    await until(() => received.snapshots.length === 1, 'the snapshot');
    host.faults.ignoreReplays(true);
    host.faults.loseFrames(3);
    for (let i = 0; i < 10; i++) host.publisher.publish('t', i);
    // The standby may deliver the lost ones well before the replay's second is up: wait for the failover too.
    await until(() => subscriber.state().lastSeq === 10 && subscriber.state().failovers === 1, 'the 10 messages, the lost ones from Kafka, and the failover');
    expect(log.text()).toMatch(/replay of 1-3 not answered within 1000 ms/);
    expect(subscriber.state()).toMatchObject({ failovers: 1, gapsDetected: 1, gapsFilled: 1 });
    expect(received.frames.map((f) => f.seq)).toEqual(seqs(10));
  });

  it('lets a replay that keeps arriving run past 1 s: the timeout is for silence, so a long replay is no failure', async () => {
    const host = await startStreamHost({ dir: tempDir() });
    onTestFinished(() => host.close());
    const log = memoryLogger('info');
    // Virtual time that moves only as replayed messages arrive: 1 ms each, 3,000 of them, so the replay lasts 3 s with never 1 s of silence.
    const clock = new VirtualClock(Date.now());
    const frames: DataFrame[] = [];
    let snapshots = 0;
    const subscriber = new HybridSubscriber({
      url: host.url,
      token: host.token,
      logger: log.logger,
      clock,
      // Only the replay's own timeout is under test: heartbeats and latency cannot trip on virtual time.
      heartbeatMs: 3_600_000,
      maxLatencyMs: 3_600_000,
      onMessage: (f) => {
        frames.push(f);
        clock.advance(1);
      },
      onSnapshot: () => snapshots++,
    });
    await subscriber.start();
    onTestFinished(() => subscriber.stop());
    await until(() => snapshots === 1, 'the snapshot');
    host.faults.loseFrames(3_000);
    for (let i = 0; i < 3_001; i++) host.publisher.publish('t', i);
    await until(() => subscriber.state().lastSeq === 3_001, 'the 3,000 lost messages, replayed');
    expect(log.text()).not.toMatch(/not answered/);
    expect(subscriber.state()).toMatchObject({ reconnects: 0, gapsDetected: 1, gapsFilled: 1 });
    expect(frames.map((f) => f.seq)).toEqual(seqs(3_001));
  });

  it('does not count a resumed backlog as late: after a second without the WebSocket, the messages it missed arrive over 500 ms old, and that is no failure', async () => {
    const host = await startStreamHost({ dir: tempDir() });
    onTestFinished(() => host.close());
    const log = memoryLogger('info');
    const { subscriber, received } = await subscribe(host, { logger: log.logger });
    await until(() => received.snapshots.length === 1, 'the snapshot');
    const load = setInterval(() => host.publisher.publish('md.quote.S', Date.now()), 5);
    onTestFinished(() => clearInterval(load));
    await until(() => subscriber.state().lastSeq > 50, 'a live stream');
    await host.stopWebSocket();
    const cutAt = host.journal.head;
    await until(() => host.journal.head > cutAt + 150 && subscriber.state().reconnects >= 2, 'a second of messages missed');
    await host.startWebSocket();
    await until(() => subscriber.state().websocket === 'open' && subscriber.state().lastSeq > cutAt + 150, 'the backlog, resumed');
    clearInterval(load);
    await host.publisher.flush();
    await until(() => subscriber.state().lastSeq === host.journal.head, 'the tail');
    expect(log.text()).not.toMatch(/latency over 500 ms/);
    const joined = received.snapshots[0]!.seq;
    expect(received.frames.map((f) => f.seq)).toEqual(seqs(host.journal.head - joined, joined + 1));
  });

  it('fails over to Kafka when messages arrive over 500 ms late three times in a row', async () => {
    const settings = settingsFor(brokers);
    const host = await startStreamHost({ dir: tempDir(), kafka: settings, lateByMs: 800 });
    onTestFinished(() => host.close());
    const log = memoryLogger('info');
    const { subscriber, received } = await subscribe(host, { backup: backupReader(settings), logger: log.logger });
    await until(() => received.snapshots.length === 1, 'the snapshot');
    for (let i = 0; i < 3; i++) host.publisher.publish('t', i);
    await until(() => subscriber.state().failovers === 1, 'the failover');
    expect(log.text()).toContain('latency over 500 ms for 3 messages in a row');
    for (let i = 0; i < 100; i++) host.publisher.publish('t', i);
    await until(() => subscriber.state().lastSeq === 103, 'every message, once');
    expect(received.frames.map((f) => f.seq)).toEqual(seqs(103));
  });

  it('survives the publisher process being killed with SIGKILL mid-stream, several times: no seq reused, Kafka holds every seq, the subscriber ends complete', async () => {
    const dir = tempDir();
    const port = await freePort();
    const settings = settingsFor(brokers, { connectionTimeoutMs: 1_000 });
    const N = 60_000;
    const children = new Set<ChildProcess>();
    onTestFinished(() => {
      for (const c of children) c.kill('SIGKILL');
    });
    /** Starts the publisher; resolves once it serves, with a reader of its progress lines. */
    const launch = async (run: number) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', fileURLToPath(new URL('../support/stream-host-child.ts', import.meta.url)), JSON.stringify({ dir, port, kafka: settings, until: N, run })],
        {
          cwd: repoRoot,
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      children.add(child);
      const exited = new Promise<string | null>((resolve) => child.once('exit', (_c, signal) => resolve(signal)));
      const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      const first = await lines.next();
      const hello = JSON.parse(String(first.value)) as { port: number; head: number; epoch: string };
      return { child, exited, lines, hello };
    };
    const killAfter = async (p: Awaited<ReturnType<typeof launch>>, moreThan: number) => {
      for (let line = await p.lines.next(); !line.done; line = await p.lines.next()) {
        const m = JSON.parse(String(line.value)) as { head?: number };
        if ((m.head ?? 0) > moreThan) break;
      }
      p.child.kill('SIGKILL');
      expect(await p.exited).toBe('SIGKILL');
      children.delete(p.child);
    };

    let p = await launch(0);
    const epoch = p.hello.epoch;
    const { subscriber, received } = await subscribe({ url: `ws://127.0.0.1:${port}/stream`, token: 'stream-host-test-token' }, { backup: backupReader(settings) });
    await until(() => received.snapshots.length === 1, 'the snapshot');
    const heads: number[] = [];
    for (const [run, at] of [
      [1, 8_000],
      [2, 20_000],
      [3, 35_000],
    ] as const) {
      await killAfter(p, at);
      p = await launch(run);
      // The journal survived the kill: same epoch, and the new run goes on after the last committed seq.
      expect(p.hello.epoch).toBe(epoch);
      heads.push(p.hello.head);
    }
    expect(heads).toEqual([...heads].sort((a, b) => a - b));
    for (let line = await p.lines.next(); !line.done; line = await p.lines.next()) {
      if ((JSON.parse(String(line.value)) as { done?: number }).done !== undefined) break;
    }
    await until(() => subscriber.state().lastSeq === N, `the subscriber complete (at ${subscriber.state().lastSeq})`, 60_000);
    // From its joining snapshot on (the publisher was already running), every seq once and in order.
    const joined = received.snapshots[0]!.seq;
    expect(received.frames.map((f) => f.seq)).toEqual(seqs(N - joined, joined + 1));
    expect(received.resets).toEqual([]);
    expect(subscriber.state().reconnects).toBeGreaterThanOrEqual(3);

    // Kafka holds every seq; repeats (the unacknowledged tail produced again) carry the very same message.
    const records = await readTopic({ brokers }, settings.topic, 60_000);
    const bySeq = new Map<number, string>();
    for (const r of records) {
      const seq = r.seq;
      const body = JSON.stringify(r.frame.data);
      expect(bySeq.get(seq) ?? body, `seq ${seq} reused with different content`).toBe(body);
      bySeq.set(seq, body);
    }
    expect([...bySeq.keys()].sort((a, b) => a - b)).toEqual(seqs(N));
    expect(new Set(seqsOf(records)).size).toBe(N);
    // What the subscriber got is what Kafka has, message for message, from all four runs.
    expect(received.frames.every((f) => bySeq.get(f.seq) === JSON.stringify(f.data))).toBe(true);
    expect(new Set(received.frames.map((f) => (f.data as { run: number }).run))).toEqual(new Set([0, 1, 2, 3]));
  });
});
