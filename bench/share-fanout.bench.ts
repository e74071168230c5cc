// Sharing the stream with remote viewers: fan-out to 100 and 1,000 TLS viewers at 100 msg/s through
// the share server (src/main/share: token check, scope filter, one encode per view, chunked fan-out),
// beside a naive `ws` broadcast of the same frames over TLS 1.3 (the baseline), in the same run. The
// viewers run in their own process (bench/lib/viewer-swarm.ts); latency is publish → arrival at a
// viewer over every viewer's messages. Memory per idle viewer: each server alone in a fresh process
// (bench/lib/share-memory-server.ts), its resident set after full GCs before and after 1,000 viewers
// connect, divided by 1,000. Then the trader's order round trip (placeOrder
// command answered, a real desk on the simulator in its own process) with no viewers and with 1,000
// viewers of the desk's own stream, alternated, so "unchanged" is measured, not assumed.
//
// BENCH_SHARE_SECONDS (20; --quick 6) per round, BENCH_SHARE_ORDERS (200; --quick 60) per round.
// BENCH_SHARE_WINDOWS="25:1,…": more DualDesk share servers in the same rounds, each batching viewers'
// messages with its own window (minMs:busyShare; the shipped one is VIEWER_WINDOW), to compare settings side by side.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDesk, loadConfig } from '../src/main/app';
import type { CreatedViewerToken, ShareStatus } from '../src/shared';
import { createLogger } from '../src/main/ops';
import { loadShareCertificate, VIEWER_WINDOW, ViewerTokens, type ShareServer, type ViewerWindow } from '../src/main/share';
import { builtScript } from './lib/built';
import { knob, report } from './lib/report';
import type { MemoryServerKind, MemoryServerReply } from './lib/share-memory-server';
import { parseViewerWindow, startBenchShare, startNaiveBroadcast, SWARM_COLUMNS, swarmCells, ViewerSwarm, type SwarmReport } from './lib/share-rig';
import { fmt, median, quantile, table } from './lib/stats';
import { paced, sleep, startDeskStream } from './lib/stream-rig';

const SECONDS = knob('BENCH_SHARE_SECONDS', 20, 6);
const ORDERS = knob('BENCH_SHARE_ORDERS', 200, 60);
const RATE = 100;
const COUNTS = [100, 1_000];

const IDLE_VIEWERS = 1_000;

const parseWindows = (raw: string): ViewerWindow[] =>
  raw
    .split(',')
    .filter((w) => w.trim() !== '')
    .map((w) => parseViewerWindow(w, 'BENCH_SHARE_WINDOWS'));
const windowName = (w: ViewerWindow) => `${w.minMs}:${w.busyShare}`;
const WINDOWS = [VIEWER_WINDOW, ...parseWindows(process.env['BENCH_SHARE_WINDOWS'] ?? '').filter((w) => windowName(w) !== windowName(VIEWER_WINDOW))];

/** Resident bytes per idle viewer of one server, alone in its own process. */
async function bytesPerIdleViewer(swarm: ViewerSwarm, kind: MemoryServerKind): Promise<number> {
  const script = await builtScript(new URL('./lib/share-memory-server.ts', import.meta.url));
  const child = fork(script, [kind], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = <T extends MemoryServerReply['type']>(type: T) =>
    new Promise<Extract<MemoryServerReply, { type: T }>>((resolve, reject) => {
      const on = (m: MemoryServerReply) => {
        if (m.type !== type) return;
        child.off('message', on);
        resolve(m as Extract<MemoryServerReply, { type: T }>);
      };
      child.on('message', on);
      child.once('exit', (code) => reject(new Error(`the ${kind} memory server exited (${code})`)));
    });
  try {
    const { url, token } = await next('listening');
    const rss = async () => {
      const reply = next('rss');
      child.send('measure');
      return (await reply).rss;
    };
    const before = await rss();
    await swarm.connect(url, IDLE_VIEWERS, { dualdesk: kind === 'dualdesk', ...(token === undefined ? {} : { token }) });
    const after = await rss();
    await swarm.disconnect();
    return (after - before) / IDLE_VIEWERS;
  } finally {
    if (child.connected) child.disconnect();
  }
}

/** Waits until every viewer has every message published since the mark (or 5 s), then reports. */
async function drained(swarm: ViewerSwarm, expected: number): Promise<SwarmReport> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const r = await swarm.report();
    if (r.delivered >= expected || Date.now() > deadline) return r;
    await sleep(50);
  }
}

