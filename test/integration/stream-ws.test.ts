import { rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { decodeFrames, encodeBatch, encodeFrame, type DataFrame, type ServerFrame } from '../../src/shared/stream';
import { freePort } from '../../scripts/kafka/broker';
import { startStreamDesk, subscribe } from '../support/stream';
import { until, untilAsync } from '../support/wait';

const seqs = (n: number, from = 1) => Array.from({ length: n }, (_, i) => from + i);

/** A raw WebSocket client that records every frame the server sends and how the socket closed. */
async function rawClient(url: string, token: string | undefined) {
  const frames: ServerFrame[] = [];
  const ws = new WebSocket(url, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
  const closed = new Promise<{ code: number }>((resolve) => ws.once('close', (code: number) => resolve({ code })));
  const opened = await new Promise<boolean>((resolve) => {
    ws.once('open', () => resolve(true));
    ws.once('unexpected-response', (_req, res) => {
      frames.push({ op: 'error', code: String(res.statusCode), message: 'http' });
      resolve(false);
    });
  });
  ws.on('message', (data: Buffer) => frames.push(...(decodeFrames(data) as ServerFrame[])));
  return { ws, frames, closed, opened };
}

describe('stream over WebSocket (real ws, real SQLite journal)', () => {
  it('requires the control token; joins with welcome and a snapshot, then streams in order', async () => {
    const s = await startStreamDesk();
    const publisher = s.desk.stream!.publisher;
    for (let i = 0; i < 5; i++) publisher.publish(`md.quote.S${i % 2}`, { i });
    await publisher.flush();
    const refused = await rawClient(s.url, 'not-the-token');
    expect(refused.opened).toBe(false);
    expect(refused.frames[0]).toMatchObject({ code: '401' });

    const { subscriber, received } = await subscribe(s);
    await until(() => received.snapshots.length === 1, 'the snapshot');
    const head = publisher.head;
    expect(received.snapshots[0]).toMatchObject({ epoch: publisher.epoch, seq: head, state: { 'md.quote.S0': { i: 4 }, 'md.quote.S1': { i: 3 } } });
    for (let i = 0; i < 1_000; i++) publisher.publish('md.quote.S0', { i });
    await until(() => subscriber.state().lastSeq === head + 1_000, 'the live messages');
    expect(received.frames.map((f) => f.seq)).toEqual(seqs(1_000, head + 1));
    expect(subscriber.state()).toMatchObject({ channel: 'websocket', websocket: 'open', epoch: publisher.epoch, gapsDetected: 0 });
  });

  it('delivers exactly 1..N in order while the connection is dropped at random every few hundred milliseconds', async () => {
    const s = await startStreamDesk();
    const publisher = s.desk.stream!.publisher;
    const { subscriber, received } = await subscribe(s, { reconnect: { initialMs: 10, maxMs: 100 } });
    await until(() => received.snapshots.length === 1, 'the snapshot');
    // The desk's own messages (its trading state) come first: count from where this subscriber joined.
    const base = received.snapshots[0]!.seq;
    const N = 30_000;
    let publishing = true;
    let drops = 0;
    const chaos = (async () => {
      while (publishing) {
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 250));
        s.faults.disconnectAll();
        drops++;
      }
    })();
    for (let i = 0; i < N; i++) {
      publisher.publish(`t.${i % 5}`, i);
      // Load shaping, not synchronization: spread the publishing over a few seconds of drops.
      if (i % 300 === 299) await new Promise((r) => setTimeout(r, 20));
    }
    publishing = false;
    await chaos;
    await until(
      () => subscriber.state().lastSeq === base + N,
      () => `all ${N} messages: ${JSON.stringify({ base, subscriber: subscriber.state(), server: serverOf(s).stats(), head: publisher.head })}`,
      30_000,
    );
    expect(received.frames.map((f) => f.seq)).toEqual(seqs(N, base + 1));
    expect(drops).toBeGreaterThan(3);
    // Some drops land while it is already reconnecting; most cost a reconnect.
    expect(subscriber.state().reconnects).toBeGreaterThan(drops / 2);
  });

  it('fills a gap by replaying it over the WebSocket', async () => {
    const s = await startStreamDesk();
    const publisher = s.desk.stream!.publisher;
    const { subscriber, received } = await subscribe(s);
    await until(() => received.snapshots.length === 1, 'the snapshot');
    const base = received.snapshots[0]!.seq;
    s.faults.loseFrames(5);
    for (let i = 0; i < 20; i++) publisher.publish('t', i);
    await until(() => subscriber.state().lastSeq === base + 20, 'the 20 messages');
    expect(received.frames.map((f) => f.seq)).toEqual(seqs(20, base + 1));
    expect(subscriber.state()).toMatchObject({ gapsDetected: 1, gapsFilled: 1, failovers: 0, channel: 'websocket' });
  });

  it('without Kafka, replays a gap of any size over the WebSocket, in pieces', async () => {
    const s = await startStreamDesk();
    const publisher = s.desk.stream!.publisher;
    const { subscriber, received } = await subscribe(s);
    await until(() => received.snapshots.length === 1, 'the snapshot');
    const base = received.snapshots[0]!.seq;
    s.faults.loseFrames(150_000);
    for (let i = 0; i < 150_010; i++) publisher.publish('t', i);
    await until(() => subscriber.state().lastSeq === base + 150_010, `the 150,010 messages (at ${subscriber.state().lastSeq})`);
    expect(received.frames).toHaveLength(150_010);
    expect(received.frames.every((f, i) => f.seq === base + i + 1)).toBe(true);
    // Heartbeats announce the loss commit by commit, so it may be seen as several gaps: each is filled.
    const st = subscriber.state();
    expect(st.gapsDetected).toBeGreaterThanOrEqual(1);
    expect(st).toMatchObject({ gapsFilled: st.gapsDetected, failovers: 0, channel: 'websocket' });
  });

  it('also fills a tail gap (the last frames lost, nothing after them) from the heartbeat', async () => {
    const s = await startStreamDesk();
    const publisher = s.desk.stream!.publisher;
    const { subscriber, received } = await subscribe(s);
    await until(() => received.snapshots.length === 1, 'the snapshot');
    const base = received.snapshots[0]!.seq;
    s.faults.loseFrames(3);
    for (let i = 0; i < 3; i++) publisher.publish('t', i);
    await until(() => subscriber.state().lastSeq === base + 3, 'the lost tail, via the heartbeat');
    expect(received.frames.map((f) => f.seq)).toEqual(seqs(3, base + 1));
  });

  it('serves topic filters, with prev chained over what the subscriber sees', async () => {
    const s = await startStreamDesk();
    const publisher = s.desk.stream!.publisher;
    const { subscriber, received } = await subscribe(s, { topics: ['order.>'] });
    await until(() => received.snapshots.length === 1, 'the snapshot');
    for (let i = 0; i < 100; i++) publisher.publish(i % 10 === 0 ? `order.${i}` : `md.quote.S${i}`, i);
    await until(() => received.frames.length === 10, 'the ten orders');
    expect(subscriber.state().gapsDetected).toBe(0);
    expect(received.frames.map((f) => f.topic)).toEqual(seqs(10, 0).map((i) => `order.${i * 10}`));
    expect(received.frames.map((f) => f.prev)).toEqual([received.snapshots[0]!.seq, ...received.frames.slice(0, -1).map((f) => f.seq)]);
  });

  it('answers malformed, oversized and unexpected frames with an error and a close, and carries on', async () => {
    const s = await startStreamDesk();
    const publisher = s.desk.stream!.publisher;
    const { subscriber } = await subscribe(s);
    const cases: [string, (ws: WebSocket) => void, number, string][] = [
      ['text', (ws) => ws.send('hello'), 4000, 'bad-frame'],
      ['garbage', (ws) => ws.send(Buffer.from([0xc1, 0xc1, 0xc1])), 4000, 'bad-frame'],
      ['unknown op', (ws) => ws.send(encodeFrame({ op: 'subscribe', topics: ['x'] })), 4000, 'bad-frame'],
      ['replay first', (ws) => ws.send(encodeFrame({ op: 'replay', from: 1, to: 2 })), 4000, 'unexpected'],
      ['bad pattern', (ws) => ws.send(encodeFrame({ op: 'hello', topics: ['a..b'] })), 4000, 'bad-frame'],
      ['oversized', (ws) => ws.send(Buffer.alloc(20_000, 0x90)), 1009, 'too-big'],
      [
        'second hello',
        (ws) => {
          ws.send(encodeFrame({ op: 'hello' }));
          ws.send(encodeFrame({ op: 'hello' }));
        },
        4000,
        'unexpected',
      ],
    ];
    for (const [what, act, code, errorCode] of cases) {
      const c = await rawClient(s.url, s.token);
      act(c.ws);
      const { code: closedWith } = await c.closed;
      expect(closedWith, what).toBe(code);
      expect(
        c.frames.find((f) => f.op === 'error'),
        what,
      ).toMatchObject({ op: 'error', code: errorCode });
    }
    publisher.publish('t', 'still here');
    await until(() => subscriber.state().lastSeq === publisher.head, 'the healthy subscriber');
  });

  it('keeps a stalled subscriber’s backlog bounded, catches it up from the journal, and never slows the others', async () => {
    const s = await startStreamDesk();
    const publisher = s.desk.stream!.publisher;
    const fast = await subscribe(s);
    const slow = await rawClient(s.url, s.token);
    slow.ws.send(encodeFrame({ op: 'hello' }));
    await until(() => slow.frames.some((f) => f.op === 'snapshot'), 'the slow one joining');
    const socket = (slow.ws as unknown as { _socket: Socket })._socket;
    socket.pause(); // it stops reading: its socket backs up on the server
    const payload = 'x'.repeat(2_000);
    let maxBuffered = 0;
    for (let i = 0; i < 20_000; i++) {
      publisher.publish('bulk', payload);
      if (i % 1_000 === 999) {
        await publisher.flush();
        for (const st of serverOf(s).stats()) maxBuffered = Math.max(maxBuffered, st.bufferedBytes);
      }
    }
    await until(() => fast.subscriber.state().lastSeq === publisher.head, 'the fast subscriber at the head');
    await until(
      () =>
        serverOf(s)
          .stats()
          .some((st) => st.state === 'catching-up'),
      'the slow one marked behind',
    );
    // Bounded: the high-water mark (4 MiB) plus at most one batch, not the 40 MB published.
    expect(maxBuffered).toBeLessThan(4 * 1024 * 1024 + 12 * 1024 * 1024);
    socket.resume();
    await until(() => slow.frames.filter((f) => f.op === 'data').length === 20_000, 'the slow one caught up from the journal', 30_000);
    const seen = slow.frames.filter((f) => f.op === 'data').map((f) => (f as { seq: number }).seq);
    expect(seen).toEqual(seqs(20_000, seen[0]));
  });

  it('refuses a message of 600 replays from a client that does not read, and keeps serving the others', async () => {
    const { server, publisher, honest, attacker } = await deskWithAttacker(1_000, 'z'.repeat(100));
    attacker.ws.pause(); // stops reading (ws.pause, which ws's own parser will not undo)
    // The report's frame: 15 KB, 600 replays of the whole journal, and then no reading.
    const attack = encodeBatch(Array.from({ length: 600 }, () => encodeFrame({ op: 'replay', from: 1, to: 100_000 })));
    expect(attack.length).toBeGreaterThan(10_000);
    attacker.ws.send(attack);
    let maxBuffered = 0;
    await until(() => {
      for (const st of server.stats()) maxBuffered = Math.max(maxBuffered, st.bufferedBytes);
      return server.stats().length === 1;
    }, 'the attacker refused and cut');
    expect(maxBuffered).toBeLessThan(64 * 1024);
    const probe = publisher.publish('t', 'after the attack')!;
    await until(() => honest.subscriber.state().lastSeq === probe, 'the honest subscriber at the head');
    attacker.ws.resume();
    expect([4000, 1006]).toContain((await attacker.closed).code);
    expect(attacker.frames.filter((f) => f.op === 'data')).toHaveLength(0);
  });

  it('serves one replay at a time per connection, a chunk per turn within the socket’s bound, while the others stay live', async () => {
    const { server, publisher, honest, attacker } = await deskWithAttacker(20_000, 'r'.repeat(1_000)); // 20 MB in the journal
    // The newest connection is the attacker's (the honest one might reconnect later: find it by id).
    const attackerId = server.stats().reduce((a, b) => (b.id > a.id ? b : a)).id;
    const attackerStats = () => server.stats().find((st) => st.id === attackerId)!;
    const head = publisher.head;
    attacker.ws.pause(); // stops reading (ws.pause, which ws's own parser will not undo)
    attacker.ws.send(encodeBatch(Array.from({ length: 3 }, () => encodeFrame({ op: 'replay', from: 1, to: 100_000 }))));
    await until(() => attackerStats().bufferedBytes >= 4 * 1024 * 1024, 'the replay filling the attacker’s socket');
    // The loop keeps serving: a message published now reaches the honest subscriber while the replay is still in flight.
    const probe = publisher.publish('t', 'after the attack')!;
    await until(() => honest.subscriber.state().lastSeq === probe, 'the honest subscriber at the head');
    const during = attackerStats();
    // Bounded: the high-water mark (4 MiB) plus one chunk (2,000 messages), not the 60 MB asked for.
    expect(during.bufferedBytes).toBeLessThan(4 * 1024 * 1024 + 3 * 1024 * 1024);
    expect(during.replaying).toBe(true);
    expect(honest.subscriber.state().gapsDetected).toBe(0);
    attacker.ws.resume();
    await until(() => attacker.frames.some((f) => f.op === 'data' && f.seq === probe), 'the attacker served to the head', 30_000);
    const replayed = attacker.frames.filter((f): f is DataFrame => f.op === 'data' && f.seq <= head).map((f) => f.seq);
    expect(replayed).toEqual(seqs(head));
    expect(attacker.frames.filter((f) => f.op === 'error')).toEqual([expect.objectContaining({ code: 'replay-busy' }), expect.objectContaining({ code: 'replay-busy' })]);
  });

  it('closes a subscriber that stays behind (4008), cutting it if it does not even read the close, and keeps serving', async () => {
    const s = await startStreamDesk();
    const server = serverOf(s);
    Object.assign((server as unknown as { settings: object }).settings, { maxBehindMs: 300, closeTimeoutMs: 300 });
    const publisher = s.desk.stream!.publisher;
    const slow = await rawClient(s.url, s.token);
    slow.ws.send(encodeFrame({ op: 'hello' }));
    await until(() => slow.frames.some((f) => f.op === 'snapshot'), 'joining');
    (slow.ws as unknown as { _socket: Socket })._socket.pause();
    const payload = 'y'.repeat(4_000);
    for (let i = 0; i < 5_000; i++) publisher.publish('bulk', payload);
    await publisher.flush();
    await until(() => server.stats().length === 0, 'the server dropping the stuck subscriber');
    expect((await s.desk.metrics.getSingleMetric('dualdesk_stream_slow_closed_total')?.get())?.values[0]?.value).toBe(1);
    (slow.ws as unknown as { _socket: Socket })._socket.resume();
    expect([4008, 1006]).toContain((await slow.closed).code);
    const { subscriber } = await subscribe(s);
    publisher.publish('t', 'after');
    await until(() => subscriber.state().lastSeq === publisher.head, 'a new subscriber served');
  });

  it('tells subscribers when the store is recreated: a new epoch, a reset and a fresh snapshot', async () => {
    const port = await freePort();
    const first = await startStreamDesk({ port });
    const publisher = first.desk.stream!.publisher;
    for (let i = 0; i < 10; i++) publisher.publish('t', i);
    await publisher.flush();
    const oldEpoch = publisher.epoch;
    const { subscriber, received } = await subscribe(first, { reconnect: { initialMs: 20, maxMs: 200 } });
    await until(() => received.snapshots.length === 1, 'the snapshot');
    await first.desk.stop();
    for (const f of ['paper-stream.db', 'paper-stream.db-wal', 'paper-stream.db-shm']) rmSync(join(first.dataDir, f), { force: true });
    const second = await startStreamDesk({ port, dataDir: first.dataDir });
    second.desk.stream!.publisher.publish('t', 'new world');
    await until(() => received.snapshots.length === 2, 'a fresh snapshot');
    expect(received.resets.length).toBeGreaterThanOrEqual(1);
    expect(received.snapshots[1]?.epoch).not.toBe(oldEpoch);
    await until(() => subscriber.state().epoch === second.desk.stream!.publisher.epoch, 'the new epoch');
  });

  it('holds a batch the journal could not write and retries it: no hole, every seq delivered once, readiness says why meanwhile', async () => {
    const s = await startStreamDesk();
    const publisher = s.desk.stream!.publisher;
    const { subscriber, received } = await subscribe(s);
    await until(() => received.snapshots.length === 1, 'the snapshot');
    const base = received.snapshots[0]!.seq;
    // Another process holds the journal's write lock: the desk's commits fail (SQLITE_BUSY once SQLite's 5 s wait is over).
    const other = new BetterSqlite3(join(s.dataDir, 'paper-stream.db'));
    other.exec('BEGIN IMMEDIATE');
    for (let i = 0; i < 100; i++) publisher.publish('t', i);
    let reason = '';
    await untilAsync(async () => {
      const stream = (await s.desk.readiness()).dependencies['stream'];
      reason = stream && !stream.ok ? (stream.reason ?? 'unready without a reason') : '';
      return reason !== '';
    }, 'the stream unready while its journal cannot be written');
    expect(reason).toMatch(/journal writes failing .*database is locked.*100 message\(s\) after seq \d+ held/);
    // Still accepted meanwhile (up to the pending bound), and nothing is sent past the held batch.
    for (let i = 100; i < 200; i++) expect(publisher.publish('t', i)).toBe(base + i + 1);
    expect(subscriber.state().lastSeq).toBe(base);
    other.exec('COMMIT');
    other.close();
    await until(() => subscriber.state().lastSeq === base + 200, 'every held message, once committed');
    expect(received.frames.map((f) => f.seq)).toEqual(seqs(200, base + 1));
    expect(received.frames.map((f) => f.data)).toEqual(seqs(200, 0));
    expect(subscriber.state().gapsDetected).toBe(0);
    expect((await s.desk.readiness()).dependencies['stream']).toMatchObject({ ok: true });
  });

  it('after retention empties the journal, resumes a subscriber at the head and resets one behind it', async () => {
    const s = await startStreamDesk();
    const { publisher, journal } = s.desk.stream!;
    for (let i = 0; i < 10; i++) publisher.publish('t', i);
    await publisher.flush();
    const day = 24 * 3_600_000;
    await journal.prune(Date.now() + day + 60_000, day, 100_000);
    const head = publisher.head;
    expect(journal.read(1, head, 1_000)).toHaveLength(0);
    const atHead = await rawClient(s.url, s.token);
    atHead.ws.send(encodeFrame({ op: 'hello', resume: { epoch: publisher.epoch, seq: head } }));
    const behind = await rawClient(s.url, s.token);
    behind.ws.send(encodeFrame({ op: 'hello', resume: { epoch: publisher.epoch, seq: head - 3 } }));
    await until(() => atHead.frames.some((f) => f.op === 'welcome') && behind.frames.some((f) => f.op === 'snapshot'), 'both answered');
    expect(atHead.frames[0]).toMatchObject({ op: 'welcome', resumed: true });
    expect(behind.frames.slice(0, 3).map((f) => f.op)).toEqual(['reset', 'welcome', 'snapshot']);
    const next = publisher.publish('t', 'after the prune');
    const got = (c: typeof atHead) => c.frames.some((f) => f.op === 'data' && f.seq === next);
    await until(() => got(atHead) && got(behind), 'the next message on both');
  });
});

/** A desk with `count` bulk messages journaled, an honest subscriber and a raw client (the attacker), both joined. */
async function deskWithAttacker(count: number, payload: string) {
  const s = await startStreamDesk();
  const publisher = s.desk.stream!.publisher;
  for (let i = 0; i < count; i++) publisher.publish('bulk', payload);
  await publisher.flush();
  const honest = await subscribe(s);
  await until(() => honest.received.snapshots.length === 1, 'the honest subscriber joining');
  const attacker = await rawClient(s.url, s.token);
  attacker.ws.send(encodeFrame({ op: 'hello' }));
  await until(() => attacker.frames.some((f) => f.op === 'snapshot'), 'the attacker joining');
  return { s, server: serverOf(s), publisher, honest, attacker };
}

function serverOf(s: Awaited<ReturnType<typeof startStreamDesk>>) {
  return s.desk.streamServer;
}
