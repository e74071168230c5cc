// The venue adapter's own cost. (1) Order command → message written to the venue socket, inside the
// adapter (checks, order id persisted to SQLite first, pacer, encoding), beside the bare
// IBApi.placeOrder call on its own connection. (2) Quote ingest: quote updates delivered to a
// consumer per second, beside the raw tick events the library decodes from the same stream.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EventName, IBApi, OrderAction, OrderType, SecType, TimeInForce } from '@stoqey/ib';
import { Registry } from 'prom-client';
import { createVenueMetrics, IbAdapter } from '../src/main/ib';
import { createLogger } from '../src/main/ops';
import { openStore, VenueMemoryRepository } from '../src/main/store';
import { fmt, median, quantile, table } from './lib/stats';

const ORDERS = Number(process.env['BENCH_ORDERS'] ?? 300);
const WINDOW_MS = Number(process.env['BENCH_WINDOW_MS'] ?? 4_000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'SPY', 'SYMA', 'SYMB', 'SYMC', 'SYMD', 'SYME'];
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startSim(tickRate: number): Promise<{ port: number; child: ChildProcess }> {
  const script = fileURLToPath(new URL('./lib/sim-server.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify({ kind: 'sim', symbols: SYMBOLS, tickRate })], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout?.once('data', (c: Buffer) => resolve((JSON.parse(c.toString()) as { port: number }).port)));
  return { port, child };
}

function adapterFor(port: number, dir: string) {
  const store = openStore(join(dir, `paper-${port}.db`), 'paper');
  const adapter = new IbAdapter({
    host: '127.0.0.1',
    port,
    clientId: 21,
    mode: 'paper',
    memory: new VenueMemoryRepository(store.db),
    logger: createLogger({ level: 'silent' }),
    metrics: createVenueMetrics(new Registry()),
  });
  adapter.start();
  return { adapter, store };
}

function rawClient(port: number, clientId: number): Promise<{ ib: IBApi; nextId: number }> {
  const ib = new IBApi({ host: '127.0.0.1', port, maxReqPerSec: 1_000 });
  ib.on(EventName.error, () => undefined);
  return new Promise((resolve) => {
    ib.once(EventName.nextValidId, (id: number) => resolve({ ib, nextId: id }));
    ib.connect(clientId);
  });
}

const dir = mkdtempSync(join(tmpdir(), 'dualdesk-bench-ib-'));

// (1) order send latency
const orderSim = await startSim(4);
const { adapter, store } = adapterFor(orderSim.port, dir);
await adapter.whenReady();
const aapl = await adapter.resolve({ symbol: 'AAPL', secType: 'STK' });
const raw = await rawClient(orderSim.port, 22);
const rawContract = { conId: aapl.conId, symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', currency: 'USD' };
const adapterMs: number[] = [];
const rawMs: number[] = [];
for (let i = 0; i < ORDERS; i++) {
  const side = i % 2 ? 'SELL' : 'BUY';
  let t = performance.now();
  await adapter.placeOrder({ orderRef: `bench-${i}`, instrument: aapl, side, quantity: 100, type: 'MKT', tif: 'DAY' });
  adapterMs.push(performance.now() - t);
  t = performance.now();
  raw.ib.placeOrder(raw.nextId + i, rawContract, {
    action: side === 'BUY' ? OrderAction.BUY : OrderAction.SELL,
    orderType: OrderType.MKT,
    totalQuantity: 100,
    tif: TimeInForce.DAY,
    transmit: true,
  });
  rawMs.push(performance.now() - t);
  // Spaced above the pacer's 25 ms so the figure is the adapter's work, not its queue.
  await pause(30);
}
raw.ib.disconnect();
await adapter.stop();
store.close();
orderSim.child.stdin?.end();

// (2) quote ingest
const quoteRates: number[] = [];
const rawRates: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const sim = await startSim(2_000);
  const a = adapterFor(sim.port, dir);
  await a.adapter.whenReady();
  let quotes = 0;
  for (const symbol of SYMBOLS) a.adapter.subscribeQuotes(await a.adapter.resolve({ symbol, secType: 'STK' }), { onQuote: () => quotes++ });
  const rc = await rawClient(sim.port, 23);
  let ticks = 0;
  rc.ib.on(EventName.tickPrice, () => ticks++);
  rc.ib.on(EventName.tickSize, () => ticks++);
  SYMBOLS.forEach((symbol, i) => rc.ib.reqMktData(100 + i, { symbol, secType: SecType.STK, exchange: 'SMART', currency: 'USD' }, '', false, false));
  await pause(1_000);
  const q0 = quotes;
  const k0 = ticks;
  const t0 = performance.now();
  await pause(WINDOW_MS);
  const seconds = (performance.now() - t0) / 1000;
  quoteRates.push((quotes - q0) / seconds);
  rawRates.push((ticks - k0) / seconds);
  rc.ib.disconnect();
  await a.adapter.stop();
  a.store.close();
  sim.child.stdin?.end();
}
rmSync(dir, { recursive: true, force: true });

const sorted = (xs: number[]) => [...xs].sort((x, y) => x - y);
const am = sorted(adapterMs);
const rm = sorted(rawMs);
process.stdout.write(
  `## venue adapter: order command → message written to the venue (${ORDERS} orders, spaced 30 ms)\n\n` +
    table(
      ['path', 'p50 ms', 'p99 ms'],
      [
        ['bare IBApi.placeOrder call (baseline)', fmt(quantile(rm, 0.5)), fmt(quantile(rm, 0.99))],
        ['IbAdapter.placeOrder (checks, order id persisted, pacer, encode, write)', fmt(quantile(am, 0.5)), fmt(quantile(am, 0.99))],
      ],
    ) +
    `\n\n## venue adapter: quote ingest from the simulator (10 symbols at 2,000 updates/s; ${ROUNDS} rounds of ${WINDOW_MS / 1000} s, median)\n\n` +
    table(
      ['consumer', 'updates/s', 'tick events per update'],
      [
        ['raw tickPrice + tickSize events from @stoqey/ib (baseline)', Math.round(median(rawRates)), '1'],
        // The adapter conflates: the fields that arrive in one event-loop turn go out as one quote.
        ['quotes delivered by IbAdapter (conflated per event-loop turn)', Math.round(median(quoteRates)), fmt(median(rawRates) / median(quoteRates), 1)],
      ],
    ) +
    '\n',
);
