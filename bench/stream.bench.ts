// The stream's WebSocket path, journal on: DualDesk's publisher (sequencer + SQLite journal + StreamServer)
// to one HybridSubscriber in another process, beside a bare `ws` server loop sending the same encoded
// frames in the same batches to a bare `ws` client in another process. (1) Throughput at saturation:
// publish as fast as the publisher accepts, count what the subscriber delivers. (2) Latency at fixed
// offered rates below saturation (latency at saturation is only queueing), with the publisher's
// event-loop lag over the same window. Rounds alternate baseline and DualDesk; medians over rounds.
// A second baseline in the throughput table: Socket.IO 4 with its msgpack parser, one event per message.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { knob, report } from './lib/report';
import { startSocketIoStream } from './lib/socketio-rig';
import { fmt, median, table } from './lib/stats';
import { now, paced, saturate, sleep, startBareStream, startDeskStream, SubscriberChild, type ChildReport, type Sink, type SubscriberKind } from './lib/stream-rig';

const ROUNDS = knob('BENCH_ROUNDS', 3, 3);
const WINDOW_MS = knob('BENCH_WINDOW_MS', 2_000, 1_000);
const WARMUP_MS = knob('BENCH_WARMUP_MS', 1_000, 500);
const RATES = (process.env['BENCH_RATES'] ?? '20000,50000').split(',').map(Number);
/** After a rate change, before the window: the backlog of the previous phase is gone, the rate is steady. */
const SETTLE_MS = 500;

interface RateResult {
  readonly delivered: number;
  /** Share of the journal's group commits in the window that took over 5 ms (publish → committed, seen from the main thread). */
  readonly slowCommits: number;
  readonly p50: number;
  readonly p99: number;
  readonly lagP99: number;
}

interface RoundResult {
  readonly published: number;
  readonly delivered: number;
  readonly batch: number;
  readonly rates: RateResult[];
}

function check(kind: SubscriberKind, r: ChildReport): ChildReport {
  if (r.violations > 0) throw new Error(`${kind}: ${r.violations} deliveries out of sequence (missing or duplicated seqs)`);
  return r;
}

/** Readings of the publisher's histograms: messages per commit (sum, count) and commits within 5 ms. */
async function commitStats(desk: Awaited<ReturnType<typeof startDeskStream>> | undefined): Promise<{ sum: number; count: number; fast: number }> {
  if (!desk) return { sum: 0, count: 0, fast: 0 };
  const values = (await desk.publisherMetrics.batch.get()).values;
  const times = (await desk.publisherMetrics.commit.get()).values;
  return {
    sum: values.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0,
    count: values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0,
    fast: times.find((v) => v.metricName?.endsWith('_bucket') && v.labels['le'] === 0.005)?.value ?? 0,
  };
}

async function round(kind: SubscriberKind, child: SubscriberChild, dir: string, n: number): Promise<RoundResult> {
  let sink: Sink;
  let close: () => Promise<void>;
  const desk = kind === 'dualdesk' ? await startDeskStream(join(dir, `ws-${n}.db`)) : undefined;
  if (desk) {
    await child.connect('dualdesk', desk.url);
    sink = desk.sink;
    close = () => desk.close();
  } else if (kind === 'socketio') {
    const sio = await startSocketIoStream();
    const connecting = child.connect('socketio', sio.url);
    sink = await sio.connected;
    await connecting;
    close = () => sio.close();
  } else {
    const bare = await startBareStream();
    const connecting = child.connect('bare', bare.url);
    sink = await bare.connected;
    await connecting;
    close = () => bare.close();
  }

  // (1) saturation
  let stop = false;
  const running = saturate(sink, () => stop);
  await sleep(WARMUP_MS);
  await child.mark();
  const issued0 = sink.issued;
  const commits0 = await commitStats(desk);
  const t0 = now();
  await sleep(WINDOW_MS);
  const sat = check(kind, await child.report());
  const published = ((sink.issued - issued0) / (now() - t0)) * 1000;
  const commits1 = await commitStats(desk);
  stop = true;
  await running;
  await child.awaitSeq(sink.issued);

  // (2) latency at fixed offered rates (not for the Socket.IO baseline: a throughput row only)
  const rates: RateResult[] = [];
  for (const rate of kind === 'socketio' ? [] : RATES) {
    const lag = monitorEventLoopDelay({ resolution: 1 });
    const pacing = paced(sink, rate, SETTLE_MS + WINDOW_MS);
    await sleep(SETTLE_MS);
    await child.mark();
    const c0 = await commitStats(desk);
    lag.enable();
    await sleep(WINDOW_MS - 50);
    lag.disable();
    const r = check(kind, await child.report());
    const c1 = await commitStats(desk);
    const commits = c1.count - c0.count;
    const slowCommits = commits > 0 ? (commits - (c1.fast - c0.fast)) / commits : Number.NaN;
    await pacing;
    await child.awaitSeq(sink.issued);
    // The histogram records each 1 ms timer's whole interval: lag is what exceeds the 1 ms.
    rates.push({ delivered: (r.delivered / r.elapsedMs) * 1000, slowCommits, p50: r.p50, p99: r.p99, lagP99: Math.max(0, lag.percentile(99) / 1e6 - 1) });
  }
  await child.disconnect();
  await close();
  rmSync(join(dir, `ws-${n}.db`), { force: true });
  rmSync(join(dir, `ws-${n}.db-wal`), { force: true });
  rmSync(join(dir, `ws-${n}.db-shm`), { force: true });
  return { published, delivered: (sat.delivered / sat.elapsedMs) * 1000, batch: (commits1.sum - commits0.sum) / Math.max(1, commits1.count - commits0.count), rates };
}

