// Tick generation inside one 5-s interval, into reusable typed arrays (no allocation on the hot path).
//
// The mid price follows a Brownian bridge (in log space) from the interval's open to its close with the
// interval's GARCH variance, plus the interval's gap (at its start) and jump (at its instant). Each of the
// n = round(tickRate·5) ticks quotes bid/ask on the tick grid around that mid: the spread is 1 tick plus a
// geometric number of extra ticks whose mean (0.35·σ/σ̄) widens with volatility. Displayed sizes are drawn
// around typicalSize in lots and drift by a few lots while the price level holds. K of the n ticks
// (selection sampling) carry a trade — 47 % at the bid, 47 % at the ask, 6 % inside the spread when there
// is room — whose lot sizes split the interval's total L lots with exponential weights (mostly small prints,
// a few large ones).
import type { PriceGrid } from './grid';
import { INTERVAL_MS, type PriceProcess } from './process';
import { Rng } from './rng';
import type { MarketTick } from './types';

const STREAM_TICKS = 1;
const SPREAD_EXTRA = 0.35;
const MAX_SPREAD_TICKS = 64;
const INV_2_16 = 1 / 65536;

/** Struct-of-arrays storage for one interval's ticks; prices in ticks, sizes and volume in lots. */
export class TickBuffer {
  count = 0;
  time = new Float64Array(0);
  bid = new Int32Array(0);
  ask = new Int32Array(0);
  bidLots = new Int32Array(0);
  askLots = new Int32Array(0);
  /** Trade price in ticks, 0 when the tick has no trade. */
  tradePrice = new Int32Array(0);
  tradeLots = new Int32Array(0);
  dayLots = new Float64Array(0);

  constructor(capacity = 0) {
    this.reserve(capacity);
  }

  reserve(n: number): void {
    if (n <= this.time.length) return;
    this.time = new Float64Array(n);
    this.bid = new Int32Array(n);
    this.ask = new Int32Array(n);
    this.bidLots = new Int32Array(n);
    this.askLots = new Int32Array(n);
    this.tradePrice = new Int32Array(n);
    this.tradeLots = new Int32Array(n);
    this.dayLots = new Float64Array(n);
  }

  /** Index of the first tick with time > t (times increase). */
  firstAfter(t: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.time[mid] ?? 0) > t) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/** Scratch space of the generator, shared by every call. */
export class GeneratorScratch {
  readonly rng = new Rng();
  weights = new Float64Array(0);
}

