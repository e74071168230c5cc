// Per-interval summaries (OHLC, sums and counts of every bar source) and their aggregation into bars.
// Kept in chunked typed arrays with an LRU cap, so bars and day summaries over already-generated
// intervals need no tick regeneration. All values are integers (ticks, half ticks, lots): sums are exact.
import type { PriceGrid } from './grid';
import type { TickBuffer } from './ticks';
import type { Bar, BarSource, InstrumentSpec } from './types';

// Field offsets within one interval's summary.
export const S_COUNT = 0; // quote updates (ticks); -1 = not computed yet
export const S_MID = 1; // mid (half ticks): open, high, low, close, sum
export const S_BID = 6; // bid (ticks): open, high, low, close, sum
export const S_ASK = 11; // ask (ticks): open, high, low, close, sum
export const S_TRADES = 16; // trade count
export const S_TRADE = 17; // trade price (ticks): open, high, low, close
export const S_TRADE_LOTS = 21;
export const S_TRADE_VALUE = 22; // sum of price ticks × lots
export const SUMMARY_STRIDE = 23;

const CHUNK_INTERVALS = 256;
const CHUNK_KEY_SPAN = 2 ** 24;
const MAX_CHUNKS = 512; // ~24 MB

/** Summaries of many intervals of many instruments, evicting the least recently used chunks. */
export class SummaryStore {
  private readonly chunks = new Map<number, Float64Array>();
  private lastKey = -1;
  private lastChunk: Float64Array | undefined;

  /** The chunk holding interval `index` of instrument `slot`, and the offset of its summary there. */
  locate(slot: number, index: number): { chunk: Float64Array; offset: number } {
    const chunkIndex = Math.floor(index / CHUNK_INTERVALS);
    const key = slot * CHUNK_KEY_SPAN + (chunkIndex % CHUNK_KEY_SPAN);
    const offset = (index - chunkIndex * CHUNK_INTERVALS) * SUMMARY_STRIDE;
    if (key === this.lastKey && this.lastChunk !== undefined) return { chunk: this.lastChunk, offset };
    let chunk = this.chunks.get(key);
    if (chunk === undefined) {
      chunk = new Float64Array(CHUNK_INTERVALS * SUMMARY_STRIDE);
      for (let i = 0; i < chunk.length; i += SUMMARY_STRIDE) chunk[i + S_COUNT] = -1;
      if (this.chunks.size >= MAX_CHUNKS) {
        const oldest = this.chunks.keys().next();
        if (oldest.done !== true) this.chunks.delete(oldest.value);
      }
    } else {
      this.chunks.delete(key);
    }
    // Re-inserting marks it most recently used (Map keeps insertion order).
    this.chunks.set(key, chunk);
    this.lastKey = key;
    this.lastChunk = chunk;
    return { chunk, offset };
  }
}

/** Running aggregate of a range of ticks or interval summaries; mirrors the summary layout. */
export class Accumulator {
  readonly v = new Float64Array(SUMMARY_STRIDE);

  reset(): void {
    this.v.fill(0);
  }

  get count(): number {
    return this.v[S_COUNT] ?? 0;
  }

  get trades(): number {
    return this.v[S_TRADES] ?? 0;
  }

  get tradeLots(): number {
    return this.v[S_TRADE_LOTS] ?? 0;
  }

  /** Adds an interval summary (those come in time order). */
  addSummary(src: Float64Array, at: number): void {
    const v = this.v;
    const n = src[at + S_COUNT] ?? 0;
    if (n <= 0) return;
    const first = (v[S_COUNT] ?? 0) === 0;
    mergeOhlc(v, src, at, S_MID, first);
    mergeOhlc(v, src, at, S_BID, first);
    mergeOhlc(v, src, at, S_ASK, first);
    v[S_COUNT] = (v[S_COUNT] ?? 0) + n;
    const trades = src[at + S_TRADES] ?? 0;
    if (trades > 0) {
      const firstTrade = (v[S_TRADES] ?? 0) === 0;
      const o = S_TRADE;
      v[o] = firstTrade ? (src[at + o] ?? 0) : (v[o] ?? 0);
      v[o + 1] = firstTrade ? (src[at + o + 1] ?? 0) : Math.max(v[o + 1] ?? 0, src[at + o + 1] ?? 0);
      v[o + 2] = firstTrade ? (src[at + o + 2] ?? 0) : Math.min(v[o + 2] ?? 0, src[at + o + 2] ?? 0);
      v[o + 3] = src[at + o + 3] ?? 0;
      v[S_TRADES] = (v[S_TRADES] ?? 0) + trades;
      v[S_TRADE_LOTS] = (v[S_TRADE_LOTS] ?? 0) + (src[at + S_TRADE_LOTS] ?? 0);
      v[S_TRADE_VALUE] = (v[S_TRADE_VALUE] ?? 0) + (src[at + S_TRADE_VALUE] ?? 0);
    }
  }

