// Shared by the stream benchmarks: the publisher side (DualDesk's journal + publisher + StreamServer on
// a node:http server, or a bare `ws` server loop sending the same encoded frames), a quote-sized
// payload, two publishing drivers (saturating and paced) and the subscriber child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { WebSocketServer, type WebSocket } from 'ws';
import { encodeBatch, encodeFrame } from '../../src/shared/stream';
import { systemClock } from '../../src/main/clock';
import { createLogger } from '../../src/main/ops';
import { createStreamMetrics, StreamJournal, StreamPublisher, StreamServer, type StreamMetrics } from '../../src/main/transport';
import { streamFaults } from '../../test/support/faults';

/** Epoch milliseconds with sub-millisecond resolution (the same clock in every process, up to the measured offset). */
export const now = (): number => performance.timeOrigin + performance.now();
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
export const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));
export const silent = createLogger({ level: 'silent' });

export const TOKEN = 'bench-token-0123456789abcdef';
const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'SPY', 'GOOG', 'META', 'TSLA', 'QQQ', 'IWM'];

/** A quote, about 108 bytes of msgpack (the data frame around it is about 192). `t`: send time for the latency measurement. */
export function quote(i: number): { topic: string; data: Record<string, number | string> } {
  const symbol = SYMBOLS[i % SYMBOLS.length] as string;
  const px = 100 + (i % 997) / 100;
  return {
    topic: `md.quote.${symbol}`,
    data: { symbol, bid: px, ask: px + 0.02, bidSize: 300 + (i % 7) * 100, askSize: 500, last: px + 0.01, lastSize: 100, volume: 1_000_000 + i, t: now() },
  };
}

/** Where the benchmark publishes: `emit(n)` sends n quotes now; `room()` says whether more may go; `progress()` resolves when room may have appeared. */
export interface Sink {
  emit(n: number): void;
  room(): boolean;
  progress(): Promise<void>;
  /** The seq of the last message emitted. */
  readonly issued: number;
}

/** Messages per turn of the event loop when saturating (the same for DualDesk and the baseline). */
export const CHUNK = 1_000;

/** Publishes CHUNK messages per turn of the event loop while the sink has room, until `stop()` is true. */
export async function saturate(sink: Sink, stop: () => boolean): Promise<void> {
  while (!stop()) {
    if (sink.room()) {
      sink.emit(CHUNK);
      await nextTurn();
    } else {
      await sink.progress();
    }
  }
}

/** Publishes exactly `n` messages as fast as the sink takes them (CHUNK per turn while it has room). */
export async function publishCount(sink: Sink, n: number): Promise<void> {
  const target = sink.issued + n;
  while (sink.issued < target) {
    if (sink.room()) {
      sink.emit(Math.min(CHUNK, target - sink.issued));
      await nextTurn();
    } else {
      await sink.progress();
    }
  }
}

