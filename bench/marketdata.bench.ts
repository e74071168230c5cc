// The market data hub's hot path, in process. (1) A 5-second bar in → the 1-minute bar (forming or
// final) and the EMAs (provisional or committed, with the crossover check) published on the bus and
// delivered to a subscriber: per-bar latency p50/p99 and throughput, beside a bare baseline that does
// the same arithmetic inline (OHLC of the forming minute, the EMAs, no bus, no messages). (2) A quote
// in → published on the bus, beside publishing a prepared quote on the same bus.
// The bars come from the venue listener the hub registered (the path the IbAdapter calls), for 10
// instruments in turn; time is a VirtualClock moved between bars, outside the measurement. Rounds
// alternate baseline and hub; medians over rounds.
import { MessageBus, type CoreTopics, type SymbolQuote } from '../src/main/bus';
import { VirtualClock } from '../src/main/clock';
import type { BarListener, QuoteListener } from '../src/main/venue';
import { MarketDataHub, type MarketDataVenue } from '../src/main/marketdata';
import { createLogger } from '../src/main/ops';
import type { Bar, Instrument, Quote } from '../src/shared';
import { report } from './lib/report';
import { fmt, median, quantile, table } from './lib/stats';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
const MINUTES = Number(process.env['BENCH_MINUTES'] ?? 2_000); // per instrument and round
const QUOTES = Number(process.env['BENCH_QUOTES'] ?? 500_000);
const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'SPY', 'SYMA', 'SYMB', 'SYMC', 'SYMD', 'SYME'];
const T0 = Date.UTC(2026, 10, 17, 15, 0, 0);
const PERIODS = [9, 21];

/** A seeded generator (randomness is injected, so every round sees the same market). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32;
}

function makeBars(seed: number, count: number): Bar[] {
  const rnd = lcg(seed);
  let price = 100 + rnd() * 100;
  const bars: Bar[] = [];
  for (let i = 0; i < count; i++) {
    const open = price;
    const close = Math.max(1, open + (rnd() - 0.5) * 0.2);
    const high = Math.max(open, close) + rnd() * 0.05;
    const low = Math.min(open, close) - rnd() * 0.05;
    const volume = Math.floor(rnd() * 5_000);
    bars.push({ time: T0 + i * 5_000, open, high, low, close, volume, wap: (open + close) / 2, count: Math.floor(volume / 100) });
    price = close;
  }
  return bars;
}

const instruments: Instrument[] = SYMBOLS.map((symbol, i) => ({
  conId: 1_000 + i,
  symbol,
  secType: 'STK',
  exchange: 'SMART',
  primaryExchange: 'NASDAQ',
  currency: 'USD',
  localSymbol: symbol,
  tradingClass: 'NMS',
  multiplier: 1,
  minTick: 0.01,
  longName: symbol,
  lastTradeDateOrContractMonth: '',
  timeZoneId: 'America/New_York',
  tradingHours: '',
  liquidHours: '',
}));
const barsOf = instruments.map((_, i) => makeBars(42 + i, MINUTES * 12));
const history = instruments.map((_, i) =>
  makeBars(7 + i, 100 * 12)
    .filter((_, k) => k % 12 === 11)
    .map((b, k) => ({ ...b, time: T0 - (100 - k) * 60_000 })),
);
/** The venue's 5-second history (the hub asks for an hour of it as well). */
const history5s = instruments.map((_, i) => makeBars(7 + i, 100 * 12).map((b, k) => ({ ...b, time: T0 - (100 * 12 - k) * 5_000 })));

/** The venue as the hub sees it, handing the listeners to the benchmark. */
class BenchVenue implements MarketDataVenue {
  readonly bars = new Map<number, BarListener>();
  readonly quotes = new Map<number, QuoteListener>();
  resolve(): Promise<Instrument> {
    return Promise.reject(new Error('not used'));
  }
  subscribeQuotes(instrument: Instrument, listener: QuoteListener): () => void {
    this.quotes.set(instrument.conId, listener);
    return () => this.quotes.delete(instrument.conId);
  }
  subscribeBars(instrument: Instrument, _source: string, listener: BarListener): () => void {
    this.bars.set(instrument.conId, listener);
    return () => this.bars.delete(instrument.conId);
  }
  historicalBars(instrument: Instrument, q: { readonly barSize: string }): Promise<Bar[]> {
    return Promise.resolve((q.barSize === '5 secs' ? history5s : history)[instrument.conId - 1_000] as Bar[]);
  }
}

interface RoundResult {
  readonly samples: number[];
  readonly perSecond: number;
}

