// The web UI's memory after an hour of market: the demo venue's clock runs BENCH_UI_SPEED times faster
// than real time (its AcceleratedClock, `serve --demo-speed`), so an hour of market time (bars, EMAs,
// the chart's history: everything that grows with market time) streams in a few minutes. The rate is
// set per market second so that the wall-clock load equals the frame benchmark's (5,000 market updates
// a wall second across 50 instruments): an hour of market at 5,000 / speed updates a second.
// The JS heap (CDP Performance.getMetrics JSHeapUsedSize after HeapProfiler.collectGarbage), DOM nodes
// and listeners are read at the start and every BENCH_UI_SAMPLE_S seconds, for the UI (the served `/`
// with `?token=`) and, in the same run and on the same stream, the baseline page (a bare WebSocket
// loop decoding with @msgpack/msgpack).
//
// BENCH_UI_SYMBOLS (50), BENCH_UI_WALL_RATE (5000 market updates per wall second), BENCH_UI_SPEED
// (12), BENCH_UI_MARKET_MINUTES (60), BENCH_UI_SAMPLE_S (30).
import { loadavg } from 'node:os';
import type { Browser } from 'playwright-core';
import {
  baselineStats,
  demoInstruments,
  heapAfterGc,
  int,
  launchChromium,
  mib,
  openBaseline,
  openUi,
  pause,
  probeCounters,
  startBaselineServer,
  startDemoServe,
  subscribeAll,
  uiBuiltAt,
  untilStreaming,
  waitReady,
  type BenchPage,
  type HeapReading,
} from './lib/ui-rig';
import { fmt, table } from './lib/stats';

const SYMBOLS = Number(process.env['BENCH_UI_SYMBOLS'] ?? 50);
const WALL_RATE = Number(process.env['BENCH_UI_WALL_RATE'] ?? 5_000);
const SPEED = Number(process.env['BENCH_UI_SPEED'] ?? 12);
const MARKET_MINUTES = Number(process.env['BENCH_UI_MARKET_MINUTES'] ?? 60);
const SAMPLE_S = Number(process.env['BENCH_UI_SAMPLE_S'] ?? 30);
const WARMUP_MS = 5_000;
/** Market updates per second of market time. */
const RATE = WALL_RATE / SPEED;
const WALL_MS = (MARKET_MINUTES * 60_000) / SPEED;

interface Sample {
  readonly wallS: number;
  /** Market minutes since the first sample, from the 5-second bars the baseline page decoded. */
  readonly marketMin: number;
  readonly uiData: number;
  readonly uiSockets: number;
  readonly baselineData: number;
  readonly ui: HeapReading;
  readonly baseline: HeapReading;
}

const builtAt = uiBuiltAt();
const serve = await startDemoServe({ symbols: SYMBOLS, rate: RATE, speed: SPEED });
const baselineServer = await startBaselineServer();
let browser: Browser | undefined;
const samples: Sample[] = [];
const totals = { deskCpu: 0, published: 0, refused: 0 };
const load: number[] = [];
try {
  await waitReady(serve.origin);
  await subscribeAll(serve, demoInstruments(SYMBOLS));
  await pause(3_000);
  browser = await launchChromium();
  const ui: BenchPage = await openUi(browser, serve);
  const baseline: BenchPage = await openBaseline(browser, serve, baselineServer.url);
  const uiStreaming = await untilStreaming(ui.page);
  await untilStreaming(baseline.page);
  await pause(WARMUP_MS);
  if (!uiStreaming) process.stderr.write('the UI page received no stream data within 15 s; measuring anyway\n');

  const m0 = await serve.metrics();
  const cpu0 = serve.cpuSeconds();
  const t0 = performance.now();
  let firstBar = 0;
  const sample = async (): Promise<Sample> => {
    const [u, b, uc, bs] = [await heapAfterGc(ui.cdp), await heapAfterGc(baseline.cdp), await probeCounters(ui.page), await baselineStats(baseline.page)];
    if (firstBar === 0) firstBar = bs.barTime;
    const s: Sample = {
      wallS: (performance.now() - t0) / 1000,
      marketMin: firstBar === 0 ? 0 : (bs.barTime - firstBar) / 60_000,
      uiData: uc.data,
      uiSockets: uc.sockets,
      baselineData: bs.data,
      ui: u,
      baseline: b,
    };
    load.push(loadavg()[0] ?? 0);
    process.stderr.write(
      `${fmt(s.wallS, 0)} s, market +${fmt(s.marketMin, 1)} min: UI heap ${mib(u.usedBytes)} MiB (${int(uc.data)} data frames), baseline ${mib(b.usedBytes)} MiB\n`,
    );
    return s;
  };
  samples.push(await sample());
  while (performance.now() - t0 < WALL_MS) {
    await pause(Math.min(SAMPLE_S * 1000, Math.max(0, WALL_MS - (performance.now() - t0))));
    samples.push(await sample());
  }
  const m1 = await serve.metrics();
  totals.deskCpu = (serve.cpuSeconds() - cpu0) / ((performance.now() - t0) / 1000);
  totals.published = (m1.get('dualdesk_stream_published_total') ?? 0) - (m0.get('dualdesk_stream_published_total') ?? 0);
  totals.refused = (m1.get('dualdesk_stream_refused_total') ?? 0) - (m0.get('dualdesk_stream_refused_total') ?? 0);
  await ui.close();
  await baseline.close();
} finally {
  await browser?.close();
  await baselineServer.close();
  await serve.stop();
}

