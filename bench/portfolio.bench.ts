// The portfolio's cost on the two paths that feed it. (1) A quote on the bus → mark → equity and
// anchors updated (publishing throttled to one per 250 ms), with 20 open positions, beside the same
// bus delivering the quote to a subscriber that does nothing. (2) A fill → books, anchors written to
// SQLite (WAL, synchronous=FULL), position and equity published, beside the bare SQLite write of the
// same row.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageBus, type CoreTopics, type SymbolQuote } from '../src/main/bus';
import { VirtualClock } from '../src/main/clock';
import { createLogger } from '../src/main/ops';
import { Portfolio } from '../src/main/portfolio';
import { openStore, PortfolioRepository } from '../src/main/store';
import { fmt, median, quantile, table } from './lib/stats';

const QUOTES = Number(process.env['BENCH_QUOTES'] ?? 200_000);
const FILLS = Number(process.env['BENCH_FILLS'] ?? 500);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
const POSITIONS = 20;
const T0 = Date.UTC(2026, 10, 17, 15, 0, 0);

const dir = mkdtempSync(join(tmpdir(), 'dualdesk-bench-portfolio-'));
const logger = createLogger({ level: 'silent' });
const symbols = Array.from({ length: POSITIONS }, (_, i) => `SYM${i}`);
const quotes: { topic: `md.quote.${string}`; quote: SymbolQuote }[] = [];
for (let i = 0; i < 4096; i++) {
  const k = i % POSITIONS;
  const px = 100 + k + Math.sin(i / 17) * 2;
  quotes.push({ topic: `md.quote.${symbols[k] as string}`, quote: { conId: 1000 + k, symbol: symbols[k] as string, bid: px - 0.01, ask: px + 0.01, last: px, time: T0 + i } });
}

let round = 0;
function fresh(): { portfolio: Portfolio; bus: MessageBus<CoreTopics>; clock: VirtualClock; close: () => void } {
  const store = openStore(join(dir, `paper-${round++}.db`), 'paper');
  const clock = new VirtualClock(T0);
  const bus = new MessageBus<CoreTopics>();
  let published = 0;
  bus.subscribe('equity', () => published++);
  const portfolio = new Portfolio({ bus, clock, logger, memory: new PortfolioRepository(store.db) });
  portfolio.sync({
    at: T0,
    accounts: ['DU1'],
    positions: [],
    openOrders: [],
    completedOrders: [],
    accountValues: [
      { account: 'DU1', key: 'NetLiquidation', value: '1000000', currency: 'USD' },
      { account: 'DU1', key: 'UnrealizedPnL', value: '0', currency: 'USD' },
    ],
    newExecutions: [],
    commissions: [],
  });
  return {
    portfolio,
    bus,
    clock,
    close: () => {
      portfolio.close();
      store.close();
      void published;
    },
  };
}

let exec = 0;
const fillOf = (k: number, side: 'BUY' | 'SELL', time: number) => ({
  execId: `b${++exec}`,
  orderId: '',
  conId: 1000 + k,
  symbol: symbols[k] as string,
  side,
  quantity: 100,
  price: 100 + k,
  multiplier: 1,
  commission: 1,
  time,
});

/** ns per quote delivered, sampled in batches of 64 (single deliveries are below the timer's resolution). */
function quoteRound(withPortfolio: boolean): { p50: number; p99: number; perSecond: number } {
  const d = fresh();
  if (withPortfolio) for (let k = 0; k < POSITIONS; k++) d.portfolio.applyFill(fillOf(k, 'BUY', T0));
  else d.portfolio.close();
  const bus = withPortfolio ? d.bus : new MessageBus<CoreTopics>();
  if (!withPortfolio) bus.subscribe('md.quote.*', () => undefined);
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < QUOTES; i += 64) {
    const t = performance.now();
    for (let j = 0; j < 64; j++) {
      const q = quotes[(i + j) & 4095] as (typeof quotes)[number];
      bus.publish(q.topic, q.quote);
    }
    samples.push(((performance.now() - t) * 1e6) / 64);
    d.clock.advance(1); // 64 quotes a virtual millisecond: 64,000 quotes/s of market time
  }
  const elapsed = performance.now() - started;
  d.close();
  samples.sort((a, b) => a - b);
  return { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99), perSecond: (QUOTES / elapsed) * 1000 };
}

function fillRound(withPortfolio: boolean): { p50: number; p99: number } {
  const d = fresh();
  const repo = new PortfolioRepository(openStore(join(dir, `bare-${round++}.db`), 'paper').db);
  const samples: number[] = [];
  for (let i = 0; i < FILLS; i++) {
    const t = performance.now();
    if (withPortfolio) d.portfolio.applyFill(fillOf(i % POSITIONS, i % 2 === 0 ? 'BUY' : 'SELL', T0 + i));
    else
      repo.save(
        {
          day: '2026-11-17',
          startEquity: 1e6,
          minEquity: 1e6 - i,
          maxEquity: 1e6 + i,
          realizedPnl: i,
          commissions: i,
          trades: i,
          lastTradeAt: T0 + i,
          startedAt: T0,
          updatedAt: T0 + i,
        },
        { equity: 1e6 + i, at: T0 + i },
      );
    samples.push(performance.now() - t);
  }
  d.close();
  samples.sort((a, b) => a - b);
  return { p50: quantile(samples, 0.5), p99: quantile(samples, 0.99) };
}

const base: ReturnType<typeof quoteRound>[] = [];
const mine: ReturnType<typeof quoteRound>[] = [];
for (let r = 0; r < ROUNDS; r++) {
  base.push(quoteRound(false));
  mine.push(quoteRound(true));
}
const fb: ReturnType<typeof fillRound>[] = [];
const fm: ReturnType<typeof fillRound>[] = [];
for (let r = 0; r < ROUNDS; r++) {
  fb.push(fillRound(false));
  fm.push(fillRound(true));
}
rmSync(dir, { recursive: true, force: true });

const m = <T>(xs: T[], f: (x: T) => number) => median(xs.map(f));
process.stdout.write(`### Portfolio: quote → mark → equity (${POSITIONS} open positions)\n\n`);
process.stdout.write(
  `${table(
    ['path', 'p50 ns/quote', 'p99 ns/quote', 'quotes/s', 'vs baseline'],
    [
      [
        'bus → no-op subscriber (baseline)',
        fmt(
          m(base, (x) => x.p50),
          0,
        ),
        fmt(
          m(base, (x) => x.p99),
          0,
        ),
        Math.round(m(base, (x) => x.perSecond)),
        '1.00',
      ],
      [
        'bus → portfolio (mark, equity, anchors, throttled publish)',
        fmt(
          m(mine, (x) => x.p50),
          0,
        ),
        fmt(
          m(mine, (x) => x.p99),
          0,
        ),
        Math.round(m(mine, (x) => x.perSecond)),
        fmt(m(mine, (x) => x.perSecond) / m(base, (x) => x.perSecond), 2),
      ],
    ],
  )}\n\n`,
);
process.stdout.write(`### Portfolio: fill → books + SQLite + publish (${FILLS} fills a round, ${ROUNDS} rounds, medians)\n\n`);
process.stdout.write(
  `${table(
    ['path', 'p50 ms', 'p99 ms'],
    [
      ['bare SQLite write of the day row and high (baseline)', fmt(m(fb, (x) => x.p50)), fmt(m(fb, (x) => x.p99))],
      ['applyFill', fmt(m(fm, (x) => x.p50)), fmt(m(fm, (x) => x.p99))],
    ],
  )}\n`,
);