/** DualDesk: the hub, one bus subscriber (as the stream publisher is). */
async function hubRound(): Promise<{ bars: RoundResult; delivered: number }> {
  const clock = new VirtualClock(T0);
  const bus = new MessageBus<CoreTopics>();
  let delivered = 0;
  bus.subscribeAny('md.>', () => delivered++);
  const venue = new BenchVenue();
  const hub = new MarketDataHub({ venue, bus, clock, logger: createLogger({ level: 'silent' }), settings: { emaPeriods: PERIODS } });
  for (const i of instruments) await hub.subscribe(i, 'bench');
  const listeners = instruments.map((i) => (venue.bars.get(i.conId) as BarListener).onBar);
  const n = barsOf[0]!.length;
  // Latency: one bar at a time, timed.
  const half = Math.floor(n / 2);
  const samples: number[] = [];
  for (let k = 0; k < half; k++) {
    clock.advanceTo(T0 + k * 5_000 + 5_000);
    for (let s = 0; s < listeners.length; s++) {
      const bar = barsOf[s]![k]!;
      const t = performance.now();
      listeners[s]!(bar);
      samples.push(performance.now() - t);
    }
  }
  // Throughput: the other half back to back (the clock moves once per 5-second step).
  const t0 = performance.now();
  for (let k = half; k < n; k++) {
    clock.advanceTo(T0 + k * 5_000 + 5_000);
    for (let s = 0; s < listeners.length; s++) listeners[s]!(barsOf[s]![k]!);
  }
  const perSecond = ((n - half) * listeners.length * 1000) / (performance.now() - t0);
  hub.close();
  return { bars: { samples, perSecond }, delivered };
}

/**
 * Baseline: the same arithmetic inline; no late-bar handling. Bare: no messages. With `bus`: the same
 * two messages (the bar update, the EMA update) built and published as the hub does.
 */
function bareRound(withBus = false): RoundResult {
  const bus = new MessageBus<CoreTopics>();
  bus.subscribeAny('md.>', () => undefined);
  const barTopics = SYMBOLS.map((w) => `md.bar.1m.${w}` as const);
  const emaTopics = SYMBOLS.map((w) => `md.ema.${w}` as const);
  const alphas = PERIODS.map((p) => 2 / (p + 1));
  const state = instruments.map(() => ({
    minute: -1,
    open: 0,
    high: 0,
    low: 0,
    close: 0,
    volume: 0,
    notional: 0,
    count: 0,
    ema: [Number.NaN, Number.NaN],
    n: 0,
    sums: [0, 0],
    provisional: [0, 0],
  }));
  let sink = 0;
  const onBar = (s: (typeof state)[number], b: Bar, i: number) => {
    const minute = Math.floor(b.time / 60_000);
    if (minute !== s.minute) {
      if (s.minute >= 0) {
        s.n++;
        for (let p = 0; p < PERIODS.length; p++) {
          const period = PERIODS[p]!;
          if (s.n <= period) {
            s.sums[p]! += s.close;
            if (s.n === period) s.ema[p] = s.sums[p]! / period;
          } else s.ema[p] = s.ema[p]! + alphas[p]! * (s.close - s.ema[p]!);
        }
        const d = s.ema[0]! - s.ema[1]!;
        if (d === d) sink += d > 0 ? 1 : 0;
      }
      s.minute = minute;
      s.open = b.open;
      s.high = b.high;
      s.low = b.low;
      s.volume = 0;
      s.notional = 0;
      s.count = 0;
    }
    if (b.high > s.high) s.high = b.high;
    if (b.low < s.low) s.low = b.low;
    s.close = b.close;
    s.volume += b.volume;
    s.notional += b.wap * b.volume;
    s.count += b.count;
    for (let p = 0; p < PERIODS.length; p++) s.provisional[p] = s.ema[p]! + alphas[p]! * (b.close - s.ema[p]!);
    sink += s.provisional[0]!;
    if (withBus) {
      const time = s.minute * 60_000;
      const conId = 1_000 + i;
      const bar: Bar = { time, open: s.open, high: s.high, low: s.low, close: s.close, volume: s.volume, wap: s.volume > 0 ? s.notional / s.volume : s.close, count: s.count };
      bus.publish(barTopics[i]!, { conId, symbol: SYMBOLS[i]!, size: '1m', bar, final: false, revised: false }, 'NORMAL');
      bus.publish(emaTopics[i]!, { conId, symbol: SYMBOLS[i]!, time, values: { 9: s.provisional[0]!, 21: s.provisional[1]! }, final: false }, 'NORMAL');
    }
  };
  const n = barsOf[0]!.length;
  const half = Math.floor(n / 2);
  const samples: number[] = [];
  for (let k = 0; k < half; k++) {
    for (let s = 0; s < state.length; s++) {
      const bar = barsOf[s]![k]!;
      const t = performance.now();
      onBar(state[s]!, bar, s);
      samples.push(performance.now() - t);
    }
  }
  const t0 = performance.now();
  for (let k = half; k < n; k++) for (let s = 0; s < state.length; s++) onBar(state[s]!, barsOf[s]![k]!, s);
  const perSecond = ((n - half) * state.length * 1000) / (performance.now() - t0);
  if (sink === Number.POSITIVE_INFINITY) process.stdout.write(''); // keep the work observable
  return { samples, perSecond };
}