/** Fills `buf` with the ticks of interval `index` (none when the session is closed). */
export function generateInterval(proc: PriceProcess, grid: PriceGrid, index: number, scratch: GeneratorScratch, buf: TickBuffer): void {
  if (index < proc.firstIndex || !proc.isOpen(index)) {
    buf.count = 0;
    return;
  }
  const p = proc.params;
  const instrument = proc.instrument;
  const n = proc.ticksIn(index);
  buf.reserve(n);
  const start = index * INTERVAL_MS;
  const logOpen = proc.logOpen(index);
  const event = proc.eventOf(index);
  const gap = event?.gap ?? 0;
  const jump = event?.jump ?? 0;
  const tau = event?.tau ?? 2;
  const h = proc.varianceOf(index);
  // The diffusive part's endpoint: what the bridge must reach at the interval's end.
  const target = proc.logCloseOf(index) - logOpen - gap - jump;
  const trades = proc.tradesOf(index);
  const extraLots = proc.lotsOf(index) - trades;
  let dayLots = proc.dayBaseOf(index);

  const rng = scratch.rng;
  rng.reseed(proc.streamKey, index, STREAM_TICKS);

  if (scratch.weights.length < trades) scratch.weights = new Float64Array(Math.max(trades, 2 * scratch.weights.length));
  const weights = scratch.weights;
  let weightSum = 0;
  for (let m = 0; m < trades; m++) {
    // Exponential weights; the tiny floor keeps the sum positive.
    const w = 1e-9 - Math.log(1 - rng.uniform());
    weights[m] = w;
    weightSum += w;
  }

  const meanExtra = SPREAD_EXTRA * Math.sqrt(h / p.hBar);
  const q = meanExtra / (1 + meanExtra);
  const typicalLots = Math.max(1, Math.round(instrument.typicalSize / instrument.lotSize));
  const sizeStep = Math.max(1, Math.round(typicalLots * 0.2));
  const integerTimes = n <= INTERVAL_MS;
  const dt = INTERVAL_MS / n;
  // exp() per tick is the loop's dearest call; the path's excursion x within 5 s is tiny (|x| < 1e-2), so a
  // 5th-order Taylor series (error < 1e-12 relative) around the interval's open is as good.
  const scaleBefore = grid.ticksOf(Math.exp(logOpen + gap));
  const scaleAfter = grid.ticksOf(Math.exp(logOpen + gap + jump));

  const { time, bid, ask, bidLots, askLots, tradePrice, tradeLots, dayLots: dayOut } = buf;
  let x = 0;
  let prevS = 0;
  let prevBid = -1;
  let prevAsk = -1;
  let bLots = 0;
  let aLots = 0;
  let chosen = 0;
  let cumWeight = 0;
  let prevRounded = 0;
  for (let j = 0; j < n; j++) {
    let offset: number;
    if (integerTimes) {
      // Slot j covers [floor(j·dt), floor((j+1)·dt)), at least 1 ms wide: integer times strictly increase.
      const lo = Math.floor(j * dt);
      const hi = Math.floor((j + 1) * dt);
      offset = lo + Math.floor(rng.uniform() * (hi - lo));
    } else {
      // Jitter within 80 % of the slot keeps ≥ 0.2·dt between neighbours (well above float resolution).
      offset = (j + 0.8 * rng.uniform()) * dt;
    }
    time[j] = start + offset;
    const s = offset / INTERVAL_MS;
    const ds = s - prevS;
    const rest = 1 - prevS;
    x += ((target - x) * ds) / rest + Math.sqrt((h * ds * (1 - s)) / rest) * rng.normal();
    prevS = s;
    const growth = Math.abs(x) < 0.01 ? 1 + x * (1 + x * (0.5 + x * (1 / 6 + x * (1 / 24 + x / 120)))) : Math.exp(x);
    const mid = (s >= tau ? scaleAfter : scaleBefore) * growth;

    let spread = 1;
    let u = rng.uniform();
    while (u < q && spread < MAX_SPREAD_TICKS) {
      spread++;
      u /= q;
    }
    let b = Math.round(mid - spread * 0.5);
    if (b < 1) b = 1;
    const a = b + spread;
    // One 32-bit draw gives both sides' 16-bit size draws.
    const sizeBits = rng.nextU32();
    const uBid = (sizeBits & 0xffff) * INV_2_16;
    const uAsk = (sizeBits >>> 16) * INV_2_16;
    bLots = b === prevBid ? Math.max(1, bLots + Math.floor(uBid * (2 * sizeStep + 1)) - sizeStep) : 1 + Math.floor(uBid * (2 * typicalLots - 1));
    aLots = a === prevAsk ? Math.max(1, aLots + Math.floor(uAsk * (2 * sizeStep + 1)) - sizeStep) : 1 + Math.floor(uAsk * (2 * typicalLots - 1));
    prevBid = b;
    prevAsk = a;
    bid[j] = b;
    ask[j] = a;
    bidLots[j] = bLots;
    askLots[j] = aLots;

    if (chosen < trades && rng.uniform() * (n - j) < trades - chosen) {
      const side = rng.uniform();
      let price: number;
      if (side < 0.47) price = b;
      else if (side < 0.94) price = a;
      else if (spread >= 2) price = b + 1 + Math.floor(((side - 0.94) / 0.06) * (spread - 1));
      else price = side < 0.97 ? b : a;
      cumWeight += weights[chosen] ?? 0;
      chosen++;
      // Cumulative rounding: the sizes add up to exactly the interval's lots.
      const rounded = chosen === trades ? extraLots : Math.round((extraLots * cumWeight) / weightSum);
      const lots = 1 + rounded - prevRounded;
      prevRounded = rounded;
      dayLots += lots;
      tradePrice[j] = price;
      tradeLots[j] = lots;
    } else {
      tradePrice[j] = 0;
      tradeLots[j] = 0;
    }
    dayOut[j] = dayLots;
  }
  buf.count = n;
}

/** The public form of tick `j` of a generated interval. */
export function tickAt(buf: TickBuffer, j: number, grid: PriceGrid, lotSize: number): MarketTick {
  const time = buf.time[j] ?? 0;
  const bid = grid.price(buf.bid[j] ?? 0);
  const ask = grid.price(buf.ask[j] ?? 0);
  const bidSize = (buf.bidLots[j] ?? 0) * lotSize;
  const askSize = (buf.askLots[j] ?? 0) * lotSize;
  const dayVolume = (buf.dayLots[j] ?? 0) * lotSize;
  const tradePrice = buf.tradePrice[j] ?? 0;
  if (tradePrice === 0) return { time, bid, ask, bidSize, askSize, dayVolume };
  const trade = { price: grid.price(tradePrice), size: (buf.tradeLots[j] ?? 0) * lotSize };
  return { time, bid, ask, bidSize, askSize, trade, dayVolume };
}