const dir = mkdtempSync(join(tmpdir(), 'dualdesk-bench-stream-'));
const child = await SubscriberChild.start();
const runs: Record<SubscriberKind, RoundResult[]> = { bare: [], dualdesk: [], socketio: [] };
try {
  for (let r = 0; r < ROUNDS; r++) {
    runs.bare.push(await round('bare', child, dir, r));
    runs.dualdesk.push(await round('dualdesk', child, dir, r));
    runs.socketio.push(await round('socketio', child, dir, r));
  }
} finally {
  child.stop();
  rmSync(dir, { recursive: true, force: true });
}

const med = (kind: SubscriberKind, f: (r: RoundResult) => number) => median(runs[kind].map(f));
const satRow = (kind: SubscriberKind, name: string) => {
  const delivered = med(kind, (r) => r.delivered);
  return [name, Math.round(med(kind, (r) => r.published)), Math.round(delivered), fmt(delivered / med('bare', (r) => r.delivered), 2)];
};
// The headline figures for `npm run bench -- --json` (bench/lib/report.ts).
const delivered = (kind: SubscriberKind) => med(kind, (r) => r.delivered);
report({ figure: 'stream.ws.throughput', unit: 'msg/s', value: delivered('dualdesk'), baseline: delivered('bare') });
report({ figure: 'stream.socketio.throughput', unit: 'msg/s', value: delivered('socketio'), baseline: delivered('bare') });
RATES.forEach((rate, i) => {
  const p99 = (kind: SubscriberKind) => med(kind, (r) => (r.rates[i] as RateResult).p99);
  const at = rate % 1000 === 0 ? `${rate / 1000}k` : String(rate);
  report({ figure: `stream.ws.latency.p99@${at}`, unit: 'ms', value: p99('dualdesk'), baseline: p99('bare') });
  const lagP99 = (kind: SubscriberKind) => med(kind, (r) => (r.rates[i] as RateResult).lagP99);
  report({ figure: `stream.ws.loop_lag.p99@${at}`, unit: 'ms', value: lagP99('dualdesk'), baseline: lagP99('bare') });
});

const latRows = RATES.flatMap((rate, i) =>
  (['bare', 'dualdesk'] as const).map((kind) => {
    const m = (f: (x: RateResult) => number) => med(kind, (r) => f(r.rates[i] as RateResult));
    const p50 = m((x) => x.p50);
    return [
      kind === 'bare' ? 'bare ws loop → bare ws client (baseline)' : 'DualDesk publisher → HybridSubscriber',
      rate,
      Math.round(m((x) => x.delivered)),
      fmt(p50),
      fmt(m((x) => x.p99)),
      fmt(m((x) => x.lagP99)),
      kind === 'bare' ? '—' : `${fmt(100 * m((x) => x.slowCommits), 1)} %`,
      fmt(p50 / med('bare', (r) => (r.rates[i] as RateResult).p50), 2),
    ];
  }),
);

process.stdout.write(
  `## stream, WebSocket path: throughput at saturation, one subscriber connection in its own process (${ROUNDS} rounds of ${WINDOW_MS / 1000} s after ${WARMUP_MS / 1000} s, median)\n\n` +
    table(
      ['publisher → subscriber', 'published msg/s', 'delivered msg/s at the subscriber', 'vs baseline'],
      [
        satRow('bare', 'bare ws loop → bare ws client (baseline)'),
        satRow('socketio', 'Socket.IO 4 + msgpack parser, one event per message (baseline)'),
        satRow('dualdesk', 'DualDesk publisher (journal on) → HybridSubscriber'),
      ],
    ) +
    `\n\nPayload: a quote of about 108 bytes (frame about 192 bytes); saturating means 1,000 messages per turn of the event loop, with at most 20,000 uncommitted (DualDesk), 4 MiB unsent (bare loop) or 20,000 queued packets / 4 MiB unsent (Socket.IO). Socket.IO carries the same frame fields as an object in one event each (its msgpack parser encodes it), to a socket.io-client on the websocket transport. DualDesk's mean group commit in the window: ${Math.round(med('dualdesk', (r) => r.batch))} messages.\n\n` +
    `## stream, WebSocket path: latency at a fixed offered rate (publish → subscriber callback; ${ROUNDS} rounds of ${WINDOW_MS / 1000} s, median of per-round quantiles)\n\n` +
    table(
      ['publisher → subscriber', 'offered msg/s', 'delivered msg/s', 'p50 ms', 'p99 ms', 'publisher loop lag p99 ms', 'journal commits over 5 ms', 'p50 vs baseline'],
      latRows,
    ) +
    `\n\nClock: publisher and subscriber read performance.timeOrigin + performance.now(); the child's offset (${fmt(child.calibration.offsetMs)} ms) was measured over IPC with a ${fmt(child.calibration.rttMs)} ms best round trip, which bounds its error.\n`,
);
