// The web UI under market data load, in headless Chromium: `dualdesk serve --demo` streams 5,000
// market updates a second across 50 instruments (all subscribed through the command endpoint), and the
// page's frame intervals (a requestAnimationFrame loop), long tasks and main-thread time are measured,
// with what actually arrived on its stream WebSocket. Baseline, in alternating rounds on the same desk:
// a blank page with a bare WebSocket loop that decodes every message with @msgpack/msgpack and does
// nothing else. The page is the served `/` with `?token=`; nothing here depends on the UI's internals.
//
// BENCH_UI_SYMBOLS (50), BENCH_UI_RATE (5000 market updates/s), BENCH_UI_SECONDS (20 per window),
// BENCH_UI_ROUNDS (3), BENCH_UI_WARMUP_MS (3000).
import { loadavg } from 'node:os';
import type { Browser } from 'playwright-core';
import {
  baselineStats,
  demoInstruments,
  heapAfterGc,
  int,
  launchChromium,
  mainThread,
  openBaseline,
  openUi,
  pause,
  startBaselineServer,
  startDemoServe,
  startWindow,
  stopWindow,
  subscribeAll,
  uiBuiltAt,
  untilStreaming,
  waitReady,
  type BenchPage,
  type DemoServe,
} from './lib/ui-rig';
import { knob, report } from './lib/report';
import { fmt, median, quantile, table } from './lib/stats';

const SYMBOLS = Number(process.env['BENCH_UI_SYMBOLS'] ?? 50);
const RATE = Number(process.env['BENCH_UI_RATE'] ?? 5_000);
const SECONDS = knob('BENCH_UI_SECONDS', 20, 5);
const ROUNDS = Number(process.env['BENCH_UI_ROUNDS'] ?? 3);
const WARMUP_MS = Number(process.env['BENCH_UI_WARMUP_MS'] ?? 3_000);
/**
 * One frame at 60 Hz. rAF intervals come in whole vsyncs with timer jitter well under 1 ms (a blank
 * page measures 16.6–16.8 ms), so an interval counts as "over 16.7 ms" (a missed vsync) above 17.7 ms.
 */
const FRAME_MS = 1000 / 60;
const MISSED_MS = FRAME_MS + 1;

type Kind = 'baseline' | 'ui';

interface Round {
  readonly kind: Kind;
  readonly streaming: boolean;
  readonly fps: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly over16: number;
  readonly over50: number;
  readonly longPerS: number;
  readonly longMax: number;
  readonly busy: number;
  readonly script: number;
  readonly dataPerS: number;
  readonly messagesPerS: number;
  readonly kibPerS: number;
  readonly publishedPerS: number;
  readonly refusedPerS: number;
  readonly deskCpu: number;
  readonly heapMiB: number;
  /** Stream WebSockets the page had opened by the end of the window (more than 1: it reconnected). */
  readonly sockets: number;
  /** Baseline only: quote messages/s and mean/max now − ts (ms) of the data frames decoded. */
  readonly quotesPerS?: number;
  readonly lagMean?: number;
  readonly lagMax?: number;
}

async function measure(browser: Browser, serve: DemoServe, baselineUrl: string, kind: Kind): Promise<Round> {
  const p: BenchPage = kind === 'ui' ? await openUi(browser, serve) : await openBaseline(browser, serve, baselineUrl);
  try {
    const streaming = await untilStreaming(p.page);
    await pause(WARMUP_MS);
    const m0 = await serve.metrics();
    const cpu0 = serve.cpuSeconds();
    const mt0 = await mainThread(p.cdp);
    const b0 = kind === 'baseline' ? await baselineStats(p.page) : undefined;
    const c0 = await startWindow(p.page);
    const t0 = performance.now();
    await pause(SECONDS * 1000);
    const w = await stopWindow(p.page);
    const seconds = (performance.now() - t0) / 1000;
    const b1 = kind === 'baseline' ? await baselineStats(p.page) : undefined;
    const mt1 = await mainThread(p.cdp);
    const cpu1 = serve.cpuSeconds();
    const m1 = await serve.metrics();
    const heap = await heapAfterGc(p.cdp);
    const frames = [...w.frames].sort((a, b) => a - b);
    const delta = (name: string) => ((m1.get(name) ?? 0) - (m0.get(name) ?? 0)) / seconds;
    return {
      kind,
      streaming,
      fps: frames.length / seconds,
      p50: quantile(frames, 0.5),
      p95: quantile(frames, 0.95),
      p99: quantile(frames, 0.99),
      max: frames[frames.length - 1] ?? Number.NaN,
      over16: frames.filter((f) => f > MISSED_MS).length / frames.length,
      over50: frames.filter((f) => f > 50).length / frames.length,
      longPerS: w.long.length / seconds,
      longMax: w.long.length === 0 ? 0 : Math.max(...w.long),
      busy: (mt1.task - mt0.task) / seconds,
      script: (mt1.script - mt0.script) / seconds,
      dataPerS: (w.data - c0.data) / seconds,
      messagesPerS: (w.messages - c0.messages) / seconds,
      kibPerS: (w.bytes - c0.bytes) / 1024 / seconds,
      publishedPerS: delta('dualdesk_stream_published_total'),
      refusedPerS: delta('dualdesk_stream_refused_total'),
      deskCpu: (cpu1 - cpu0) / seconds,
      heapMiB: heap.usedBytes / 1048576,
      sockets: w.sockets,
      ...(b0 && b1
        ? {
            quotesPerS: (b1.quotes - b0.quotes) / seconds,
            lagMean: (b1.lagSum - b0.lagSum) / Math.max(1, b1.lagN - b0.lagN),
            lagMax: b1.lagMax,
          }
        : {}),
    };
  } finally {
    await p.close();
  }
}

