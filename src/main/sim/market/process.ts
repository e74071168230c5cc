// The price process, interval by interval: boundary prices and conditional variances, carried forward
// lazily from the model's origin and kept in growable typed arrays (so any later query costs only the
// intervals it adds).
//
// Model. Time is cut into 5-second intervals aligned to the epoch. While the instrument's session is open,
// interval i's log return is
//     r_i = gap_i + sqrt(h_i)·z_i − h_i/2 + J_i
// - GARCH(1,1) on the diffusive part: h_{i+1} = ω + α·(sqrt(h_i)·z_i)² + β·h_i with α = 0.015, β = 0.983
//   (persistence 0.998: volatility clusters with a half-life of ~30 minutes of trading), ω = h̄·(1 − α − β),
//   h clamped to [h̄/10, 10·h̄] so a run never explodes or freezes.
// - h̄ is calibrated so that the annualised variance over *trading time* equals annualVolatility²:
//   (trading intervals per year)·h̄ + (jumps per year)·E[J²] + (gaps per year)·gapVar = σ².
// - Jumps J_i: Bernoulli(λ) per interval with λ = 1 / (intervals per session), i.e. about one per trading
//   day; size ±(3..5)·sqrt(h_i), uniformly, at a random instant of the interval.
// - Gaps: at the first interval of a session that follows a break of 30 min or more (exchange sessions
//   only), a N(0, gapVar) return applied at the open (overnight news); h also reverts halfway to h̄.
// - The −h/2 terms make the price (not its log) a martingale; log returns keep prices positive.
// Closed intervals do not move: price, variance and the day's volume are carried unchanged. A session cut
// by the origin counts its volume from the origin.
//
// Trading activity is drawn here too (O(1) per interval) so that daily volume is known without ticks:
// the number of trades K ≈ Binomial(n, 0.45) among the interval's n ticks, and their total size L lots,
// growing with volatility (volume and volatility move together in real markets).
import { Rng } from './rng';
import type { CalendarKind, Session, TradingCalendar } from './sessions';
import type { InstrumentSpec } from './types';

export const INTERVAL_MS = 5000;

const ALPHA = 0.015;
const BETA = 0.983;
const H_FLOOR = 0.1;
const H_CEIL = 10;
/** E[(3 + 2u)²] for u ~ U(0,1): the mean squared jump in units of h. */
const JUMP_SECOND_MOMENT = 9 + 6 + 4 / 3;
const WEEKS_PER_YEAR = 365.25 / 7;
const TRADE_PROBABILITY = 0.45;
/** Ticks per 5-s interval are capped so that tick times stay strictly increasing in float ms. */
export const MAX_TICKS_PER_INTERVAL = 500_000;

interface KindFacts {
  readonly tradingSecondsPerWeek: number;
  readonly sessionsPerWeek: number;
  readonly gapsPerWeek: number;
  /** Share of the annual variance that arrives as opening gaps. */
  readonly gapShare: number;
}

const KIND_FACTS: Readonly<Record<CalendarKind, KindFacts>> = {
  always: { tradingSecondsPerWeek: 7 * 86_400, sessionsPerWeek: 7, gapsPerWeek: 0, gapShare: 0 },
  'us-stock': { tradingSecondsPerWeek: 5 * 23_400, sessionsPerWeek: 5, gapsPerWeek: 5, gapShare: 0.15 },
  fx: { tradingSecondsPerWeek: 5 * 86_400, sessionsPerWeek: 5, gapsPerWeek: 1, gapShare: 0.02 },
  cme: { tradingSecondsPerWeek: 5 * 82_800, sessionsPerWeek: 5, gapsPerWeek: 5, gapShare: 0.03 },
};

export interface ProcessParams {
  /** Long-run variance of a 5-s log return. */
  readonly hBar: number;
  readonly omega: number;
  readonly jumpProbability: number;
  readonly gapVariance: number;
  /** Ticks per open interval from the live start on. */
  readonly ticksPerInterval: number;
  /**
   * Ticks per open interval before the live start. History runs at the default rate whatever the
   * live rate, so a stress run (thousands of ticks a second) does not have to generate days of
   * dense ticks to answer a day summary or a day of bars; the price path is the same either way.
   */
  readonly historyTicksPerInterval: number;
  /** The first interval that runs at the live rate (the one containing the model's start). */
  readonly liveFromIndex: number;
  readonly tradeProbability: number;
  /** Mean trade size in lots. */
  readonly meanTradeLots: number;
  /** Intervals per year of trading time, to annualise. */
  readonly intervalsPerYear: number;
}

