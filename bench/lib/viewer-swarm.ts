// A child process for the share benchmarks: many viewer connections over TLS on its own core, either
// DualDesk viewers (the stream's protocol: a token in the `bearer.` subprotocol, a hello, data frames
// whose `prev` must chain) or clients of a naive `ws` broadcast (no protocol: every data frame counted).
// Latency is each message's publish time (`data.t`, the parent's clock) to its arrival here, corrected
// by the clock offset measured at start; samples are taken from every viewer.
import WebSocket from 'ws';
import { decodeFrames, encodeFrame, STREAM_PROTOCOL, type DataFrame } from '../../src/shared/stream';
import { VIEWER_TOKEN_PROTOCOL_PREFIX } from '../../src/shared';
import type { SwarmCommand, SwarmReply } from './share-rig';

const now = (): number => performance.timeOrigin + performance.now();
const send = (m: SwarmReply): void => {
  process.send?.(m);
};

let offsetMs = 0;
let latencies = new Float64Array(1 << 20);
let samples = 0;
let delivered = 0;
/** WebSocket messages received (each a TLS record or more): delivered / messages is the batching. */
let messages = 0;
let markMessages = 0;
let markDelivered = 0;
let markAt = now();
/** This process's CPU time at the mark (its own share of the machine while it reads). */
let markCpu = process.cpuUsage();
/** Arrival of the last data frame (any viewer): `lastMs` in a report is its distance from the mark. */
let lastAt = Number.NaN;
/** Data frames whose prev did not chain to the viewer's previous frame (a loss or a duplicate). */
let gaps = 0;
/** How late, at most, a 5 ms timer fired in this process since the mark: latency that is the viewers' own. */
let stallMs = 0;
const TICK_MS = 5;
let tickAt = performance.now();
setInterval(() => {
  const t = performance.now();
  stallMs = Math.max(stallMs, t - tickAt - TICK_MS);
  tickAt = t;
}, TICK_MS).unref();
const sockets = new Set<WebSocket>();
const closeCodes = new Map<number, number>();

function sample(t: unknown): void {
  if (typeof t !== 'number') return;
  if (samples === latencies.length) {
    const bigger = new Float64Array(latencies.length * 2);
    bigger.set(latencies);
    latencies = bigger;
  }
  latencies[samples++] = now() + offsetMs - t;
}

/** Opens one viewer; resolves once it is open (and, for DualDesk, has its snapshot). */
function open(url: string, token: string | undefined, dualdesk: boolean): Promise<void> {
  const protocols = dualdesk && token !== undefined ? [STREAM_PROTOCOL, `${VIEWER_TOKEN_PROTOCOL_PREFIX}${token}`] : [];
  // The bench's certificate is self-signed: the viewer pins nothing (it measures, it does not check).
  const ws = new WebSocket(url, protocols, { rejectUnauthorized: false, perMessageDeflate: false });
  ws.binaryType = 'nodebuffer';
  sockets.add(ws);
  let last = -1;
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('close', (code) => {
      sockets.delete(ws);
      closeCodes.set(code, (closeCodes.get(code) ?? 0) + 1);
      reject(new Error(`closed with ${code} before it was ready`));
    });
    ws.once('open', () => {
      if (!dualdesk) resolve();
      else ws.send(encodeFrame({ op: 'hello' }));
    });
    ws.on('message', (data: Buffer) => {
      messages++;
      for (const raw of decodeFrames(data)) {
        const f = raw as DataFrame | { op: 'snapshot'; seq: number };
        if (f.op === 'snapshot') {
          last = f.seq;
          resolve();
        } else if (f.op === 'data') {
          if (dualdesk && last >= 0 && f.prev !== last) gaps++;
          last = f.seq;
          delivered++;
          lastAt = now();
          sample((f.data as { t?: number } | null)?.t);
        }
      }
    });
  });
}

async function connect(url: string, n: number, token: string | undefined, dualdesk: boolean, concurrency: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      await open(url, token, dualdesk);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
}

async function handle(m: SwarmCommand): Promise<void> {
  switch (m.type) {
    case 'connect':
      await connect(m.url, m.n, m.token, m.dualdesk, m.concurrency);
      send({ type: 'ok', id: m.id });
      return;
    case 'mark':
      markAt = now();
      markCpu = process.cpuUsage();
      lastAt = Number.NaN;
      markDelivered = delivered;
      markMessages = messages;
      samples = 0;
      gaps = 0;
      stallMs = 0;
      send({ type: 'ok', id: m.id });
      return;
    case 'report': {
      const sorted = latencies.slice(0, samples).sort();
      const q = (p: number) => (samples === 0 ? Number.NaN : (sorted[Math.min(samples - 1, Math.max(0, Math.ceil(p * samples) - 1))] as number));
      send({
        type: 'report',
        id: m.id,
        delivered: delivered - markDelivered,
        messages: messages - markMessages,
        elapsedMs: now() - markAt,
        cpuMs: cpuMsSince(markCpu),
        lastMs: lastAt - markAt,
        p50: q(0.5),
        p99: q(0.99),
        max: q(1),
        gaps,
        stallMs,
        open: sockets.size,
        closeCodes: Object.fromEntries(closeCodes),
      });
      return;
    }
    case 'disconnect': {
      const closing = [...sockets].map((ws) => new Promise((r) => ws.once('close', r)));
      for (const ws of sockets) ws.terminate();
      await Promise.all(closing);
      closeCodes.clear();
      send({ type: 'ok', id: m.id });
      return;
    }
    case 'pong':
      return;
  }
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1000;
}

/** NTP-style, as the stream subscriber child does: the fastest IPC round trip gives the offset. */
async function calibrate(rounds: number): Promise<{ offsetMs: number; rttMs: number }> {
  let best = { offsetMs: 0, rttMs: Number.POSITIVE_INFINITY };
  for (let i = 0; i < rounds; i++) {
    const t0 = now();
    const t1 = await new Promise<number>((resolve) => {
      const on = (m: SwarmCommand) => {
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
process.on('message', (m: SwarmCommand) => {
  handle(m).catch((err: unknown) => {
    process.stderr.write(`viewer-swarm: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', ...calibration });
