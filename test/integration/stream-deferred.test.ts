// Deferred subscribers (remote viewers) over real WebSockets and the desk's real SQLite journal: a
// crowd replaying or resuming from 0 reads no more journal rows per turn of the event loop than one
// shared budget, all of them still get everything with no gap, and the trader's own subscriber keeps
// receiving live frames meanwhile. Also: a viewer behind a round (a loss drill) is caught up, not
// skipped; viewer replays over their span or rate are refused with an error and the connection lives.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { decodeFrames, encodeFrame, type ServerFrame } from '../../src/shared/stream';
import { systemClock } from '../../src/main/clock';
import { createLogger } from '../../src/main/ops';
import { StreamServer, type StreamPeer, type StreamPeerEvents, type StreamServerOptions, type StreamSource } from '../../src/main/transport';
import { streamFaults } from '../support/faults';
import { startStreamDesk } from '../support/stream';
import { until } from '../support/wait';

const VIEWER = 'viewer-token';
const TRADER = 'trader-token';

/** A StreamServer of its own on a loopback HTTP server, viewers deferred; its journal reads counted per turn of the event loop. */
async function startServer(source: StreamSource, options: Partial<StreamServerOptions> = {}) {
  const turn = { rows: 0, max: 0, total: 0 };
  const journal = source.journal;
  // Counts every row the server reads, whichever path reads it.
  const counted = new Proxy(journal, {
    get(target, key) {
      if (key === 'read') {
        return (from: number, to: number, limit: number) => {
          const rows = target.read(from, to, limit);
          turn.rows += rows.length;
          turn.total += rows.length;
          return rows;
        };
      }
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  // One mark per turn of the event loop: the rows read between two marks were read in one turn.
  let marking = true;
  const mark = () => {
    turn.max = Math.max(turn.max, turn.rows);
    turn.rows = 0;
    if (marking) setImmediate(mark);
  };
  setImmediate(mark);
  const server = new StreamServer({
    logger: createLogger({ level: 'silent' }),
    metrics: new Registry(),
    clock: systemClock,
    authorize: (token) => (token === VIEWER ? { who: 'viewer', view: 'all', deferred: true } : token === TRADER ? { who: 'trader' } : undefined),
    metricPrefix: 'test_deferred_stream',
    ...options,
  });
  server.setSource({ publisher: source.publisher, journal: counted });
  const http: Server = createServer((_req, res) => res.writeHead(404).end());
  http.on('upgrade', (req, socket, head) => server.handleUpgrade(req, socket, head, req.headers.authorization?.replace(/^Bearer /, '')));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    marking = false;
    await server.close();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });
  return { server, turn, url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/stream` };
}

interface Client {
  readonly ws: WebSocket;
  readonly frames: ServerFrame[];
  /** Data frames' seqs in arrival order, and how many broke the `prev` chain. */
  readonly seqs: number[];
  gaps: number;
  last: number;
}

async function client(url: string, token: string, hello: Record<string, unknown>): Promise<Client> {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
  onTestFinished(() => ws.terminate());
  const c: Client = { ws, frames: [], seqs: [], gaps: 0, last: -1 };
  ws.on('message', (data: Buffer) => {
    for (const f of decodeFrames(data) as ServerFrame[]) {
      c.frames.push(f);
      if (f.op === 'snapshot') c.last = f.seq;
      if (f.op === 'welcome' && (hello as { resume?: { seq: number } }).resume) c.last = (hello as { resume: { seq: number } }).resume.seq;
      if (f.op === 'data') {
        if (c.last !== -1 && f.prev !== c.last) c.gaps++;
        c.last = f.seq;
        c.seqs.push(f.seq);
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.send(encodeFrame({ op: 'hello', ...hello }));
  return c;
}

/** A deferred subscriber whose every write costs `costMs` of CPU (a busy loop), as a TLS write to many sockets costs the server. */
class CostlyPeer implements StreamPeer {
  readonly readyState = 'open' as const;
  readonly bufferedAmount = 0;
  /** When each write carrying data frames was made (performance.now()). */
  readonly dataWrites: number[] = [];
  readonly seqs: number[] = [];
  gaps = 0;
  private last = -1;
  events: StreamPeerEvents | undefined;

  constructor(private readonly costMs: number) {}

  send(bytes: Uint8Array): void {
    const at = performance.now();
    for (const f of decodeFrames(bytes) as ServerFrame[]) {
      if (f.op === 'snapshot') this.last = f.seq;
      if (f.op !== 'data') continue;
      if (this.dataWrites.at(-1) !== at) this.dataWrites.push(at);
      if (f.prev !== this.last) this.gaps++;
      this.last = f.seq;
      this.seqs.push(f.seq);
    }
    let spins = 0;
    while (performance.now() - at < this.costMs) spins++;
    if (spins < 0) throw new Error('unreachable');
  }

  close(): void {
    this.events?.close();
  }

  terminate(): void {
    this.events?.close();
  }

  listen(events: StreamPeerEvents): void {
    this.events = events;
    setImmediate(() => events.message(encodeFrame({ op: 'hello' }), true));
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('deferred subscribers and the journal', () => {
  it('a crowd resuming from 0 or replaying the whole journal reads within one row budget per turn; all complete with no gap; the trader keeps receiving live', async () => {
    const s = await startStreamDesk();
    const source = s.desk.stream!;
    const { publisher } = source;
    for (let i = 0; i < 10_000; i++) publisher.publish(`md.quote.S${i % 7}`, { i });
    await publisher.flush();
    const head = publisher.head;
    const budget = 500;
    const readers = { max: 0, turns: 0 };
    const onDeferredRead = (t: { rows: number; readers: number }) => {
      readers.max = Math.max(readers.max, t.readers);
      readers.turns++;
    };
    const { turn, url } = await startServer(source, { deferredRowBudget: budget, maxDeferredReaders: 4, maxViewerReplaySpan: 50_000, onDeferredRead });
    const trader = await client(url, TRADER, {});
    await until(() => trader.last !== -1, 'the trader snapshot');

    const resumers = await Promise.all(range(1, 10).map(() => client(url, VIEWER, { resume: { epoch: publisher.epoch, seq: 0 } })));
    const replayers = await Promise.all(range(1, 10).map(() => client(url, VIEWER, {})));
    await until(() => replayers.every((r) => r.frames.some((f) => f.op === 'snapshot')), 'the viewers snapshots');
    for (const r of replayers) r.ws.send(encodeFrame({ op: 'replay', from: 1, to: head }));

    // Live messages while the crowd reads: the trader gets each at once, whatever the viewers owe.
    const live = 50;
    for (let i = 0; i < live; i++) publisher.publish('md.quote.LIVE', { i });
    await until(() => trader.last === head + live, 'the trader live frames');
    const doneWhenTraderHadAll = resumers.filter((r) => r.last >= head + live).length + replayers.filter((r) => r.seqs.filter((q) => q <= head).length === head).length;

    await until(
      () => resumers.every((r) => r.last === head + live),
      () => `the resumers: ${resumers.map((r) => r.last).join(',')} of ${head + live}`,
      120_000,
    );
    await until(() => replayers.every((r) => r.seqs.filter((q) => q <= head).length === head), 'the replays', 120_000);

    expect(trader.seqs).toEqual(range(head + 1, head + live));
    expect(trader.gaps).toBe(0);
    for (const r of resumers) {
      expect(r.seqs).toEqual(range(1, head + live));
      expect(r.gaps).toBe(0);
    }
    for (const r of replayers) expect(r.seqs.filter((q) => q <= head)).toEqual(range(1, head));
    // Every viewer read the whole journal, a budget at a time.
    expect(turn.total).toBeGreaterThanOrEqual(20 * head);
    expect(turn.max).toBeLessThanOrEqual(budget);
    // Four read at once, the others waited their turn (catching up) rather than reading alongside.
    expect(readers.max).toBe(4);
    expect(readers.turns).toBeGreaterThanOrEqual(Math.ceil((20 * head) / budget));
    expect(doneWhenTraderHadAll).toBeLessThan(20);
  }, 180_000);

  it('rounds to deferred subscribers keep to their share of the time: after a round busy B ms, the next starts no sooner than B / share after it', async () => {
    const s = await startStreamDesk();
    const { publisher } = s.desk.stream!;
    const { server } = await startServer(s.desk.stream!, { coalesceMs: 0, deferredBusyShare: 0.5 });
    // Four viewers at 3 ms a write: a round is busy at least 12 ms, so rounds start at least 24 ms apart.
    const peers = Array.from({ length: 4 }, () => new CostlyPeer(3));
    for (const [i, peer] of peers.entries()) server.acceptPeer(peer, { who: `costly#${i}`, view: 'all', deferred: true });
    await until(() => peers.every((p) => p.events !== undefined), 'the peers taken over');
    const from = publisher.head;
    // A message every 2 ms for 300 ms: always something waiting when a window ends.
    const started = performance.now();
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        publisher.publish('md.quote.S0', { at: performance.now() });
        if (performance.now() - started > 300) {
          clearInterval(tick);
          resolve();
        }
      }, 2);
    });
    await publisher.flush();
    const head = publisher.head;
    await until(
      () => peers.every((p) => p.seqs.at(-1) === head),
      () => `the peers at ${peers.map((p) => p.seqs.at(-1)).join(', ')} of ${head}`,
    );
    for (const p of peers) {
      expect(p.seqs).toEqual(range(from + 1, head));
      expect(p.gaps).toBe(0);
    }
    // The first peer is served first in each round: its writes mark the rounds' starts.
    const starts = (peers[0] as CostlyPeer).dataWrites;
    expect(starts.length).toBeGreaterThanOrEqual(4);
    const apart = starts.slice(1).map((t, i) => t - (starts[i] as number));
    // 2 ms for the clock's whole milliseconds and a timer that fires on the millisecond before its due time.
    expect(Math.min(...apart)).toBeGreaterThanOrEqual(2 * 4 * 3 - 2);
  });

  it('viewers of one view joining at one head are sent the same snapshot; one joining after a publish is sent the new state', async () => {
    const s = await startStreamDesk();
    const { publisher } = s.desk.stream!;
    publisher.publish('md.quote.S0', { px: 1 });
    await publisher.flush();
    const { url } = await startServer(s.desk.stream!);
    const snapshotOf = (c: Client) => c.frames.find((f): f is Extract<ServerFrame, { op: 'snapshot' }> => f.op === 'snapshot');
    const first = await client(url, VIEWER, {});
    const second = await client(url, VIEWER, {});
    await until(() => snapshotOf(first) !== undefined && snapshotOf(second) !== undefined, 'both snapshots');
    expect(snapshotOf(second)).toEqual(snapshotOf(first));
    expect(snapshotOf(first)?.state['md.quote.S0']).toEqual({ px: 1 });

    publisher.publish('md.quote.S0', { px: 2 });
    publisher.publish('md.quote.S1', { px: 3 });
    await publisher.flush();
    const third = await client(url, VIEWER, {});
    await until(() => snapshotOf(third) !== undefined, 'the third snapshot');
    expect(snapshotOf(third)?.seq).toBe(publisher.head);
    expect(snapshotOf(third)?.state).toMatchObject({ 'md.quote.S0': { px: 2 }, 'md.quote.S1': { px: 3 } });
    // And the first two had the two messages live, after their snapshot.
    await until(() => first.last === publisher.head && second.last === publisher.head, 'the live messages');
    expect(first.gaps + second.gaps).toBe(0);
  });

  it('viewers asking for their own topics each get a snapshot of just those; the server keeps at most 8 encoded', async () => {
    const s = await startStreamDesk();
    const { publisher } = s.desk.stream!;
    for (let i = 0; i < 12; i++) publisher.publish(`md.quote.S${i}`, { i });
    await publisher.flush();
    const { server, url } = await startServer(s.desk.stream!);
    const viewers: Client[] = [];
    for (let i = 0; i < 12; i++) viewers.push(await client(url, VIEWER, { topics: [`md.quote.S${i}`] }));
    const snapshotOf = (c: Client) => c.frames.find((f): f is Extract<ServerFrame, { op: 'snapshot' }> => f.op === 'snapshot');
    await until(() => viewers.every((v) => snapshotOf(v) !== undefined), 'every snapshot');
    for (const [i, v] of viewers.entries()) expect(snapshotOf(v)?.state).toEqual({ [`md.quote.S${i}`]: { i } });
    expect((server as unknown as { snapshots: Map<string, unknown> }).snapshots.size).toBe(8);
  });

  it('refuses a share of the time outside (0, 1] with a clear error', () => {
    const options = { logger: createLogger({ level: 'silent' }), metrics: new Registry(), clock: systemClock, authorize: () => undefined };
    for (const deferredBusyShare of [0, -0.5, 1.5, Number.NaN]) expect(() => new StreamServer({ ...options, deferredBusyShare })).toThrow(/deferredBusyShare must be in \(0, 1\]/);
    expect(() => new StreamServer({ ...options, deferredBusyShare: 0.25 })).not.toThrow();
  });

  it('a deferred subscriber behind the round (frames lost on the way) is caught up from the journal, not skipped', async () => {
    const s = await startStreamDesk();
    const { publisher } = s.desk.stream!;
    const faults = streamFaults();
    const { url } = await startServer(s.desk.stream!, { coalesceMs: 10, faults });
    const viewer = await client(url, VIEWER, {});
    await until(() => viewer.last !== -1, 'the snapshot');
    const from = viewer.last;
    faults.loseFrames(3);
    for (let i = 0; i < 40; i++) publisher.publish('md.quote.S0', { i });
    await publisher.flush();
    const head = publisher.head;
    await until(
      () => viewer.last === head,
      () => `the viewer at ${viewer.last} of ${head}`,
    );
    expect(viewer.seqs).toEqual(range(from + 1, head));
    expect(viewer.gaps).toBe(0);
    // And it is live again: the next message comes in a round.
    publisher.publish('md.quote.S0', { i: 40 });
    await until(() => viewer.last === head + 1, 'the next live frame');
  });

  it('refuses a viewer replay over its span or rate with an error, keeps the connection, and serves one within them', async () => {
    const s = await startStreamDesk();
    const { publisher } = s.desk.stream!;
    for (let i = 0; i < 300; i++) publisher.publish('md.quote.S0', { i });
    await publisher.flush();
    const { url } = await startServer(s.desk.stream!, { maxViewerReplaySpan: 100, viewerReplaysPerMinute: 2 });
    const viewer = await client(url, VIEWER, {});
    await until(() => viewer.last !== -1, 'the snapshot');
    const errors = () => viewer.frames.filter((f): f is Extract<ServerFrame, { op: 'error' }> => f.op === 'error').map((f) => f.code);

    viewer.ws.send(encodeFrame({ op: 'replay', from: 1, to: 200 }));
    await until(() => errors().length === 1, 'the span refusal');
    expect(errors()).toEqual(['replay-too-large']);

    viewer.ws.send(encodeFrame({ op: 'replay', from: 1, to: 100 }));
    await until(() => viewer.seqs.length === 100, 'the first replay');
    viewer.ws.send(encodeFrame({ op: 'replay', from: 101, to: 150 }));
    await until(() => viewer.seqs.length === 150, 'the second replay');
    viewer.ws.send(encodeFrame({ op: 'replay', from: 151, to: 160 }));
    await until(() => errors().length === 2, 'the rate refusal');
    expect(errors()).toEqual(['replay-too-large', 'replay-rate']);
    expect(viewer.seqs).toEqual(range(1, 150));
    expect(viewer.ws.readyState).toBe(WebSocket.OPEN);

    // The trader's own subscriber has no such caps.
    const trader = await client(url, TRADER, {});
    await until(() => trader.last !== -1, 'the trader snapshot');
    for (const [from, to] of [
      [1, 200],
      [201, 250],
      [251, 260],
    ] as const) {
      trader.ws.send(encodeFrame({ op: 'replay', from, to }));
      await until(() => trader.seqs.length === to, `the trader replay to ${to}`);
    }
    expect(trader.frames.filter((f) => f.op === 'error')).toEqual([]);
  });

  it('describes its metrics without naming a transport (a share server has them too)', async () => {
    const metrics = new Registry();
    const server = new StreamServer({ logger: createLogger({ level: 'silent' }), metrics, clock: systemClock, authorize: () => undefined, metricPrefix: 'test_share_stream' });
    onTestFinished(() => server.close());
    const help = (await metrics.getMetricsAsJSON()).map((m) => `${m.name}: ${m.help}`);
    expect(help).toContain('test_share_stream_connections: Open stream connections.');
    for (const h of help) expect(h).not.toMatch(/IPC|desktop window/);
  });
});