/** The tick rate of history (and the simulator's default live rate). */
export const HISTORY_TICK_RATE = 4;

function ticksFor(rate: number): number {
  const n = Math.round(rate * (INTERVAL_MS / 1000));
  return Math.min(MAX_TICKS_PER_INTERVAL, Math.max(1, Number.isFinite(n) ? n : 1));
}

export function processParams(instrument: InstrumentSpec, kind: CalendarKind, tickRate: number, liveFromMs: number): ProcessParams {
  const facts = KIND_FACTS[kind];
  // A floor keeps the variance ratios used for spreads and activity finite for a (nearly) flat instrument.
  const vol = Math.max(instrument.annualVolatility, 1e-4);
  const sigma2 = vol * vol;
  const intervalsPerWeek = facts.tradingSecondsPerWeek / (INTERVAL_MS / 1000);
  const intervalsPerYear = intervalsPerWeek * WEEKS_PER_YEAR;
  const sessionsPerYear = facts.sessionsPerWeek * WEEKS_PER_YEAR;
  const hBar = ((1 - facts.gapShare) * sigma2) / (intervalsPerYear + sessionsPerYear * JUMP_SECOND_MOMENT);
  const gapsPerYear = facts.gapsPerWeek * WEEKS_PER_YEAR;
  return {
    hBar,
    omega: hBar * (1 - ALPHA - BETA),
    jumpProbability: facts.sessionsPerWeek / intervalsPerWeek,
    gapVariance: gapsPerYear > 0 ? (facts.gapShare * sigma2) / gapsPerYear : 0,
    ticksPerInterval: ticksFor(tickRate),
    historyTicksPerInterval: ticksFor(Math.min(tickRate, HISTORY_TICK_RATE)),
    liveFromIndex: Math.floor(liveFromMs / INTERVAL_MS),
    tradeProbability: instrument.hasTrades ? TRADE_PROBABILITY : 0,
    meanTradeLots: instrument.secType === 'FUT' ? 3 : 2,
    intervalsPerYear,
  };
}

/** A rare event of an interval: the opening gap (at its start) and a jump at fraction `tau` of it. */
export interface IntervalEvent {
  readonly gap: number;
  readonly jump: number;
  readonly tau: number;
}

const STREAM_STATE = 0;

/** One instrument's process state from the origin on. Interval i is stored at slot i - firstIndex. */
export class PriceProcess {
  readonly firstIndex: number;
  /** Log close of each interval. */
  private logClose = new Float64Array(1024);
  /** Conditional variance used by each interval. */
  private variance = new Float64Array(1024);
  /** The trading day's volume (lots) before each interval. */
  private dayBase = new Float64Array(1024);
  private trades = new Uint32Array(1024);
  private lots = new Uint32Array(1024);
  private openFlags = new Uint8Array(1024);
  private readonly events = new Map<number, IntervalEvent>();
  private length = 0;
  private readonly rng = new Rng();
  /** The random streams' key for this instrument (seed, conId). */
  readonly streamKey: number;
  private readonly logBase: number;
  private nextVariance: number;
  private cursor: Session | undefined;

  constructor(
    readonly instrument: InstrumentSpec,
    readonly params: ProcessParams,
    private readonly calendar: TradingCalendar,
    seed: number,
    originMs: number,
  ) {
    this.streamKey = Rng.baseKey(seed, instrument.conId);
    this.firstIndex = Math.floor(originMs / INTERVAL_MS);
    this.logBase = Math.log(instrument.basePrice);
    this.nextVariance = params.hBar;
  }

  /** Computes the state through interval `index` (no-op before the origin or when already known). */
  ensure(index: number): void {
    const last = index - this.firstIndex;
    if (last < this.length) return;
    this.grow(last + 1);
    for (let k = this.length; k <= last; k++) this.step(k);
    this.length = last + 1;
  }

  /** How many ticks an open interval has (history runs at the default rate, see ProcessParams). */
  ticksIn(index: number): number {
    return index < this.params.liveFromIndex ? this.params.historyTicksPerInterval : this.params.ticksPerInterval;
  }

  isOpen(index: number): boolean {
    this.ensure(index);
    return this.openFlags[index - this.firstIndex] === 1;
  }

  logOpen(index: number): number {
    const k = index - this.firstIndex;
    return k <= 0 ? this.logBase : (this.logClose[k - 1] ?? this.logBase);
  }

  logCloseOf(index: number): number {
    this.ensure(index);
    return this.logClose[index - this.firstIndex] ?? this.logBase;
  }

