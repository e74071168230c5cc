// The order path inside the core: a placeOrder command → the message written to the venue socket
// (schema validation, market data check, risk gate, write-ahead journal with its fsync, the adapter's
// pacer and encoding), beside the bare IbAdapter.placeOrder on the same connection (the baseline),
// with the journal write measured on its own. The simulator runs in its own process.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDesk, loadConfig } from '../src/main/app';
import { createLogger } from '../src/main/ops';
import { report } from './lib/report';
import { fmt, quantile, table } from './lib/stats';

const ORDERS = Number(process.env['BENCH_ORDERS'] ?? 300);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startSim(): Promise<{ port: number; child: ChildProcess }> {
  const script = fileURLToPath(new URL('./lib/sim-server.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify({ kind: 'sim', tickRate: 4 })], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve) => child.stdout?.once('data', (c: Buffer) => resolve((JSON.parse(c.toString()) as { port: number }).port)));
  return { port, child };
}

const sim = await startSim();
const dir = mkdtempSync(join(tmpdir(), 'dualdesk-bench-orders-'));
const desk = createDesk(loadConfig({ flags: { dataDir: dir, 'log.level': 'silent' }, defaults: { venue: { platform: 'tws', paperPort: sim.port, clientId: 31 } } }), {
  logger: createLogger({ level: 'silent' }),
});
await desk.start();
await desk.venue!.whenReady();
const core = desk.core!;
while (!core.execution?.lastReconciliation) await pause(10);
// The benchmark's own pace is above the default rate limit and repeats orders: open those two checks (all others stay).
const limits = await desk.command('setRiskLimits', { limits: { rateLimit: { maxOrders: 1_000, windowMs: 1_000 }, duplicateWindowMs: 0 } });
if (!limits.ok) throw new Error(limits.error.message);
const aapl = await desk.venue!.resolve({ symbol: 'AAPL', secType: 'STK' });
await core.subscribe(aapl, 'bench');

// When the adapter has written the order to the socket (the end of "command → venue send"): the
// command resolves later, after the journal records the venue's order id (a second fsync).
const venue = desk.venue!;
const send = venue.placeOrder.bind(venue);
let sentAt = 0;
venue.placeOrder = async (req) => {
  const r = await send(req);
  sentAt = performance.now();
  return r;
};
const commandMs: number[] = [];
const toSendMs: number[] = [];
const adapterMs: number[] = [];
const journalMs: number[] = [];
const journal = (core.execution as unknown as { options: { journal: { create: (...a: unknown[]) => unknown } } }).options.journal;
for (let i = 0; i < ORDERS; i++) {
  const side = i % 2 ? 'SELL' : 'BUY';
  let t = performance.now();
  const r = await desk.command('placeOrder', { ticket: { instrument: { symbol: 'AAPL', secType: 'STK' }, side, quantity: 100, type: 'MKT' } });
  commandMs.push(performance.now() - t);
  toSendMs.push(sentAt - t);
  if (!r.ok) throw new Error(`order ${i} refused: ${r.error.code} ${r.error.message}`);
  await pause(30);
  t = performance.now();
  await send({ orderRef: `bench-raw-${i}`, instrument: aapl, side, quantity: 100, type: 'MKT', tif: 'DAY' });
  adapterMs.push(performance.now() - t);
  await pause(30);
  // The write-ahead journal's share: one intent written and fsynced (a row never sent).
  t = performance.now();
  journal.create(
    {
      conId: aapl.conId,
      symbol: 'AAPL',
      side,
      quantity: 100,
      type: 'MKT',
      tif: 'DAY',
      state: 'rejected',
      filledQuantity: 0,
      avgFillPrice: 0,
      reduceOnly: false,
      origin: 'desk',
      createdAt: 0,
      updatedAt: 0,
    },
    aapl,
    false,
    {},
  );
  journalMs.push(performance.now() - t);
}
await desk.stop();
sim.child.stdin?.end();
rmSync(dir, { recursive: true, force: true });

const s = (xs: number[]) => [...xs].sort((a, b) => a - b);
const [c, a, j, w] = [s(commandMs), s(adapterMs), s(journalMs), s(toSendMs)];
// The headline figures for `npm run bench -- --json` (bench/lib/report.ts).
report({ figure: 'order.place_to_venue.p50', unit: 'ms', value: quantile(w, 0.5), baseline: quantile(a, 0.5) });
report({ figure: 'order.place_to_venue.p99', unit: 'ms', value: quantile(w, 0.99), baseline: quantile(a, 0.99) });
process.stdout.write(
  `## order path: placeOrder command → message written to the venue (${ORDERS} orders each, spaced 30 ms, alternating)\n\n` +
    table(
      ['path', 'p50 ms', 'p99 ms', 'max ms'],
      [
        ['IbAdapter.placeOrder on the same connection (baseline)', fmt(quantile(a, 0.5)), fmt(quantile(a, 0.99)), fmt(a.at(-1) ?? 0)],
        ['order journal: one intent written (synchronous=FULL)', fmt(quantile(j, 0.5)), fmt(quantile(j, 0.99)), fmt(j.at(-1) ?? 0)],
        ['desk.command(placeOrder) → written to the venue: validation, market data, risk, journal, send', fmt(quantile(w, 0.5)), fmt(quantile(w, 0.99)), fmt(w.at(-1) ?? 0)],
        ['desk.command(placeOrder) → command answered (after journaling the venue order id)', fmt(quantile(c, 0.5)), fmt(quantile(c, 0.99)), fmt(c.at(-1) ?? 0)],
      ],
    ) +
    '\n',
);