interface Round {
  /** 'naive', or the DualDesk server's viewer window (minMs:busyShare). */
  readonly server: string;
  readonly viewers: number;
  readonly report: SwarmReport;
  readonly published: number;
  /** This process's CPU (the servers and the desk's stream) over the round, in cores. */
  readonly serverCores: number;
}

const dir = mkdtempSync(join(tmpdir(), 'dualdesk-bench-share-'));
const swarm = await ViewerSwarm.start();
const rounds: Round[] = [];
const memory: Record<MemoryServerKind, number> = { dualdesk: Number.NaN, naive: Number.NaN };
try {
  const certificate = await loadShareCertificate({ dataDir: dir });
  const tokens = await ViewerTokens.open(dir);
  const { token } = await tokens.create({ scope: ['market'], ttlMs: 3_600_000, label: 'bench' });
  const desk = await startDeskStream(join(dir, 'paper-stream.db'));
  const shares = new Map<string, ShareServer>();
  for (const viewerWindow of WINDOWS) {
    const share = await startBenchShare(certificate, tokens, { journal: desk.journal, publisher: desk.publisher }, { viewerWindow });
    shares.set(windowName(viewerWindow), share);
  }
  const naive = await startNaiveBroadcast(certificate);
  const naiveSink = { emit: (n: number) => naive.emit(n), room: () => true, progress: () => Promise.resolve(), issued: 0 };

  for (const n of COUNTS) {
    // Side by side: DualDesk (each window), then the naive broadcast, with the same viewers, rate and duration.
    for (const server of [...shares.keys(), 'naive']) {
      const share = shares.get(server);
      if (share) await swarm.connect(`wss://127.0.0.1:${share.address().port}/stream`, n, { token, dualdesk: true });
      else await swarm.connect(naive.url, n, { dualdesk: false });
      await swarm.mark();
      const cpu = process.cpuUsage();
      const started = performance.now();
      const published = await paced(share ? desk.sink : naiveSink, RATE, SECONDS * 1_000);
      const r = await drained(swarm, published * n);
      const used = process.cpuUsage(cpu);
      if (share && r.gaps !== 0) throw new Error(`${r.gaps} gaps at ${n} viewers`);
      rounds.push({ server, viewers: n, report: r, published, serverCores: (used.user + used.system) / 1_000 / (performance.now() - started) });
      await swarm.disconnect();
    }
  }
  await naive.close();
  for (const share of shares.values()) await share.stop();
  await desk.close();
  tokens.close();
  for (const kind of ['dualdesk', 'naive'] as const) memory[kind] = await bytesPerIdleViewer(swarm, kind);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// --- the trader's order round trip with and without 1,000 viewers --------------------------------

async function startSim(): Promise<{ port: number; child: ChildProcess }> {
  const script = fileURLToPath(new URL('./lib/sim-server.ts', import.meta.url));
  // 25 updates/s for each of the desk's watchlist instruments: about 100 stream messages a second.
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify({ kind: 'sim', tickRate: 25 })], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout?.once('data', (c: Buffer) => resolve((JSON.parse(c.toString()) as { port: number }).port)));
  return { port, child };
}

