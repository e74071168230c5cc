// The share benchmarks' rigs: the viewer swarm child (./viewer-swarm.ts) and the baseline, a naive
// `ws` broadcast over TLS 1.3 — each message encoded once, then `send` to every client in a loop, as
// a first server of this kind is written.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import { encodeBatch, encodeFrame } from '../../src/shared/stream';
import { systemClock } from '../../src/main/clock';
import { ShareServer, type ShareCertificate, type ShareServerOptions, type ViewerAuthority, type ViewerWindow } from '../../src/main/share';
import type { StreamFeed } from '../../src/main/transport';
import { now, quote, silent } from './stream-rig';
import { fmt } from './stats';

/** A share server for a benchmark on loopback, started on the stream: limits raised for a thousand viewers from one address. */
export async function startBenchShare(
  certificate: ShareCertificate,
  authority: ViewerAuthority,
  source: StreamFeed,
  options: Pick<ShareServerOptions, 'viewerWindow' | 'viewerFragmentBytes'> & { maxPerAddress?: number } = {},
): Promise<ShareServer> {
  const { maxPerAddress = 2_000, ...rest } = options;
  const share = new ShareServer({
    host: '127.0.0.1',
    port: 0,
    certificate,
    authority,
    logger: silent,
    metrics: new Registry(),
    clock: systemClock,
    limits: { maxConnectionsPerAddress: maxPerAddress, connectionsPerSecond: 10_000 },
    ...rest,
  });
  share.setSource(source);
  await share.start();
  return share;
}

/** A viewer window written minMs:busyShare (BENCH_SHARE_WINDOWS, BENCH_RELAY_WINDOW); `knob` names it in the error. */
export function parseViewerWindow(raw: string, knob: string): ViewerWindow {
  const [minMs, busyShare] = raw.split(':').map(Number);
  if (minMs === undefined || busyShare === undefined || !(minMs >= 0) || !(busyShare > 0 && busyShare <= 1))
    throw new Error(`${knob}: "${raw}" is not minMs:busyShare (busyShare in (0, 1])`);
  return { minMs, busyShare };
}

export type SwarmCommand =
  | { readonly type: 'pong'; readonly t1: number }
  | { readonly type: 'connect'; readonly id: number; readonly url: string; readonly n: number; readonly token?: string; readonly dualdesk: boolean; readonly concurrency: number }
  | { readonly type: 'mark'; readonly id: number }
  | { readonly type: 'report'; readonly id: number }
  | { readonly type: 'disconnect'; readonly id: number };

/** The columns every viewer-latency table shares, and a round's cells for them (`gaps` '—' where the protocol has none). */
export const SWARM_COLUMNS: readonly string[] = ['delivered', 'stream messages per WebSocket message', 'p50 ms', 'p99 ms', 'max ms', "viewers' longest stall ms", 'gaps'];

export function swarmCells(r: SwarmReport, expected: number, withGaps = true): (string | number)[] {
  return [`${r.delivered} / ${expected}`, fmt(r.delivered / Math.max(1, r.messages), 2), fmt(r.p50, 2), fmt(r.p99, 2), fmt(r.max, 2), fmt(r.stallMs, 0), withGaps ? r.gaps : '—'];
}

export interface SwarmReport {
  readonly type: 'report';
  readonly id: number;
  /** Messages delivered (summed over every viewer) since the mark. */
  readonly delivered: number;
  /** WebSocket messages received since the mark (delivered / messages: stream messages per WebSocket message). */
  readonly messages: number;
  readonly elapsedMs: number;
  /** The viewers' process CPU time since the mark, ms. */
  readonly cpuMs: number;
  /** Mark → arrival of the last data frame since it, at any viewer (NaN: none arrived). */
  readonly lastMs: number;
  /** Publish → arrival at a viewer, ms, over every viewer's messages since the mark. */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** DualDesk viewers: frames whose prev did not chain (must be 0). */
  readonly gaps: number;
  /** The viewers' process: how late, at most, a 5 ms timer fired (its event loop busy or off the CPU), ms. */
  readonly stallMs: number;
  readonly open: number;
  readonly closeCodes: Record<string, number>;
}

