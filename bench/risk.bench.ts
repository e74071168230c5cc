// The pre-trade risk check: RiskEngine.check on a passing order and on a rejected one (a fat-finger
// limit price, refused by the price band after every check before it has run, its reason text built),
// beside a baseline: a bare function doing the same comparisons inline on plain numbers (no context
// calls, no state, no rings, no reason text). Each call is timed alone with performance.now() (the
// empty timed call is reported as the floor); rounds alternate baseline and DualDesk; medians of the
// per-round quantiles. The engine is the real one, over a real SQLite database (not on the check path).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultRiskLimits, type Instrument, type OrderSide } from '../src/shared';
import { MessageBus, type CoreTopics } from '../src/main/bus';
import { VirtualClock } from '../src/main/clock';
import { RiskEngine, type OrderIntent, type RiskContext } from '../src/main/risk';
import { openStore, storeFile } from '../src/main/store';
import { report } from './lib/report';
import { fmt, median, quantile, table } from './lib/stats';
import { aapl } from '../test/support/fixtures';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
const CALLS = Number(process.env['BENCH_CALLS'] ?? 200_000);
const WARMUP = 50_000;

const AAPL: Instrument = aapl();

// The context as the wiring would build it: map lookups into the market data and portfolio caches.
const clock = new VirtualClock(Date.UTC(2026, 10, 23, 15, 0));
const instruments = new Map<number, Instrument>([[AAPL.conId, AAPL]]);
const last = new Map<number, number>([[AAPL.conId, 100]]);
const positions = new Map<number, number>([[AAPL.conId, 300]]);
const working = new Map<number, number>([[AAPL.conId, 100]]);
const rates = new Map<string, number>([['USD', 1]]);
const ctx: RiskContext = {
  instrument: (conId) => instruments.get(conId),
  lastPrice: (conId) => last.get(conId),
  position: (conId) => positions.get(conId) ?? 0,
  workingQuantity: (conId, side: OrderSide) => (side === 'BUY' ? (working.get(conId) ?? 0) : 0),
  grossExposure: () => 1_250_000,
  fxRate: (currency) => rates.get(currency),
  now: () => clock.now(),
};

const dir = mkdtempSync(join(tmpdir(), 'dualdesk-bench-risk-'));
const store = openStore(storeFile(dir, 'paper'), 'paper');
const engine = new RiskEngine({ db: store.db, mode: 'paper', bus: new MessageBus<CoreTopics>(), clock });
const limits = defaultRiskLimits('paper');

// Passing orders 400 ms apart (25 of the 30 allowed per 10 s stay in the rate window, 2 in the
// duplicate window); three quantities in turn, so none repeats within the duplicate window.
const passing: OrderIntent[] = [100, 101, 102].map((q) => ({ conId: AAPL.conId, side: 'BUY', quantity: q, type: 'LMT', limitPrice: 100.05 }));
const fatFinger: OrderIntent = { conId: AAPL.conId, side: 'BUY', quantity: 100, type: 'LMT', limitPrice: 120 };

/** The same arithmetic inline: quantity, tick, max quantity, notional, position, gross, band. Returns 0 (pass) or a code. */
function bare(quantity: number, price: number, lastPrice: number, position: number, work: number, gross: number, minTick: number): number {
  if (!(Number.isSafeInteger(quantity) && quantity > 0)) return 1;
  const steps = price / minTick;
  if (Math.abs(steps - Math.round(steps)) >= 1e-6) return 2;
  if (quantity > limits.maxOrderQuantity.STK) return 3;
  const notional = quantity * price;
  if (notional > limits.maxOrderNotional) return 4;
  const after = Math.abs(position + quantity + work);
  if (after > limits.maxPosition.STK) return 5;
  if (gross + (after - Math.abs(position)) * price > limits.maxGrossExposure) return 6;
  if (Math.abs(price - lastPrice) > lastPrice * limits.priceBandPct * 0.01) return 7;
  return 0;
}

let sink = 0;
/** Counts passing orders across rounds, so the quantities keep turning. */
let sent = 0;
type Variant = 'floor' | 'bare-pass' | 'bare-reject' | 'desk-pass' | 'desk-reject';