const sim = await startSim();
const deskDir = mkdtempSync(join(tmpdir(), 'dualdesk-bench-share-orders-'));
const orderMs: Record<'none' | 'viewers', number[]> = { none: [], viewers: [] };
let viewerReport: SwarmReport | undefined;
try {
  const desk = createDesk(
    loadConfig({
      flags: { dataDir: deskDir, 'log.level': 'silent' },
      defaults: { venue: { platform: 'tws', paperPort: sim.port, clientId: 32 }, share: { maxConnectionsPerAddress: 2_000, connectionsPerSecond: 10_000 } },
    }),
    {
      logger: createLogger({ level: 'silent' }),
    },
  );
  const must = <T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T => {
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  };
  await desk.start();
  await desk.venue!.whenReady();
  while (!desk.core?.execution?.lastReconciliation) await sleep(10);
  must(await desk.command('setRiskLimits', { limits: { rateLimit: { maxOrders: 1_000, windowMs: 1_000 }, duplicateWindowMs: 0 } }));
  for (const symbol of ['AAPL', 'MSFT', 'SPY']) must(await desk.command('subscribe', { instrument: { symbol, secType: 'STK' } }));
  const status = must(await desk.command('setSharing', { enabled: true, port: 0, host: '127.0.0.1' })) as ShareStatus;
  const created = must(await desk.command('createViewerToken', { scope: ['market', 'positions', 'orders', 'pnl'], ttlMinutes: 60, label: 'bench' })) as CreatedViewerToken;
  const url = `wss://127.0.0.1:${status.port}/stream`;
  const orders = async (into: number[], count: number) => {
    for (let i = 0; i < count; i++) {
      const t = performance.now();
      must(await desk.command('placeOrder', { ticket: { instrument: { symbol: 'AAPL', secType: 'STK' }, side: i % 2 ? 'SELL' : 'BUY', quantity: 100, type: 'MKT' } }));
      into.push(performance.now() - t);
      await sleep(30);
    }
  };
  // A B A B: drift on a noisy machine falls on both sides.
  for (let k = 0; k < 2; k++) {
    await orders(orderMs.none, ORDERS / 2);
    await swarm.connect(url, 1_000, { token: created.token, dualdesk: true });
    await swarm.mark();
    await orders(orderMs.viewers, ORDERS / 2);
    viewerReport = await swarm.report();
    if (viewerReport.gaps !== 0) throw new Error(`${viewerReport.gaps} gaps among the desk's viewers`);
    await swarm.disconnect();
  }
  await desk.stop();
} finally {
  swarm.stop();
  sim.child.stdin?.end();
  rmSync(deskDir, { recursive: true, force: true });
}

// --- report -------------------------------------------------------------------------------------

const kib = (b: number) => fmt(b / 1024, 1);
const get = (server: string, n: number) => rounds.find((r) => r.server === server && r.viewers === n) as Round;
for (const n of COUNTS) {
  const [d, b] = [get(windowName(VIEWER_WINDOW), n), get('naive', n)];
  report({ figure: `share.fanout.${n}.p50`, unit: 'ms', value: d.report.p50, baseline: b.report.p50 });
  report({ figure: `share.fanout.${n}.p99`, unit: 'ms', value: d.report.p99, baseline: b.report.p99 });
}
report({ figure: 'share.kib_per_idle_viewer', unit: 'KiB', value: memory.dualdesk / 1024, baseline: memory.naive / 1024 });
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const [none, withViewers] = [sorted(orderMs.none), sorted(orderMs.viewers)];
report({ figure: 'share.order_rtt_with_1000_viewers.p50', unit: 'ms', value: median(withViewers), baseline: median(none) });
report({ figure: 'share.order_rtt_with_1000_viewers.p99', unit: 'ms', value: quantile(withViewers, 0.99), baseline: quantile(none, 0.99) });

process.stdout.write(
  `## share fan-out: ${RATE} msg/s for ${SECONDS} s to TLS 1.3 viewers in another process (publish → viewer)\n\n` +
    table(
      ['server', 'viewers', ...SWARM_COLUMNS, 'server process cores', 'viewers process cores'],
      rounds.map((r) => [
        r.server === 'naive'
          ? 'naive ws broadcast over TLS (baseline)'
          : `DualDesk share server (token, scope market, journal; window ${r.server}${r.server === windowName(VIEWER_WINDOW) ? ', shipped' : ''})`,
        r.viewers,
        ...swarmCells(r.report, r.published * r.viewers, r.server !== 'naive'),
        fmt(r.serverCores, 2),
        fmt(r.report.cpuMs / r.report.elapsedMs, 2),
      ]),
    ) +
    `\n\n## share: resident memory per idle viewer (${IDLE_VIEWERS} viewers, each server alone in its own process)\n\n` +
    table(
      ['server', 'KiB / idle viewer'],
      [
        ['DualDesk share server', kib(memory.dualdesk)],
        ['naive ws broadcast over TLS (baseline)', kib(memory.naive)],
      ],
    ) +
    `\n\n## the trader's order round trip (placeOrder answered) with and without 1,000 viewers of the desk (${ORDERS} orders each, alternated)\n\n` +
    table(
      ['viewers', 'p50 ms', 'p99 ms', 'max ms'],
      [
        ['none (baseline)', fmt(median(none)), fmt(quantile(none, 0.99)), fmt(none.at(-1) ?? 0)],
        [
          `1,000 (they received ${viewerReport?.delivered ?? 0} messages in the last round, ${viewerReport?.gaps ?? 0} gaps)`,
          fmt(median(withViewers)),
          fmt(quantile(withViewers, 0.99)),
          fmt(withViewers.at(-1) ?? 0),
        ],
      ],
    ) +
    '\n',
);
