// Fan-out to many viewers over real TLS on loopback: 1,000 viewers receive every message with `prev`
// chaining (no gap), the trader's own subscriber too; a connection flood past the limits is refused
// while the viewers already in and the trader keep receiving.
import { connect as tcpConnect, type Socket } from 'node:net';
import type { Registry } from 'prom-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { VIEWER_TOKEN_PROTOCOL_PREFIX } from '../../src/shared';
import { STREAM_PROTOCOL, decodeFrames, encodeFrame, type DataFrame } from '../../src/shared/stream';
import { systemClock } from '../../src/main/clock';
import { createLogger } from '../../src/main/ops';
import { loadShareCertificate, ShareServer, ViewerTokens, type AddressGate, type ShareLimits } from '../../src/main/share';
import { startStreamDesk, subscribe, type TestStream } from '../support/stream';
import { until, untilAsync } from '../support/wait';

interface Tally {
  /** Data frames received since the snapshot. */
  count: number;
  last: number;
  gaps: number;
  closedWith: number | undefined;
  ready: boolean;
}

async function startShare(limits: Partial<ShareLimits>) {
  const s = await startStreamDesk();
  const tokens = await ViewerTokens.open(s.dataDir);
  onTestFinished(() => tokens.close());
  const certificate = await loadShareCertificate({ dataDir: s.dataDir });
  const server = new ShareServer({
    host: '127.0.0.1',
    port: 0,
    certificate,
    authority: tokens,
    logger: createLogger({ level: 'silent' }),
    metrics: s.desk.metrics,
    clock: systemClock,
    limits,
  });
  server.setSource(s.desk.stream);
  await server.start();
  onTestFinished(() => server.stop());
  const token = (await tokens.create({ scope: ['market'], ttlMs: 3_600_000, label: 'fan-out' })).token;
  return { s, server, token, ca: certificate.cert };
}

/** A viewer that only counts: its frames' `prev` must chain from its snapshot on. */
function countingViewer(port: number, token: string, ca: string, sockets: WebSocket[]): { tally: Tally; ready: Promise<void> } {
  const tally: Tally = { count: 0, last: -1, gaps: 0, closedWith: undefined, ready: false };
  const ws = new WebSocket(`wss://127.0.0.1:${port}/stream`, [STREAM_PROTOCOL, `${VIEWER_TOKEN_PROTOCOL_PREFIX}${token}`], { ca, perMessageDeflate: false });
  sockets.push(ws);
  const ready = new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('close', (code: number) => {
      tally.closedWith = code;
      reject(new Error(`closed with ${code}`));
    });
    ws.once('open', () => ws.send(encodeFrame({ op: 'hello' })));
    ws.on('message', (data: Buffer) => {
      for (const raw of decodeFrames(data)) {
        const f = raw as DataFrame | { op: 'snapshot'; seq: number };
        if (f.op === 'snapshot') {
          tally.last = f.seq;
          tally.ready = true;
          resolve();
        } else if (f.op === 'data') {
          if (f.prev !== tally.last) tally.gaps++;
          tally.last = f.seq;
          tally.count++;
        }
      }
    });
  });
  return { tally, ready };
}

async function openViewers(n: number, port: number, token: string, ca: string, concurrency = 50): Promise<Tally[]> {
  const sockets: WebSocket[] = [];
  onTestFinished(() => {
    for (const ws of sockets) ws.terminate();
  });
  const tallies: Tally[] = [];
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      const v = countingViewer(port, token, ca, sockets);
      tallies.push(v.tally);
      await v.ready;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return tallies;
}

/** Publishes `n` quotes, a few hundred per turn, as a busy market would. */
async function publishQuotes(s: TestStream, n: number): Promise<void> {
  const publisher = s.desk.stream!.publisher;
  for (let i = 0; i < n; i++) {
    publisher.publish(`md.quote.${i % 7}`, { bid: 100 + i / 100, i });
    // Load shaping, not synchronization: the quotes arrive over a stretch of turns.
    if (i % 200 === 199) await new Promise((r) => setImmediate(r));
  }
  await publisher.flush();
}