const first = samples[0] as Sample;
const last = samples[samples.length - 1] as Sample;
const wallS = last.wallS;
const { deskCpu, published, refused } = totals;
const range = (f: (s: Sample) => number): string => `${mib(Math.min(...samples.map(f)))}–${mib(Math.max(...samples.map(f)))}`;
// A few rows: the start, about every tenth of the run, the end.
const every = Math.max(1, Math.round(samples.length / 10));
const rows = samples.filter((_, i) => i === 0 || i === samples.length - 1 || i % every === 0);
process.stdout.write(
  `## UI memory: an hour of market on an accelerated clock (${SYMBOLS} symbols, ${int(RATE)} market updates/s of market time, clock x${SPEED})\n\n` +
    `${fmt(wallS / 60, 1)} min of wall time; the UI and the baseline page open side by side on the same stream; heap after a forced GC (CDP). ` +
    `Desk: ${int(published / wallS)} messages published/s, process CPU ${fmt(deskCpu * 100, 0)} %; 1-min load average ${fmt(Math.min(...load), 1)}–${fmt(Math.max(...load), 1)} on this machine; UI built ${builtAt}.\n\n` +
    table(
      ['wall s', 'market min', 'UI data frames received', 'UI JS heap MiB', 'UI DOM nodes', 'UI listeners', 'baseline data frames', 'baseline JS heap MiB'],
      rows.map((s) => [
        fmt(s.wallS, 0),
        fmt(s.marketMin, 1),
        int(s.uiData),
        mib(s.ui.usedBytes),
        int(s.ui.nodes),
        int(s.ui.listeners),
        int(s.baselineData),
        mib(s.baseline.usedBytes),
      ]),
    ) +
    '\n\n' +
    table(
      ['page', 'JS heap at start MiB', 'after the run MiB', 'growth MiB', 'min–max over the run MiB', 'data frames received', 'stream sockets opened'],
      [
        [
          'blank page, bare WebSocket + @msgpack/msgpack decode (baseline)',
          mib(first.baseline.usedBytes),
          mib(last.baseline.usedBytes),
          mib(last.baseline.usedBytes - first.baseline.usedBytes),
          range((s) => s.baseline.usedBytes),
          int(last.baselineData - first.baselineData),
          '1',
        ],
        [
          'DualDesk web UI (served /)',
          mib(first.ui.usedBytes),
          mib(last.ui.usedBytes),
          mib(last.ui.usedBytes - first.ui.usedBytes),
          range((s) => s.ui.usedBytes),
          int(last.uiData - first.uiData),
          String(last.uiSockets),
        ],
      ],
    ) +
    `\n\nMarket time covered: ${fmt(last.marketMin, 1)} min (from the 5-second bars' times); published over the run: ${int(published)} messages, refused by the desk (journal behind): ${int(refused)}.\n`,
);