const builtAt = uiBuiltAt();
const serve = await startDemoServe({ symbols: SYMBOLS, rate: RATE });
const baseline = await startBaselineServer();
let browser: Browser | undefined;
const rounds: Round[] = [];
const load: number[] = [];
try {
  await waitReady(serve.origin);
  const instruments = demoInstruments(SYMBOLS);
  await subscribeAll(serve, instruments);
  // The feeds' first quotes, history and bars settle before the first window.
  await pause(3_000);
  browser = await launchChromium();
  for (let r = 0; r < ROUNDS; r++) {
    for (const kind of ['baseline', 'ui'] as const) {
      const round = await measure(browser, serve, baseline.url, kind);
      rounds.push(round);
      load.push(loadavg()[0] ?? 0);
      process.stderr.write(`round ${r + 1} ${kind}: p95 ${fmt(round.p95, 1)} ms, ${int(round.dataPerS)} data frames/s, busy ${fmt(round.busy * 100, 0)} %\n`);
    }
  }
} finally {
  await browser?.close();
  await baseline.close();
  await serve.stop();
}

const med = (kind: Kind, f: (r: Round) => number | undefined): number => median(rounds.filter((r) => r.kind === kind).map((r) => f(r) ?? Number.NaN));
// The headline figures for `npm run bench -- --json` (bench/lib/report.ts).
report({ figure: 'ui.frame.p95', unit: 'ms', value: med('ui', (r) => r.p95), baseline: med('baseline', (r) => r.p95) });
report({ figure: 'ui.main_thread.busy', unit: '%', value: 100 * med('ui', (r) => r.busy), baseline: 100 * med('baseline', (r) => r.busy) });
const pct = (x: number, digits = 1) => `${(x * 100).toFixed(digits)} %`;
const label: Record<Kind, string> = {
  baseline: 'blank page, bare WebSocket + @msgpack/msgpack decode (baseline)',
  ui: 'DualDesk web UI (served /)',
};
const noStream = rounds.filter((r) => !r.streaming).map((r) => r.kind);

process.stdout.write(
  `## UI frames: ${SYMBOLS} symbols, ${int(RATE)} market updates/s (demo venue), headless Chromium\n\n` +
    `${ROUNDS} rounds alternating baseline and UI, a fresh page each, ${WARMUP_MS / 1000} s of warm-up then a ${SECONDS} s window; medians over rounds. ` +
    `UI built ${builtAt}; 1-min load average ${fmt(Math.min(...load), 1)}–${fmt(Math.max(...load), 1)} after the windows.\n\n` +
    table(
      [
        'page',
        'frames/s',
        'frame p50 ms',
        'p95 ms',
        'p99 ms',
        'max ms',
        'frames over 16.7 ms (> 17.7)',
        'over 50 ms',
        'long tasks/s',
        'longest task ms',
        'main thread busy',
        'of which script',
      ],
      (['baseline', 'ui'] as const).map((k) => [
        label[k],
        fmt(
          med(k, (r) => r.fps),
          1,
        ),
        fmt(
          med(k, (r) => r.p50),
          1,
        ),
        fmt(
          med(k, (r) => r.p95),
          1,
        ),
        fmt(
          med(k, (r) => r.p99),
          1,
        ),
        fmt(
          med(k, (r) => r.max),
          1,
        ),
        pct(med(k, (r) => r.over16)),
        pct(med(k, (r) => r.over50)),
        fmt(
          med(k, (r) => r.longPerS),
          2,
        ),
        fmt(
          med(k, (r) => r.longMax),
          0,
        ),
        pct(
          med(k, (r) => r.busy),
          0,
        ),
        pct(
          med(k, (r) => r.script),
          0,
        ),
      ]),
    ) +
    '\n\n' +
    table(
      [
        'page',
        'published by the desk msg/s',
        'refused by the desk msg/s',
        'data frames received msg/s',
        'of which quotes msg/s',
        'WebSocket messages/s',
        'KiB/s',
        'now − ts mean / max ms',
        'desk process CPU',
        'JS heap after GC MiB',
      ],
      (['baseline', 'ui'] as const).map((k) => [
        label[k],
        int(med(k, (r) => r.publishedPerS)),
        int(med(k, (r) => r.refusedPerS)),
        int(med(k, (r) => r.dataPerS)),
        k === 'baseline' ? int(med(k, (r) => r.quotesPerS)) : '—',
        int(med(k, (r) => r.messagesPerS)),
        int(med(k, (r) => r.kibPerS)),
        k === 'baseline'
          ? `${fmt(
              med(k, (r) => r.lagMean),
              1,
            )} / ${fmt(
              med(k, (r) => r.lagMax),
              0,
            )}`
          : '—',
        pct(
          med(k, (r) => r.deskCpu),
          0,
        ),
        fmt(
          med(k, (r) => r.heapMiB),
          1,
        ),
      ]),
    ) +
    '\n' +
    (noStream.length > 0 ? `\nNo stream data reached the page within 15 s in ${noStream.length} window(s) (${noStream.join(', ')}).\n` : '') +
    `\n(Round by round: ${rounds.map((r) => `${r.kind} p95 ${fmt(r.p95, 1)}/max ${fmt(r.max, 0)} ms, ${r.sockets} stream socket(s)`).join('; ')}.)\n`,
);
