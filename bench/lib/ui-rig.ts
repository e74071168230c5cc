// What the UI benchmarks share: `dualdesk serve --demo` with the demo market's load options in its own
// process, the 50 subscriptions through the command endpoint, headless Chromium, the probe every page
// gets before its own scripts (frame intervals, long tasks, and what arrives on the stream's WebSocket),
// the baseline page (a bare WebSocket loop decoding with @msgpack/msgpack) and the heap through CDP.
// Nothing here knows the UI's internals: the UI is the served `/` with `?token=`.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, ensureChromium } from '../../scripts/chromium';
import { demoSymbols } from '../../src/main/sim';
import { defaultInstruments } from '../../src/main/sim/market';
import { STREAM_PROTOCOL, STREAM_TICKET_PATH, TICKET_PROTOCOL_PREFIX, type StreamTicketGrant } from '../../src/shared/stream';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const UI_DIR = join(root, 'out/renderer');
/** When the web UI under test was built (out/renderer/index.html), for the report. */
export function uiBuiltAt(): string {
  return statSync(join(UI_DIR, 'index.html'))
    .mtime.toISOString()
    .replace(/\.\d+Z$/, 'Z');
}

export const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface DemoServe {
  readonly proc: ChildProcess;
  /** The URL `serve` printed: the UI, with the control token. */
  readonly url: URL;
  readonly origin: string;
  readonly token: string;
  /** Prometheus counters and gauges of the desk, by name (labels ignored: summed). */
  metrics(): Promise<Map<string, number>>;
  /** CPU seconds (user + system, all threads) the desk process has used. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

export interface DemoLoad {
  readonly symbols: number;
  /** Market updates per second of market time across all symbols. */
  readonly rate: number;
  /** Market clock speed (1: real time). */
  readonly speed?: number;
  /** Extra Node flags for the desk's process (e.g. --cpu-prof), from BENCH_UI_NODE_ARGS by default. */
  readonly nodeArgs?: readonly string[];
}

/**
 * `dualdesk serve --demo --demo-symbols … --demo-rate … [--demo-speed …]`, run from the sources (tsx)
 * so the benchmark measures the current core; the web UI is the built one in out/renderer (copied at
 * the start).
 */