export type SwarmReply =
  | { readonly type: 'ping'; readonly t0: number }
  | { readonly type: 'ready'; readonly offsetMs: number; readonly rttMs: number }
  | { readonly type: 'ok'; readonly id: number }
  | SwarmReport;

type Request = SwarmCommand extends infer C ? (C extends { id: number } ? Omit<C, 'id'> : never) : never;

/** The viewers, in their own process (their own core). */
export class ViewerSwarm {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (r: SwarmReply) => void; reject: (e: Error) => void }>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: SwarmReply) => {
      if (m.type === 'ok' || m.type === 'report') {
        const w = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        w?.resolve(m);
      }
    });
    child.on('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`the viewer swarm exited (${code})`));
      this.waiting.clear();
    });
  }

  static async start(): Promise<ViewerSwarm> {
    const script = fileURLToPath(new URL('./viewer-swarm.ts', import.meta.url));
    // BENCH_SWARM_PROFILE=<dir>: a CPU profile of the viewers' side (is the swarm the bottleneck?).
    const profile = process.env['BENCH_SWARM_PROFILE'];
    const flags = profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : [];
    const child = spawn(process.execPath, [...flags, '--import', 'tsx', script], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise<void>((resolve, reject) => {
      const on = (m: SwarmReply) => {
        if (m.type === 'ping') child.send({ type: 'pong', t1: now() } satisfies SwarmCommand);
        else if (m.type === 'ready') {
          child.off('message', on);
          resolve();
        }
      };
      child.on('message', on);
      child.once('exit', (code) => reject(new Error(`the viewer swarm exited (${code}) before it was ready`)));
    });
    return new ViewerSwarm(child);
  }

  /** Opens `n` viewers, `concurrency` handshakes at a time; resolves once all are open (DualDesk: with their snapshot). */
  connect(url: string, n: number, options: { token?: string; dualdesk: boolean; concurrency?: number }): Promise<void> {
    return this.call({
      type: 'connect',
      url,
      n,
      dualdesk: options.dualdesk,
      concurrency: options.concurrency ?? 20,
      ...(options.token === undefined ? {} : { token: options.token }),
    }).then(() => undefined);
  }

  mark(): Promise<void> {
    return this.call({ type: 'mark' }).then(() => undefined);
  }

  report(): Promise<SwarmReport> {
    return this.call({ type: 'report' }) as Promise<SwarmReport>;
  }

  disconnect(): Promise<void> {
    return this.call({ type: 'disconnect' }).then(() => undefined);
  }

  stop(): void {
    this.child.disconnect();
  }

  private call(request: Request): Promise<SwarmReply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.send({ ...request, id });
    });
  }
}

export interface NaiveBroadcast {
  readonly url: string;
  readonly clients: () => number;
  /** Sends n quotes now, each to every client. */
  emit(n: number): void;
  close(): Promise<void>;
}

/** The baseline: HTTPS + `ws` (TLS 1.3), one data frame per message, sent to each client in turn. */
export async function startNaiveBroadcast(tls: { cert: string; key: string }): Promise<NaiveBroadcast> {
  const https = createServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.3' }, (_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server: https, path: '/stream', perMessageDeflate: false });
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  const port = (https.address() as AddressInfo).port;
  let seq = 0;
  return {
    url: `wss://127.0.0.1:${port}/stream`,
    clients: () => wss.clients.size,
    emit(n) {
      for (let k = 0; k < n; k++) {
        seq++;
        const q = quote(seq);
        const bytes = encodeBatch([encodeFrame({ op: 'data', epoch: 'naive', seq, prev: seq - 1, ts: Date.now(), topic: q.topic, data: q.data })]);
        for (const c of wss.clients) c.send(bytes);
      }
    },
    async close() {
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => wss.close(r));
      https.closeAllConnections();
      await new Promise((r) => https.close(r));
    },
  };
}
