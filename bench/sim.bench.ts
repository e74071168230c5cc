// The simulator as a venue: quote updates per second it sustains to one @stoqey/ib client, beside a
// bare server streaming the same frames; and order round trip (placeOrder → Filled orderStatus at
// the client), beside a reqCurrentTime round trip on the same connection.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { EventName, IBApi, OrderAction, OrderType, SecType, TimeInForce } from '@stoqey/ib';
import { fmt, median, quantile, table } from './lib/stats';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const WINDOW_MS = Number(process.env['BENCH_WINDOW_MS'] ?? 4_000);
const ORDERS = Number(process.env['BENCH_ORDERS'] ?? 300);
const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'SPY', 'SYMA', 'SYMB', 'SYMC', 'SYMD', 'SYME'];
const TICK_RATE = 2_000; // per symbol: 20,000 quote updates per second in all

async function startServer(kind: 'sim' | 'bare'): Promise<{ port: number; child: ChildProcess }> {
  const script = fileURLToPath(new URL('./lib/sim-server.ts', import.meta.url));
  // The baseline is pushed far past the simulator's rate, to find the client's own ceiling.
  const tickRate = kind === 'sim' ? TICK_RATE : TICK_RATE * 10;
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify({ kind, symbols: SYMBOLS, tickRate })], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.once('data', (c: Buffer) => resolve((JSON.parse(c.toString()) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`${kind} server exited ${code}`)));
  });
  return { port, child };
}

function connect(port: number, clientId: number): Promise<{ ib: IBApi; nextId: number }> {
  const ib = new IBApi({ host: '127.0.0.1', port, maxReqPerSec: 100_000 });
  ib.on(EventName.error, () => undefined);
  return new Promise((resolve) => {
    ib.once(EventName.nextValidId, (id: number) => resolve({ ib, nextId: id }));
    ib.connect(clientId);
  });
}

/** Market data messages (TICK_PRICE, TICK_SIZE, TICK_STRING) per second received over the window. */
async function quoteRate(kind: 'sim' | 'bare'): Promise<number> {
  const server = await startServer(kind);
  const { ib } = await connect(server.port, 1);
  let count = 0;
  ib.on(EventName.tickPrice, () => count++);
  ib.on(EventName.tickSize, () => count++);
  ib.on(EventName.tickString, () => count++);
  SYMBOLS.forEach((symbol, i) => ib.reqMktData(i + 1, { symbol, secType: SecType.STK, exchange: 'SMART', currency: 'USD' }, '', false, false));
  await new Promise((r) => setTimeout(r, 1_000));
  const start = count;
  const t = performance.now();
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  const rate = ((count - start) / (performance.now() - t)) * 1000;
  ib.disconnect();
  server.child.stdin?.end();
  return rate;
}

async function roundTrips(): Promise<{ order: number[]; time: number[] }> {
  const server = await startServer('sim');
  const { ib, nextId } = await connect(server.port, 1);
  const order: number[] = [];
  const time: number[] = [];
  const aapl = { symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', currency: 'USD' };
  for (let i = 0; i < 50; i++) await once(ib, () => ib.reqCurrentTime(), EventName.currentTime);
  for (let i = 0; i < ORDERS; i++) {
    const id = nextId + i;
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      const onStatus = (orderId: number, status: string) => {
        if (orderId === id && status === 'Filled') {
          ib.off(EventName.orderStatus, onStatus);
          resolve();
        }
      };
      ib.on(EventName.orderStatus, onStatus);
      ib.placeOrder(id, aapl, { action: i % 2 ? OrderAction.SELL : OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 100, tif: TimeInForce.DAY, transmit: true });
    });
    order.push(performance.now() - t0);
    const t1 = performance.now();
    await once(ib, () => ib.reqCurrentTime(), EventName.currentTime);
    time.push(performance.now() - t1);
  }
  ib.disconnect();
  server.child.stdin?.end();
  return { order, time };
}

function once(ib: IBApi, send: () => void, event: EventName): Promise<void> {
  return new Promise((resolve) => {
    ib.once(event, () => resolve());
    send();
  });
}

const sim: number[] = [];
const bare: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  bare.push(await quoteRate('bare'));
  sim.push(await quoteRate('sim'));
}
const rt = await roundTrips();
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const o = sorted(rt.order);
const c = sorted(rt.time);

process.stdout.write(
  `## simulator → one @stoqey/ib client: market data messages per second (${ROUNDS} rounds of ${WINDOW_MS / 1000} s, median)\n\n` +
    table(
      ['server', 'market updates generated/s', 'tick messages/s received by the client', 'vs baseline'],
      [
        ['bare server streaming pre-encoded bid ticks as fast as asked (baseline: the client’s ceiling)', TICK_RATE * 10 * SYMBOLS.length, Math.round(median(bare)), '1.00'],
        ['DualDesk simulator, 10 symbols at 2,000 updates/s each', TICK_RATE * SYMBOLS.length, Math.round(median(sim)), fmt(median(sim) / median(bare), 2)],
      ],
    ) +
    `\n\nA market update is one model tick: a bid and/or ask change (TICK_PRICE + TICK_SIZE each) and, for about 45 % of them, a trade (LAST, LAST_SIZE, VOLUME, LAST_TIMESTAMP).\n\n` +
    `## order round trip: placeOrder (MKT 100 AAPL) → Filled orderStatus at the client (${ORDERS} sequential orders)\n\n` +
    table(
      ['round trip', 'p50 ms', 'p99 ms'],
      [
        ['reqCurrentTime → currentTime (baseline)', fmt(quantile(c, 0.5)), fmt(quantile(c, 0.99))],
        ['placeOrder → orderStatus Filled', fmt(quantile(o, 0.5)), fmt(quantile(o, 0.99))],
      ],
    ) +
    '\n',
);