export async function startDemoServe(load: DemoLoad): Promise<DemoServe> {
  if (!existsSync(join(UI_DIR, 'index.html'))) throw new Error(`no built web UI in ${UI_DIR}: run \`npm run build\` first`);
  const dataDir = mkdtempSync(join(tmpdir(), 'dualdesk-bench-ui-'));
  // A copy of the built UI: a rebuild during the run (it empties out/renderer first) does not change what is measured.
  const uiDir = join(dataDir, 'ui');
  cpSync(UI_DIR, uiDir, { recursive: true });
  writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ server: { uiDir } }));
  const nodeArgs = load.nodeArgs ?? (process.env['BENCH_UI_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
  const args = [...nodeArgs, '--import', 'tsx', join(root, 'src/main/cli/main.ts'), 'serve', '--data-dir', dataDir, '--port', '0', '--log-level', 'warn', '--demo'];
  args.push('--demo-symbols', String(load.symbols), '--demo-rate', String(load.rate));
  if (load.speed !== undefined && load.speed !== 1) args.push('--demo-speed', String(load.speed));
  const proc = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (c: Buffer) => {
    log = (log + c.toString()).slice(-20_000);
  };
  proc.stdout?.on('data', keep);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const url = await new Promise<URL>((resolve, reject) => {
    let err = '';
    proc.stderr?.on('data', (c: Buffer) => {
      keep(c);
      err += c.toString();
      const m = /is serving at (\S+)/.exec(err);
      if (m?.[1]) resolve(new URL(m[1]));
    });
    void exited.then(() => reject(new Error(`dualdesk serve exited before serving:\n${log}`)));
  });
  const token = url.searchParams.get('token') ?? '';
  const origin = url.origin;
  const pid = proc.pid as number;
  const ticksPerSecond = 100; // USER_HZ on Linux
  return {
    proc,
    url,
    origin,
    token,
    async metrics() {
      const text = await (await fetch(`${origin}/metrics`)).text();
      const out = new Map<string, number>();
      for (const line of text.split('\n')) {
        const m = /^([a-zA-Z_:][\w:]*)(?:\{[^}]*\})? ([-+\d.eE]+|NaN)$/.exec(line);
        if (m?.[1] && m[2]) out.set(m[1], (out.get(m[1]) ?? 0) + Number(m[2]));
      }
      return out;
    },
    cpuSeconds() {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
        .replace(/^.*\) /, '')
        .split(' ');
      return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls /ready (the demo venue connected, verified and in sync). */
export async function waitReady(origin: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await fetch(`${origin}/ready`).catch(() => undefined);
    if (r?.status === 200) return;
    if (Date.now() > until) throw new Error(`the desk was not ready within ${timeoutMs} ms: ${r ? await r.text() : 'no answer'}`);
    await pause(200);
  }
}

/** The demo universe as the command endpoint takes instruments (stocks, EUR.USD, the ES front month). */
export function demoInstruments(count: number): { symbol: string; secType: string; currency: string; exchange: string }[] {
  return defaultInstruments(demoSymbols(count), Date.now()).map((i) => ({ symbol: i.symbol, secType: i.secType, currency: i.currency, exchange: i.exchange }));
}

/** Subscribes each instrument through `POST /api/commands/subscribe` (the route the UI and headless clients use). */
export async function subscribeAll(serve: DemoServe, instruments: readonly object[]): Promise<void> {
  for (const instrument of instruments) {
    const r = await fetch(`${serve.origin}/api/commands/subscribe`, {
      method: 'POST',
      headers: { authorization: `Bearer ${serve.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ instrument }),
    });
    if (r.status !== 200) throw new Error(`subscribe ${JSON.stringify(instrument)}: ${r.status} ${await r.text()}`);
  }
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: ensureChromium(), headless: true, args: CHROMIUM_ARGS.filter((a) => a !== '--headless'), timeout: 30_000 });
}

/**
 * Installed in every page before its own scripts (a string: the functions must reach the page as
 * written). Frame intervals from a requestAnimationFrame loop and long tasks, recorded between
 * `start()` and `stop()`; every WebSocket to /stream is counted: messages, bytes, and frames read
 * from the msgpack header alone (a batch of data frames is an array, a control frame a map), so the
 * count costs the page nothing and does not depend on how the page decodes.
 */
export const PROBE_SCRIPT = String.raw`(() => {
  const p = { frames: [], long: [], rec: false, sockets: 0, messages: 0, bytes: 0, data: 0, control: 0 };
  let last = -1;
  const tick = (t) => {
    if (p.rec && last >= 0) p.frames.push(t - last);
    last = t;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  try {
    new PerformanceObserver((list) => {
      if (p.rec) for (const e of list.getEntries()) p.long.push(e.duration);
    }).observe({ type: 'longtask' });
  } catch (e) {}
  const header = (b) => {
    const h = b[0];
    if (h >= 0x90 && h <= 0x9f) p.data += h & 0x0f;
    else if (h === 0xdc) p.data += (b[1] << 8) | b[2];
    else if (h === 0xdd) p.data += ((b[1] << 24) | (b[2] << 16) | (b[3] << 8) | b[4]) >>> 0;
    else p.control += 1;
  };
  const count = (e) => {
    const d = e.data;
    if (typeof d === 'string') return;
    p.messages++;
    if (d instanceof ArrayBuffer) {
      p.bytes += d.byteLength;
      header(new Uint8Array(d, 0, Math.min(5, d.byteLength)));
    } else if (d instanceof Blob) {
      p.bytes += d.size;
      d.slice(0, 5).arrayBuffer().then((a) => header(new Uint8Array(a)));
    }
  };
  const Native = window.WebSocket;
  window.WebSocket = new Proxy(Native, {
    construct(target, args) {
      const ws = Reflect.construct(target, args);
      try {
        if (new URL(String(args[0]), location.href).pathname === '/stream') {
          p.sockets++;
          ws.addEventListener('message', count);
        }
      } catch (e) {}
      return ws;
    },
  });
  p.counters = () => ({ sockets: p.sockets, messages: p.messages, bytes: p.bytes, data: p.data, control: p.control });
  p.start = () => {
    p.frames = [];
    p.long = [];
    p.rec = true;
    return p.counters();
  };
  p.stop = () => {
    p.rec = false;
    return { frames: p.frames, long: p.long, ...p.counters() };
  };
  Object.defineProperty(window, '__uiBench', { value: p });
})();`;

export interface ProbeCounters {
  readonly sockets: number;
  readonly messages: number;
  readonly bytes: number;
  readonly data: number;
  readonly control: number;
}

export interface ProbeWindow extends ProbeCounters {
  readonly frames: number[];
  readonly long: number[];
}

/**
 * The baseline: a blank page (served by the benchmark on its own loopback port) with a bare WebSocket
 * loop on the desk's /stream: `hello`, then decode
 * every message with @msgpack/msgpack and count it (data frames, quotes, the newest 5-second bar's
 * market time, now − ts), nothing else.
 */
function baselineHtml(): string {
  const require = createRequire(import.meta.url);
  const msgpack = readFileSync(require.resolve('@msgpack/msgpack/dist.umd/msgpack.min.js'), 'utf8');
  return `<!doctype html><html><head><meta charset="utf-8"><title>baseline</title></head><body>
<script>${msgpack}</script>
<script>
(() => {
  const s = { data: 0, quotes: 0, lagSum: 0, lagMax: 0, lagN: 0, barTime: 0, firstBarTime: 0, open: false, closed: '' };
  window.__baseline = s;
  const q = new URLSearchParams(location.search);
  const url = new URL(q.get('stream') || '');
  const decoder = new MessagePack.Decoder();
  // The desk's stream takes a browser by a single-use ticket offered as a subprotocol (never a token in a URL).
  const ws = new WebSocket(url, ['${STREAM_PROTOCOL}', '${TICKET_PROTOCOL_PREFIX}' + window.__streamTicket]);
  ws.binaryType = 'arraybuffer';
  ws.onopen = () => { s.open = true; ws.send(MessagePack.encode({ op: 'hello' })); };
  ws.onclose = (e) => { s.open = false; s.closed = e.code + ' ' + e.reason; };
  ws.onmessage = (e) => {
    const v = decoder.decode(new Uint8Array(e.data));
    const frames = Array.isArray(v) ? v : [v];
    const now = Date.now();
    for (const f of frames) {
      if (f.op !== 'data') continue;
      s.data++;
      const lag = now - f.ts;
      s.lagSum += lag;
      s.lagN++;
      if (lag > s.lagMax) s.lagMax = lag;
      if (f.topic.startsWith('md.quote.')) s.quotes++;
      else if (f.topic.startsWith('md.bar.5s.')) {
        const t = f.data.bar.time;
        if (t > s.barTime) s.barTime = t;
        if (s.firstBarTime === 0) s.firstBarTime = t;
      }
    }
  };
})();
</script></body></html>`;
}

export interface BenchPage {
  readonly page: Page;
  readonly context: BrowserContext;
  readonly cdp: CDPSession;
  close(): Promise<void>;
}

async function newPage(browser: Browser): Promise<BenchPage> {
  const context = await browser.newContext({ viewport: { width: 1600, height: 900 } });
  await context.addInitScript(PROBE_SCRIPT);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  return { page, context, cdp, close: () => context.close() };
}

/** The UI: the served `/` with `?token=`. */
export async function openUi(browser: Browser, serve: DemoServe): Promise<BenchPage> {
  const p = await newPage(browser);
  await p.page.goto(serve.url.href, { waitUntil: 'load' });
  return p;
}

/** Serves the baseline page on a loopback port of the benchmark's own (a page from a loopback address may open the desk's loopback WebSocket). */
export async function startBaselineServer(): Promise<{ readonly url: string; close(): Promise<void> }> {
  const html = baselineHtml();
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/baseline.html`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

export async function openBaseline(browser: Browser, serve: DemoServe, pageUrl: string): Promise<BenchPage> {
  const p = await newPage(browser);
  const stream = new URL('/stream', serve.origin);
  stream.protocol = 'ws:';
  // A ticket bought with the token here, handed to the page outside its URL.
  const res = await fetch(new URL(STREAM_TICKET_PATH, serve.origin), { method: 'POST', headers: { authorization: `Bearer ${serve.token}` } });
  const { ticket } = (await res.json()) as StreamTicketGrant;
  await p.page.addInitScript(`window.__streamTicket = ${JSON.stringify(ticket)};`);
  await p.page.goto(`${pageUrl}?stream=${encodeURIComponent(stream.href)}`, { waitUntil: 'load' });
  return p;
}

export function probeCounters(page: Page): Promise<ProbeCounters> {
  return page.evaluate('window.__uiBench.counters()');
}

/** Waits until the page has received data frames on the stream (false when none come within the time). */
export async function untilStreaming(page: Page, timeoutMs = 15_000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if ((await probeCounters(page)).data > 0) return true;
    await pause(200);
  }
  return false;
}

export const startWindow = (page: Page): Promise<ProbeCounters> => page.evaluate('window.__uiBench.start()');
export const stopWindow = (page: Page): Promise<ProbeWindow> => page.evaluate('window.__uiBench.stop()');

export interface MainThreadTimes {
  /** Seconds of main-thread tasks, scripts, layout and style recalculation since the page opened. */
  readonly task: number;
  readonly script: number;
  readonly layout: number;
  readonly style: number;
}

export interface HeapReading {
  readonly usedBytes: number;
  readonly totalBytes: number;
  readonly nodes: number;
  readonly listeners: number;
}

async function perfMetrics(cdp: CDPSession): Promise<Map<string, number>> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return new Map(metrics.map((m) => [m.name, m.value]));
}

export async function mainThread(cdp: CDPSession): Promise<MainThreadTimes> {
  const m = await perfMetrics(cdp);
  return { task: m.get('TaskDuration') ?? 0, script: m.get('ScriptDuration') ?? 0, layout: m.get('LayoutDuration') ?? 0, style: m.get('RecalcStyleDuration') ?? 0 };
}

/** The JS heap after a forced full collection (CDP HeapProfiler.collectGarbage, then Performance.getMetrics). */
export async function heapAfterGc(cdp: CDPSession): Promise<HeapReading> {
  await cdp.send('HeapProfiler.collectGarbage');
  const m = await perfMetrics(cdp);
  return { usedBytes: m.get('JSHeapUsedSize') ?? 0, totalBytes: m.get('JSHeapTotalSize') ?? 0, nodes: m.get('Nodes') ?? 0, listeners: m.get('JSEventListeners') ?? 0 };
}

export interface BaselineStats {
  readonly data: number;
  readonly quotes: number;
  readonly lagSum: number;
  readonly lagMax: number;
  readonly lagN: number;
  readonly barTime: number;
  readonly firstBarTime: number;
}

export const baselineStats = (page: Page): Promise<BaselineStats> => page.evaluate('({ ...window.__baseline })');

export const mib = (bytes: number): string => (bytes / 1048576).toFixed(1);
export const int = (n: number): string => Math.round(n).toLocaleString('en-US');