/** A steady background flow at `rate` msg/s (1 ms ticks) until stopped. */
export function steadyFlow(sink: Sink, rate: number): { stop(): Promise<void> } {
  let on = true;
  const done = (async () => {
    const t0 = now();
    let sent = 0;
    while (on) {
      const due = Math.floor(((now() - t0) * rate) / 1000);
      if (due > sent) {
        sink.emit(due - sent);
        sent = due;
      }
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

/** Polls `check` every `everyMs` (for state that has no event); resolves with the time it was first seen to hold. */
export async function pollUntil(check: () => boolean, what: string, timeoutMs = 30_000, everyMs = 1): Promise<number> {
  const deadline = now() + timeoutMs;
  for (;;) {
    const t = now();
    if (check()) return t;
    if (t > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Publishes at `rate` msg/s for `ms`: every ~1 ms timer tick, what has fallen due goes as one batch. */
export async function paced(sink: Sink, rate: number, ms: number): Promise<number> {
  const t0 = now();
  let sent = 0;
  for (;;) {
    const elapsed = now() - t0;
    if (elapsed >= ms) return sent;
    const due = Math.floor((elapsed * rate) / 1000);
    if (due > sent) {
      sink.emit(due - sent);
      sent = due;
    }
    await sleep(1);
  }
}

// --- DualDesk ---------------------------------------------------------------------------------

export interface DeskStream {
  readonly journal: StreamJournal;
  readonly publisher: StreamPublisher;
  readonly server: StreamServer;
  /** The server's fault drill: drops and lost frames on demand. */
  readonly faults: ReturnType<typeof streamFaults>;
  readonly publisherMetrics: StreamMetrics;
  readonly url: string;
  readonly sink: Sink;
  /** Takes the WebSocket server away (true: every upgrade is refused by destroying its socket) or brings it back. */
  setDown(down: boolean): void;
  close(): Promise<void>;
}

/** Messages published but not yet committed, beyond which the saturating driver waits for a commit. */
const MAX_IN_FLIGHT = 20_000;

export async function startDeskStream(file: string): Promise<DeskStream> {
  const journal = await StreamJournal.open(file);
  const publisherMetrics = createStreamMetrics(new Registry());
  const publisher = new StreamPublisher({ journal, clock: systemClock, logger: silent, metrics: publisherMetrics });
  const faults = streamFaults();
  const server = new StreamServer({ logger: silent, metrics: new Registry(), clock: systemClock, authorize: (t) => (t === TOKEN ? { who: 'bench' } : undefined), faults });
  server.setSource({ journal, publisher });
  let down = false;
  const http = createServer((_req, res) => res.writeHead(404).end());
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (down || url.pathname !== '/stream') {
      socket.destroy();
      return;
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    server.handleUpgrade(req, socket, head, bearer);
  });
  const port = await listen(http);
  let issued = publisher.head;
  let refused = 0;
  const sink: Sink = {
    emit(n) {
      for (let k = 0; k < n; k++) {
        const q = quote(issued + 1);
        if (publisher.publish(q.topic, q.data) === undefined) refused++;
        else issued++;
      }
      if (refused > 0) throw new Error(`the publisher refused ${refused} messages`);
    },
    room: () => issued - publisher.head < MAX_IN_FLIGHT,
    progress: () =>
      new Promise((resolve) => {
        const off = publisher.onCommitted(() => {
          off();
          resolve();
        });
      }),
    get issued() {
      return issued;
    },
  };
  return {
    journal,
    publisher,
    server,
    faults,
    publisherMetrics,
    url: `ws://127.0.0.1:${port}/stream`,
    sink,
    setDown(value) {
      down = value;
    },
    async close() {
      await server.close();
      await new Promise((r) => http.close(r));
      await publisher.close();
      await journal.close();
    },
  };
}

// --- the baseline: a bare ws server loop ---------------------------------------------------------

export interface BareStream {
  readonly url: string;
  /** Resolves with the sink once the (one) client has connected. */
  readonly connected: Promise<Sink>;
  close(): Promise<void>;
}

const HIGH_WATER = 4 * 1024 * 1024;
const LOW_WATER = 512 * 1024;

/**
 * The floor of any WebSocket publisher: frames built like DualDesk's (same fields, same msgpack
 * encoder, same batch framing), one batch per emit, straight to the socket; no sequencer state,
 * journal, snapshot or fan-out bookkeeping. Stops generating above the same 4 MiB socket backlog.
 */
export async function startBareStream(): Promise<BareStream> {
  const epoch = randomBytes(9).toString('base64url');
  const http = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  let client!: (ws: WebSocket) => void;
  const first = new Promise<WebSocket>((r) => (client = r));
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => client(ws));
  });
  const port = await listen(http);
  const connected = first.then((ws): Sink => {
    let seq = 0;
    let waiters: (() => void)[] = [];
    const flushed = () => {
      if (waiters.length > 0 && ws.bufferedAmount < LOW_WATER) {
        const w = waiters;
        waiters = [];
        for (const r of w) r();
      }
    };
    return {
      emit(n) {
        const frames: Uint8Array[] = [];
        for (let k = 0; k < n; k++) {
          seq++;
          const q = quote(seq);
          frames.push(encodeFrame({ op: 'data', epoch, seq, prev: seq - 1, ts: Date.now(), topic: q.topic, data: q.data }));
        }
        ws.send(encodeBatch(frames), { binary: true }, flushed);
      },
      room: () => ws.bufferedAmount < HIGH_WATER,
      progress: () => new Promise<void>((r) => waiters.push(r)),
      get issued() {
        return seq;
      },
    };
  });
  return {
    url: `ws://127.0.0.1:${port}/stream`,
    connected,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      await new Promise((r) => wss.close(r));
      await new Promise((r) => http.close(r));
    },
  };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

// --- the subscriber child process --------------------------------------------------------------

/** 'socketio': a socket.io-client with the msgpack parser (the Socket.IO baseline, see ./socketio-rig.ts). */
export type SubscriberKind = 'dualdesk' | 'bare' | 'socketio';

export type ChildCommand =
  | { readonly type: 'pong'; readonly t1: number }
  | { readonly type: 'connect'; readonly id: number; readonly kind: SubscriberKind; readonly url: string; readonly token: string }
  | { readonly type: 'mark'; readonly id: number }
  | { readonly type: 'report'; readonly id: number }
  | { readonly type: 'await-seq'; readonly id: number; readonly seq: number }
  | { readonly type: 'disconnect'; readonly id: number };

export interface ChildReport {
  readonly type: 'report';
  readonly id: number;
  /** Messages delivered since the mark, over elapsedMs (the child's clock). */
  readonly delivered: number;
  readonly elapsedMs: number;
  /** Publish → delivered to the subscriber's callback, ms, over the messages since the mark. */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly lastSeq: number;
  /** Deliveries whose seq was not the previous one + 1 (a loss or a duplicate). */
  readonly violations: number;
}

export type ChildReply =
  | { readonly type: 'ping'; readonly t0: number }
  | { readonly type: 'ready'; readonly offsetMs: number; readonly rttMs: number }
  | { readonly type: 'ok'; readonly id: number }
  | ChildReport;

type Request = ChildCommand extends infer C ? (C extends { id: number } ? Omit<C, 'id'> : never) : never;

/** The subscriber in its own process (its own core): connect, mark a window, report on it. */
export class SubscriberChild {
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: ChildReply) => void>();

  private constructor(
    private readonly child: ChildProcess,
    /** The clock offset measured at start and its round trip (what bounds its error). */
    readonly calibration: { readonly offsetMs: number; readonly rttMs: number },
  ) {
    child.on('message', (m: ChildReply) => {
      if (m.type === 'ok' || m.type === 'report') {
        const w = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        w?.(m);
      }
    });
  }

  static async start(): Promise<SubscriberChild> {
    const script = fileURLToPath(new URL('./stream-subscriber.ts', import.meta.url));
    // BENCH_SUBSCRIBER_NODE_ARGS: extra Node flags for the child, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof'.
    const extra = (process.env['BENCH_SUBSCRIBER_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
    const child = spawn(process.execPath, [...extra, '--import', 'tsx', script], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const calibration = await new Promise<{ offsetMs: number; rttMs: number }>((resolve, reject) => {
      const on = (m: ChildReply) => {
        if (m.type === 'ping') child.send({ type: 'pong', t1: now() } satisfies ChildCommand);
        else if (m.type === 'ready') {
          child.off('message', on);
          resolve(m);
        }
      };
      child.on('message', on);
      child.once('exit', (code) => reject(new Error(`the subscriber child exited (${code}) before it was ready`)));
    });
    child.on('exit', (code) => {
      if (code !== 0 && code !== null) process.stderr.write(`the subscriber child exited with code ${code}\n`);
    });
    return new SubscriberChild(child, calibration);
  }

  connect(kind: SubscriberKind, url: string): Promise<void> {
    return this.call({ type: 'connect', kind, url, token: TOKEN }).then(() => undefined);
  }

  mark(): Promise<void> {
    return this.call({ type: 'mark' }).then(() => undefined);
  }

  report(): Promise<ChildReport> {
    return this.call({ type: 'report' }) as Promise<ChildReport>;
  }

  /** Resolves once the subscriber has delivered `seq`; rejects after `timeoutMs`. */
  async awaitSeq(seq: number, timeoutMs = 30_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the subscriber did not reach seq ${seq} within ${timeoutMs} ms`)), timeoutMs)));
    try {
      await Promise.race([this.call({ type: 'await-seq', seq }), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  disconnect(): Promise<void> {
    return this.call({ type: 'disconnect' }).then(() => undefined);
  }

  stop(): void {
    this.child.disconnect();
  }

  private call(request: Request): Promise<ChildReply> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.send({ ...request, id });
    });
  }
}