/** Quotes: the hub's path (SymbolQuote + cache + publish, LOW) beside publishing a prepared quote. */
async function quoteRound(): Promise<{ hub: number; bare: number }> {
  const clock = new VirtualClock(T0);
  const bus = new MessageBus<CoreTopics>();
  let delivered = 0;
  bus.subscribeAny('md.quote.*', () => delivered++);
  const venue = new BenchVenue();
  const hub = new MarketDataHub({ venue, bus, clock, logger: createLogger({ level: 'silent' }), settings: { emaPeriods: PERIODS } });
  for (const i of instruments) await hub.subscribe(i, 'bench');
  const listeners = instruments.map((i) => (venue.quotes.get(i.conId) as QuoteListener).onQuote);
  const quotes: Quote[] = instruments.map((i, k) => ({
    conId: i.conId,
    bid: 100 + k,
    ask: 100.01 + k,
    bidSize: 100,
    askSize: 200,
    last: 100 + k,
    lastSize: 5,
    volume: 1_000,
    time: T0,
  }));
  const prepared: SymbolQuote[] = quotes.map((q, k) => ({ ...q, symbol: SYMBOLS[k]! }));
  const topics = SYMBOLS.map((s) => `md.quote.${s}` as const);
  let t = performance.now();
  for (let k = 0; k < QUOTES; k++) bus.publish(topics[k % 10]!, prepared[k % 10]!, 'LOW');
  const bare = (QUOTES * 1000) / (performance.now() - t);
  t = performance.now();
  for (let k = 0; k < QUOTES; k++) listeners[k % 10]!(quotes[k % 10]!);
  const viaHub = (QUOTES * 1000) / (performance.now() - t);
  hub.close();
  if (delivered !== 2 * QUOTES) throw new Error(`delivered ${delivered} quotes, expected ${2 * QUOTES}`);
  return { hub: viaHub, bare };
}

// Warm-up, then alternating rounds.
bareRound();
bareRound(true);
await hubRound();
await quoteRound();
const bare: RoundResult[] = [];
const bareBus: RoundResult[] = [];
const hub: RoundResult[] = [];
const quotes: { hub: number; bare: number }[] = [];
let messagesPerBar = 0;
for (let r = 0; r < ROUNDS; r++) {
  bare.push(bareRound());
  bareBus.push(bareRound(true));
  const h = await hubRound();
  hub.push(h.bars);
  messagesPerBar = h.delivered / (barsOf[0]!.length * instruments.length);
  quotes.push(await quoteRound());
}

const q = (rs: RoundResult[], p: number) =>
  median(
    rs.map(
      (r) =>
        quantile(
          [...r.samples].sort((a, b) => a - b),
          p,
        ) * 1000,
    ),
  );
const rate = (rs: RoundResult[]) => median(rs.map((r) => r.perSecond));
const bars = MINUTES * 12 * instruments.length;
// The headline figures for `npm run bench -- --json` (bench/lib/report.ts).
report({ figure: 'marketdata.bar.p50', unit: 'µs', value: q(hub, 0.5), baseline: q(bare, 0.5) });
report({ figure: 'marketdata.bar.throughput', unit: 'bars/s', value: rate(hub), baseline: rate(bare) });
report({ figure: 'marketdata.quote.throughput', unit: 'quotes/s', value: median(quotes.map((x) => x.hub)), baseline: median(quotes.map((x) => x.bare)) });
process.stdout.write(
  `## market data: 5-second bar in → 1-minute bar + EMA update delivered on the bus (10 instruments, ${bars.toLocaleString('en')} bars per round; ${ROUNDS} rounds, median of per-round figures)\n\n` +
    table(
      ['path', 'p50 µs', 'p99 µs', 'bars/s', 'bars/s vs baseline'],
      [
        ['bare inline OHLC + EMA loop, no bus, no messages (baseline)', fmt(q(bare, 0.5), 2), fmt(q(bare, 0.99), 2), Math.round(rate(bare)).toLocaleString('en'), '1.00'],
        [
          'the same loop + the same 2 messages built and published on the bus',
          fmt(q(bareBus, 0.5), 2),
          fmt(q(bareBus, 0.99), 2),
          Math.round(rate(bareBus)).toLocaleString('en'),
          fmt(rate(bareBus) / rate(bare), 2),
        ],
        [
          `MarketDataHub: aggregate, EMAs, crossover, publish (${fmt(messagesPerBar, 2)} bus messages per bar)`,
          fmt(q(hub, 0.5), 2),
          fmt(q(hub, 0.99), 2),
          Math.round(rate(hub)).toLocaleString('en'),
          fmt(rate(hub) / rate(bare), 2),
        ],
      ],
    ) +
    `\n\n## market data: quote in → published on the bus (${QUOTES.toLocaleString('en')} quotes over 10 instruments per round; ${ROUNDS} rounds, median)\n\n` +
    table(
      ['path', 'quotes/s', 'vs baseline'],
      [
        ['bus.publish of a prepared SymbolQuote (baseline)', Math.round(median(quotes.map((x) => x.bare))).toLocaleString('en'), '1.00'],
        [
          'MarketDataHub quote listener (symbol added, cached, published LOW)',
          Math.round(median(quotes.map((x) => x.hub))).toLocaleString('en'),
          fmt(median(quotes.map((x) => x.hub)) / median(quotes.map((x) => x.bare)), 2),
        ],
      ],
    ) +
    '\n',
);