  /** Adds ticks [from, to) of a generated interval. */
  addTicks(buf: TickBuffer, from: number, to: number): void {
    if (to <= from) return;
    const v = this.v;
    const bids = buf.bid;
    const asks = buf.ask;
    const prices = buf.tradePrice;
    // Locals rather than array slots: this runs once per generated tick.
    let n = v[S_COUNT] ?? 0;
    let j = from;
    if (n === 0) {
      const b = bids[j] ?? 0;
      const a = asks[j] ?? 0;
      setOhlc(v, S_MID, b + a, 0);
      setOhlc(v, S_BID, b, 0);
      setOhlc(v, S_ASK, a, 0);
    }
    let mH = v[S_MID + 1] ?? 0;
    let mL = v[S_MID + 2] ?? 0;
    let mC = v[S_MID + 3] ?? 0;
    let mS = v[S_MID + 4] ?? 0;
    let bH = v[S_BID + 1] ?? 0;
    let bL = v[S_BID + 2] ?? 0;
    let bC = v[S_BID + 3] ?? 0;
    let bS = v[S_BID + 4] ?? 0;
    let aH = v[S_ASK + 1] ?? 0;
    let aL = v[S_ASK + 2] ?? 0;
    let aC = v[S_ASK + 3] ?? 0;
    let aS = v[S_ASK + 4] ?? 0;
    let tN = v[S_TRADES] ?? 0;
    let tO = v[S_TRADE] ?? 0;
    let tH = v[S_TRADE + 1] ?? 0;
    let tL = v[S_TRADE + 2] ?? 0;
    let tC = v[S_TRADE + 3] ?? 0;
    let tLots = v[S_TRADE_LOTS] ?? 0;
    let tValue = v[S_TRADE_VALUE] ?? 0;
    for (; j < to; j++) {
      const b = bids[j] ?? 0;
      const a = asks[j] ?? 0;
      const m = b + a;
      if (m > mH) mH = m;
      if (m < mL) mL = m;
      mC = m;
      mS += m;
      if (b > bH) bH = b;
      if (b < bL) bL = b;
      bC = b;
      bS += b;
      if (a > aH) aH = a;
      if (a < aL) aL = a;
      aC = a;
      aS += a;
      const price = prices[j] ?? 0;
      if (price > 0) {
        const lots = buf.tradeLots[j] ?? 0;
        if (tN === 0) {
          tO = price;
          tH = price;
          tL = price;
        } else {
          if (price > tH) tH = price;
          if (price < tL) tL = price;
        }
        tC = price;
        tN++;
        tLots += lots;
        tValue += price * lots;
      }
    }
    n += to - from;
    v[S_COUNT] = n;
    v[S_MID + 1] = mH;
    v[S_MID + 2] = mL;
    v[S_MID + 3] = mC;
    v[S_MID + 4] = mS;
    v[S_BID + 1] = bH;
    v[S_BID + 2] = bL;
    v[S_BID + 3] = bC;
    v[S_BID + 4] = bS;
    v[S_ASK + 1] = aH;
    v[S_ASK + 2] = aL;
    v[S_ASK + 3] = aC;
    v[S_ASK + 4] = aS;
    v[S_TRADES] = tN;
    v[S_TRADE] = tO;
    v[S_TRADE + 1] = tH;
    v[S_TRADE + 2] = tL;
    v[S_TRADE + 3] = tC;
    v[S_TRADE_LOTS] = tLots;
    v[S_TRADE_VALUE] = tValue;
  }

  /** The bar of `source` at `time`, or undefined when the range had no such data. */
  toBar(source: BarSource, time: number, grid: PriceGrid, instrument: InstrumentSpec): Bar | undefined {
    const v = this.v;
    const at = (i: number): number => v[i] ?? 0;
    if (source === 'TRADES') {
      const trades = at(S_TRADES);
      if (trades === 0) return undefined;
      const lots = at(S_TRADE_LOTS);
      return {
        time,
        open: grid.price(at(S_TRADE)),
        high: grid.price(at(S_TRADE + 1)),
        low: grid.price(at(S_TRADE + 2)),
        close: grid.price(at(S_TRADE + 3)),
        volume: lots * instrument.lotSize,
        wap: grid.price(at(S_TRADE_VALUE) / lots),
        count: trades,
      };
    }
    const n = at(S_COUNT);
    if (n === 0) return undefined;
    const base = source === 'MIDPOINT' ? S_MID : source === 'BID' ? S_BID : S_ASK;
    // Midpoints are kept in half ticks.
    const unit = source === 'MIDPOINT' ? 2 : 1;
    return {
      time,
      open: grid.price(at(base) / unit),
      high: grid.price(at(base + 1) / unit),
      low: grid.price(at(base + 2) / unit),
      close: grid.price(at(base + 3) / unit),
      volume: 0,
      wap: grid.price(at(base + 4) / n / unit),
      count: n,
    };
  }
}

function setOhlc(v: Float64Array, o: number, x: number, sum: number): void {
  v[o] = x;
  v[o + 1] = x;
  v[o + 2] = x;
  v[o + 3] = x;
  v[o + 4] = sum;
}

function mergeOhlc(v: Float64Array, src: Float64Array, at: number, o: number, first: boolean): void {
  if (first) {
    for (let i = 0; i < 5; i++) v[o + i] = src[at + o + i] ?? 0;
    return;
  }
  v[o + 1] = Math.max(v[o + 1] ?? 0, src[at + o + 1] ?? 0);
  v[o + 2] = Math.min(v[o + 2] ?? 0, src[at + o + 2] ?? 0);
  v[o + 3] = src[at + o + 3] ?? 0;
  v[o + 4] = (v[o + 4] ?? 0) + (src[at + o + 4] ?? 0);
}