describe('share fan-out (real TLS, loopback)', () => {
  it('streams to 1,000 viewers with no gap while the trader’s own subscriber keeps up', { timeout: 180_000 }, async () => {
    const { s, server, token, ca } = await startShare({ maxConnectionsPerAddress: 1_100, connectionsPerSecond: 100_000 });
    const { port } = server.address();
    const trader = await subscribe(s);
    await until(() => trader.received.snapshots.length === 1, 'the trader’s snapshot');
    const viewers = await openViewers(1_000, port, token, ca);
    expect(server.status().viewers).toHaveLength(1_000);

    const N = 2_000;
    const traderBefore = trader.received.frames.length;
    await publishQuotes(s, N);
    await until(() => trader.received.frames.length - traderBefore === N, 'the trader’s messages', 60_000);
    await until(
      () => viewers.every((v) => v.count === N),
      () => `every viewer’s ${N} messages (slowest ${Math.min(...viewers.map((v) => v.count))})`,
      120_000,
    );
    expect(viewers.filter((v) => v.gaps > 0)).toEqual([]);
    expect(viewers.filter((v) => v.closedWith !== undefined)).toEqual([]);
    const metrics = await s.desk.metrics.metrics();
    expect(metrics).toMatch(/dualdesk_share_viewers 1000/);
  });

  it('refuses a connection flood past the limits while the viewers already in and the trader keep receiving', { timeout: 120_000 }, async () => {
    // A long handshake allowance: a flood connection let in stays counted by the gate while the test looks.
    const { s, server, token, ca } = await startShare({ maxConnectionsPerAddress: 20, connectionsPerSecond: 10, handshakeTimeoutMs: 60_000 });
    const { port } = server.address();
    const trader = await subscribe(s);
    await until(() => trader.received.snapshots.length === 1, 'the trader’s snapshot');
    const viewers = await openViewers(5, port, token, ca, 5);
    const refusedBefore = await refusals(s.desk.metrics);
    // The gate's count of open connections from the flood's address (the server's own bookkeeping, no timer).
    const gate = (server as unknown as { gate: AddressGate }).gate;

    // The flood comes from another address: 300 TCP connections at once, most never get to TLS.
    const FLOOD = 300;
    const flood: Socket[] = [];
    onTestFinished(() => {
      for (const socket of flood) socket.destroy();
    });
    let floodClosed = 0;
    for (let i = 0; i < FLOOD; i++) {
      const socket = tcpConnect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
      flood.push(socket);
      socket.on('error', () => undefined);
      socket.once('close', () => floodClosed++);
    }

    const N = 1_000;
    const traderBefore = trader.received.frames.length;
    await publishQuotes(s, N);
    // Every flood connection judged: refused (counted) or let in (held open by the gate).
    let refused = 0;
    await untilAsync(async () => {
      refused = (await refusals(s.desk.metrics)) - refusedBefore;
      return refused + gate.openFrom('127.0.0.2') === FLOOD;
    }, 'every flood connection refused or let in');
    expect(refused).toBeGreaterThanOrEqual(290);
    expect(gate.openFrom('127.0.0.2')).toBeLessThanOrEqual(10);
    // Each refusal is a connection closed on the flooder.
    await until(
      () => floodClosed >= refused,
      () => `the refused connections closed (${floodClosed} of ${refused})`,
    );
    await until(() => trader.received.frames.length - traderBefore === N, 'the trader’s messages');
    await until(() => viewers.every((v) => v.count === N), 'the viewers’ messages');
    expect(viewers.filter((v) => v.gaps > 0 || v.closedWith !== undefined)).toEqual([]);
    const metrics = await s.desk.metrics.metrics();
    expect(Number(/dualdesk_share_refusals_total\{reason="rate-limit"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(290);
  });
});

/** Connections the share server refused at the door (too fast, too many from one address). */
async function refusals(metrics: Registry): Promise<number> {
  const counter = metrics.getSingleMetric('dualdesk_share_refusals_total');
  if (!counter) return 0;
  const { values } = await counter.get();
  return values.filter((v) => v.labels['reason'] === 'rate-limit' || v.labels['reason'] === 'address-limit').reduce((sum, v) => sum + v.value, 0);
}