  varianceOf(index: number): number {
    this.ensure(index);
    return this.variance[index - this.firstIndex] ?? this.params.hBar;
  }

  tradesOf(index: number): number {
    this.ensure(index);
    return this.trades[index - this.firstIndex] ?? 0;
  }

  lotsOf(index: number): number {
    this.ensure(index);
    return this.lots[index - this.firstIndex] ?? 0;
  }

  dayBaseOf(index: number): number {
    this.ensure(index);
    return this.dayBase[index - this.firstIndex] ?? 0;
  }

  eventOf(index: number): IntervalEvent | undefined {
    return this.events.get(index);
  }

  private grow(needed: number): void {
    if (needed <= this.logClose.length) return;
    let capacity = this.logClose.length;
    while (capacity < needed) capacity *= 2;
    const grow = <T extends Float64Array | Uint32Array | Uint8Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(old);
      return next;
    };
    this.logClose = grow(this.logClose, (n) => new Float64Array(n));
    this.variance = grow(this.variance, (n) => new Float64Array(n));
    this.dayBase = grow(this.dayBase, (n) => new Float64Array(n));
    this.trades = grow(this.trades, (n) => new Uint32Array(n));
    this.lots = grow(this.lots, (n) => new Uint32Array(n));
    this.openFlags = grow(this.openFlags, (n) => new Uint8Array(n));
  }

  private step(k: number): void {
    const index = this.firstIndex + k;
    const t = index * INTERVAL_MS;
    if (this.cursor === undefined || t >= this.cursor.end) this.cursor = this.calendar.sessionFrom(t);
    const session = this.cursor;
    const prevLog = k === 0 ? this.logBase : (this.logClose[k - 1] ?? this.logBase);
    const prevDayBase = k === 0 ? 0 : (this.dayBase[k - 1] ?? 0) + (this.lots[k - 1] ?? 0);
    const open = session !== undefined && t >= session.start;
    if (!open) {
      this.logClose[k] = prevLog;
      this.variance[k] = this.nextVariance;
      this.dayBase[k] = prevDayBase;
      this.trades[k] = 0;
      this.lots[k] = 0;
      this.openFlags[k] = 0;
      return;
    }
    const p = this.params;
    const sessionStart = t === session.start;
    const gapNow = sessionStart && session.gapBefore && p.gapVariance > 0;
    let h = this.nextVariance;
    if (gapNow) h = p.hBar + 0.5 * (h - p.hBar);

    const rng = this.rng;
    rng.reseed(this.streamKey, index, STREAM_STATE);
    // What is drawn depends only on the calendar and the instrument, and the price draws come first,
    // so the path does not depend on tickRate.
    const z = rng.normal();
    const zTrades = rng.normal();
    const sigma = Math.sqrt(h);
    const diffusive = z * sigma;
    let jump = 0;
    let tau = 0;
    if (rng.uniform() < p.jumpProbability) {
      jump = (rng.uniform() < 0.5 ? -1 : 1) * (3 + 2 * rng.uniform()) * sigma;
      tau = 0.02 + 0.96 * rng.uniform();
    }
    const gap = gapNow ? rng.normal() * Math.sqrt(p.gapVariance) - 0.5 * p.gapVariance : 0;
    if (gap !== 0 || jump !== 0) this.events.set(index, { gap, jump, tau });
    this.logClose[k] = prevLog + gap + diffusive - 0.5 * h + jump;
    this.variance[k] = h;
    this.dayBase[k] = sessionStart || k === 0 ? 0 : prevDayBase;
    this.openFlags[k] = 1;

    const next = p.omega + ALPHA * diffusive * diffusive + BETA * h;
    this.nextVariance = Math.min(H_CEIL * p.hBar, Math.max(H_FLOOR * p.hBar, next));

    const n = this.ticksIn(index);
    let trades = 0;
    let lots = 0;
    if (p.tradeProbability > 0) {
      const mean = n * p.tradeProbability;
      trades = Math.min(n, Math.max(0, Math.round(mean + Math.sqrt(mean * (1 - p.tradeProbability)) * zTrades)));
      if (trades > 0) {
        // Activity ~1 on average, higher when volatile and after big moves (E|z| = 0.798).
        const activity = Math.min(5, (sigma / Math.sqrt(p.hBar)) * (0.75 + (0.25 * Math.abs(z)) / 0.798));
        const extra = trades * (p.meanTradeLots - 1) * activity * Math.exp(0.35 * rng.normal() - 0.06125);
        lots = trades + Math.max(0, Math.round(extra));
      }
    }
    this.trades[k] = trades;
    this.lots[k] = lots;
  }
}