function sample(variant: Variant, calls: number, out: Float64Array): void {
  for (let i = 0; i < calls; i++) {
    let t = 0;
    switch (variant) {
      case 'floor':
        t = performance.now();
        sink++;
        break;
      case 'bare-pass':
        t = performance.now();
        sink += bare(100 + (i % 3), 100.05, 100, 300, 100, 1_250_000, 0.01);
        break;
      case 'bare-reject':
        t = performance.now();
        sink += bare(100, 120, 100, 300, 100, 1_250_000, 0.01);
        break;
      case 'desk-pass': {
        clock.advance(400);
        t = performance.now();
        const d = engine.check(passing[sent++ % 3] as OrderIntent, ctx);
        const e = performance.now();
        if (!d.ok) throw new Error(`expected a pass, got ${d.code}: ${d.reason}`);
        out[i] = e - t;
        continue;
      }
      case 'desk-reject': {
        t = performance.now();
        const d = engine.check(fatFinger, ctx);
        const e = performance.now();
        if (d.ok || d.code !== 'price-band') throw new Error('expected a price band rejection');
        sink += d.reason.length;
        out[i] = e - t;
        continue;
      }
    }
    out[i] = performance.now() - t;
  }
}

const VARIANTS: readonly Variant[] = ['floor', 'bare-pass', 'desk-pass', 'bare-reject', 'desk-reject'];
const buffer = new Float64Array(CALLS);
for (const v of VARIANTS) sample(v, WARMUP, buffer);

const results = new Map<Variant, { p50: number[]; p99: number[]; p999: number[]; mean: number[] }>(VARIANTS.map((v) => [v, { p50: [], p99: [], p999: [], mean: [] }]));
for (let r = 0; r < ROUNDS; r++) {
  for (const v of VARIANTS) {
    sample(v, CALLS, buffer);
    const sorted = Array.from(buffer).sort((a, b) => a - b);
    const res = results.get(v)!;
    res.p50.push(quantile(sorted, 0.5) * 1000);
    res.p99.push(quantile(sorted, 0.99) * 1000);
    res.p999.push(quantile(sorted, 0.999) * 1000);
    res.mean.push((sorted.reduce((s, x) => s + x, 0) / sorted.length) * 1000);
  }
}
store.close();
rmSync(dir, { recursive: true, force: true });

if (sink < 0) throw new Error('unreachable: the sink keeps the baseline from being optimised away');

const med = (v: Variant, k: 'p50' | 'p99' | 'p999' | 'mean') => median(results.get(v)![k]);
// The headline figures for `npm run bench -- --json` (bench/lib/report.ts).
report({ figure: 'risk.check.p50', unit: 'µs', value: med('desk-pass', 'p50'), baseline: med('bare-pass', 'p50') });
report({ figure: 'risk.check.p99', unit: 'µs', value: med('desk-pass', 'p99'), baseline: med('bare-pass', 'p99') });
report({ figure: 'risk.reject.p50', unit: 'µs', value: med('desk-reject', 'p50'), baseline: med('bare-reject', 'p50') });

const row = (name: string, v: Variant, base?: Variant) => [
  name,
  fmt(med(v, 'p50')),
  fmt(med(v, 'p99')),
  fmt(med(v, 'p999')),
  fmt(med(v, 'mean')),
  base ? fmt(med(v, 'p50') / med(base, 'p50'), 2) : '—',
];

process.stdout.write(
  `## risk: pre-trade check, one call timed at a time (${ROUNDS} rounds of ${CALLS.toLocaleString('en-US')} calls, medians of per-round quantiles)\n\n` +
    table(
      ['path', 'p50 µs', 'p99 µs', 'p99.9 µs', 'mean µs', 'p50 vs baseline'],
      [
        row('floor: an empty timed call (two performance.now())', 'floor'),
        row('baseline: the same comparisons inline, passing', 'bare-pass'),
        row('RiskEngine.check, passing LMT order (every check, recorded in the rate and duplicate rings)', 'desk-pass', 'bare-pass'),
        row('baseline: the same comparisons inline, price band fails', 'bare-reject'),
        row('RiskEngine.check, rejected: price band (every check before it, reason text built)', 'desk-reject', 'bare-reject'),
      ],
    ) +
    '\n',
);
