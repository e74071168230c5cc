// A child process for the stream benchmarks: one subscriber connection on its own core, either
// DualDesk's HybridSubscriber, a bare `ws` client decoding the same msgpack frames, or a socket.io-client
// with the msgpack parser receiving them one event each. Driven over the
// IPC channel (see StreamSubscriberChild in ./stream-rig.ts); it counts delivered messages, checks
// that seqs are consecutive, and measures each message's latency from the publisher's high-resolution
// send time carried in the payload (`data.t`), corrected by the clock offset measured at start.
import { io } from 'socket.io-client';
import * as msgpackParser from 'socket.io-msgpack-parser';
import WebSocket from 'ws';
import { decodeFrames, type DataFrame } from '../../src/shared/stream';
import { createLogger } from '../../src/main/ops';
import { HybridSubscriber } from '../../src/main/transport';
import type { ChildCommand, ChildReply } from './stream-rig';

const now = (): number => performance.timeOrigin + performance.now();
const send = (m: ChildReply): void => {
  process.send?.(m);
};

/** The parent's clock minus ours (ms), from the IPC round trip with the smallest delay. */
let offsetMs = 0;
let latencies = new Float64Array(1 << 20);
let samples = 0;
let delivered = 0;
let violations = 0;
let lastSeq = -1;
let markAt = now();
let markDelivered = 0;
let seqWaiters: { seq: number; id: number }[] = [];
let close: (() => Promise<void>) | undefined;

function onFrame(f: DataFrame): void {
  if (lastSeq >= 0 && f.seq !== lastSeq + 1) violations++;
  lastSeq = f.seq;
  delivered++;
  const t = (f.data as { t?: number } | null)?.t;
  if (typeof t === 'number') {
    if (samples === latencies.length) {
      const bigger = new Float64Array(latencies.length * 2);
      bigger.set(latencies);
      latencies = bigger;
    }
    latencies[samples++] = now() + offsetMs - t;
  }
  if (seqWaiters.length > 0 && seqWaiters.some((w) => w.seq <= f.seq)) {
    for (const w of seqWaiters) if (w.seq <= f.seq) send({ type: 'ok', id: w.id });
    seqWaiters = seqWaiters.filter((w) => w.seq > f.seq);
  }
}

function connectBare(url: string, token: string): Promise<() => Promise<void>> {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
  ws.binaryType = 'nodebuffer';
  ws.on('message', (data: Buffer) => {
    for (const f of decodeFrames(data)) if ((f as DataFrame).op === 'data') onFrame(f as DataFrame);
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () =>
      resolve(async () => {
        const closed = new Promise((r) => ws.once('close', r));
        ws.close();
        await closed;
      }),
    );
    ws.once('error', reject);
  });
}

function connectSocketIo(url: string, token: string): Promise<() => Promise<void>> {
  const socket = io(url, { transports: ['websocket'], parser: msgpackParser, auth: { token }, reconnection: false, forceNew: true });
  socket.on('m', (f: DataFrame) => onFrame(f)); // SOCKETIO_EVENT in ./socketio-rig.ts
  return new Promise((resolve, reject) => {
    socket.once('connect', () =>
      resolve(async () => {
        const closed = new Promise((r) => socket.once('disconnect', r));
        socket.disconnect();
        await closed;
      }),
    );
    socket.once('connect_error', reject);
  });
}

async function connectDualDesk(url: string, token: string): Promise<() => Promise<void>> {
  let joined!: () => void;
  const snapshot = new Promise<void>((r) => (joined = r));
  const subscriber = new HybridSubscriber({
    url,
    token,
    logger: createLogger({ level: 'silent' }),
    onMessage: onFrame,
    onSnapshot: (s) => {
      lastSeq = s.seq;
      joined();
    },
  });
  await subscriber.start();
  await snapshot;
  return () => subscriber.stop();
}

async function handle(m: ChildCommand): Promise<void> {
  switch (m.type) {
    case 'connect': {
      lastSeq = -1;
      violations = 0;
      const connect = { bare: connectBare, socketio: connectSocketIo, dualdesk: connectDualDesk }[m.kind];
      close = await connect(m.url, m.token);
      send({ type: 'ok', id: m.id });
      return;
    }
    case 'mark':
      markAt = now();
      markDelivered = delivered;
      samples = 0;
      send({ type: 'ok', id: m.id });
      return;
    case 'report': {
      const elapsedMs = now() - markAt;
      const sorted = latencies.slice(0, samples).sort();
      const q = (p: number) => (samples === 0 ? Number.NaN : (sorted[Math.min(samples - 1, Math.max(0, Math.ceil(p * samples) - 1))] as number));
      send({ type: 'report', id: m.id, delivered: delivered - markDelivered, elapsedMs, p50: q(0.5), p99: q(0.99), max: q(1), lastSeq, violations });
      return;
    }
    case 'await-seq':
      if (lastSeq >= m.seq) send({ type: 'ok', id: m.id });
      else seqWaiters.push({ seq: m.seq, id: m.id });
      return;
    case 'disconnect':
      await close?.();
      close = undefined;
      send({ type: 'ok', id: m.id });
      return;
    case 'pong':
      return; // handled by calibrate()
  }
}

/** NTP-style: the parent stamps its clock between our send and receive; the fastest round trip wins. */
async function calibrate(rounds: number): Promise<{ offsetMs: number; rttMs: number }> {
  let best = { offsetMs: 0, rttMs: Number.POSITIVE_INFINITY };
  for (let i = 0; i < rounds; i++) {
    const t0 = now();
    const t1 = await new Promise<number>((resolve) => {
      const on = (m: ChildCommand) => {
        if (m.type === 'pong') {
          process.off('message', on);
          resolve(m.t1);
        }
      };
      process.on('message', on);
      send({ type: 'ping', t0 });
    });
    const t2 = now();
    if (t2 - t0 < best.rttMs) best = { offsetMs: t1 - (t0 + t2) / 2, rttMs: t2 - t0 };
  }
  return best;
}

const calibration = await calibrate(200);
offsetMs = calibration.offsetMs;
process.on('message', (m: ChildCommand) => {
  handle(m).catch((err: unknown) => {
    process.stderr.write(`stream-subscriber: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', ...calibration });
