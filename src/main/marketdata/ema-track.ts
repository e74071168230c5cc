// The EMAs and crossover signals of one bar size (1-minute or 5-second) for one instrument: the
// engine, the EMA points and crossings kept for a chart's initial load, and what goes on the bus.
// Each bar size has its own track so that a chart never draws one size's EMAs over the other's bars.
//
// Allocation: one EmaUpdate (and its values) per committed or provisional bar, one CrossSignal per
// crossing: messages consumers may keep, so never reused. The scratch and the template are per track.
import type { CoreTopics, MessageBus } from '../bus';
import type { Bar, CrossSignal, EmaUpdate } from '../../shared';
import { EmaEngine } from './ema';
import { TimeSeries } from './series';

const MAX_SIGNALS = 200;

export interface EmaTrackOptions {
  readonly bus: MessageBus<CoreTopics>;
  readonly conId: number;
  readonly symbol: string;
  readonly periods: readonly number[];
  readonly signal: { readonly fast: number; readonly slow: number } | undefined;
  /** Bars kept for recomputing revised ones. */
  readonly revisionBars: number;
  /** EMA points kept for a chart. */
  readonly chartPoints: number;
  readonly emaTopic: `md.ema.${string}`;
  readonly signalTopic: `md.signal.${string}`;
  /** Set on this track's messages; absent for the 1-minute ones (their payloads are as they always were). */
  readonly size?: '5s';
  /**
   * Keep the chart's points as numbers in the engine and build the objects only when a chart asks, not
   * an object per bar kept for an hour (the 5-second track: 720 live objects per instrument cost the
   * garbage collector more than the whole pipeline did).
   */
  readonly pointsInEngine?: boolean;
}

export class EmaTrack {
  private readonly engine: EmaEngine;
  private readonly scratch: Float64Array;
  private readonly template: Readonly<Record<number, number>>;
  /** The chart's points as objects; undefined when they are kept in the engine (pointsInEngine). */
  private readonly points: TimeSeries<EmaUpdate> | undefined;
  private readonly crossings: CrossSignal[] = [];
  /** The latest EMAs; undefined while they are only in the engine (built when asked). */
  private current: EmaUpdate | undefined;
  /** Revisions beyond the revision window, refused here when the engine keeps more (pointsInEngine). */
  private refused = 0;

  constructor(private readonly options: EmaTrackOptions) {
    const capacity = options.pointsInEngine ? Math.max(options.revisionBars, options.chartPoints) : options.revisionBars;
    this.engine = new EmaEngine({ periods: options.periods, ...(options.signal ? { signal: options.signal } : {}), capacity });
    this.scratch = new Float64Array(options.periods.length);
    this.template = Object.fromEntries(options.periods.map((n) => [n, 0]));
    this.points = options.pointsInEngine ? undefined : new TimeSeries(options.chartPoints);
  }

  /** Bars older than everything kept, refused (their EMAs are not recomputed). */
  get tooOld(): number {
    return this.engine.tooOld + this.refused;
  }

  /** Commits a final bar: its EMA points (and those after a revised one) and any crossing; published when `publish`. */
  commit(bar: Bar, publish: boolean): void {
    const held = this.engine.length;
    // A revision older than the window is refused, however much the engine keeps for the chart.
    if (this.points === undefined && held >= this.options.revisionBars && bar.time < this.engine.timeAt(held - this.options.revisionBars)) {
      this.refused++;
      return;
    }
    const from = this.engine.commit(bar.time, bar.close);
    if (from < 0) return;
    const len = this.engine.length;
    if (this.points === undefined && !publish) {
      this.current = undefined;
    } else {
      for (let i = from; i < len; i++) {
        const point = this.point(i);
        if (!point) continue;
        this.points?.upsert(point);
        this.current = point;
        if (publish) this.options.bus.publish(this.options.emaTopic, point, 'NORMAL');
      }
    }
    if (this.engine.lastCross !== 0) this.cross(len - 1, publish);
  }

  /** Publishes the EMAs as if the forming bar closed now (nothing is committed). */
  provisional(bar: Bar): void {
    if (!this.engine.provisional(bar.close, this.scratch)) return;
    const values = this.valuesOf(this.scratch) as Record<number, number>;
    const update = this.update(bar.time, values, false);
    this.current = update;
    this.options.bus.publish(this.options.emaTopic, update, 'NORMAL');
  }

  /** Publishes the latest EMAs again (after seeding, which publishes nothing). */
  publishCurrent(): void {
    const current = this.latest();
    if (current) this.options.bus.publish(this.options.emaTopic, current, 'NORMAL');
  }

  latest(): EmaUpdate | undefined {
    if (this.current === undefined && this.points === undefined && this.engine.length > 0) this.current = this.point(this.engine.length - 1);
    return this.current;
  }

  /** EMA points of the final bars, oldest first. */
  pointList(): EmaUpdate[] {
    if (this.points) return this.points.toArray();
    const out: EmaUpdate[] = [];
    const len = this.engine.length;
    for (let i = Math.max(0, len - this.options.chartPoints); i < len; i++) {
      const point = this.point(i);
      if (point) out.push(point);
    }
    return out;
  }

  /** Recent crossings, oldest first. */
  signalList(): CrossSignal[] {
    return [...this.crossings];
  }

  // Two literals rather than a spread: the 1-minute payload stays as it was, with no extra allocation.
  private update(time: number, values: Record<number, number>, final: boolean): EmaUpdate {
    const { conId, symbol, size } = this.options;
    return size ? { conId, symbol, time, values, final, size } : { conId, symbol, time, values, final };
  }

  private point(i: number): EmaUpdate | undefined {
    for (let k = 0; k < this.options.periods.length; k++) this.scratch[k] = this.engine.valueAt(i, k);
    const values = this.valuesOf(this.scratch);
    return values && this.update(this.engine.timeAt(i), values, true);
  }

  /** Period → value for the periods with a value; cloned from a template when all have one (4× faster than adding integer keys one by one). */
  private valuesOf(src: Float64Array): Record<number, number> | undefined {
    const periods = this.options.periods;
    const n = periods.length;
    let defined = 0;
    for (let k = 0; k < n; k++) if (src[k] === src[k]) defined++;
    if (defined === 0) return undefined;
    const values: Record<number, number> = defined === n ? { ...this.template } : {};
    for (let k = 0; k < n; k++) {
      const v = src[k] as number;
      if (v === v) values[periods[k] as number] = v;
    }
    return values;
  }

  private cross(i: number, publish: boolean): void {
    const { fast, slow } = this.engine.signalIndexes;
    const signal: CrossSignal = {
      conId: this.options.conId,
      symbol: this.options.symbol,
      time: this.engine.timeAt(i),
      direction: this.engine.lastCross > 0 ? 'bullish' : 'bearish',
      fastPeriod: this.options.periods[fast] as number,
      slowPeriod: this.options.periods[slow] as number,
      fast: this.engine.valueAt(i, fast),
      slow: this.engine.valueAt(i, slow),
      price: this.engine.closeAt(i),
      ...(this.options.size ? { size: this.options.size } : {}),
    };
    this.crossings.push(signal);
    if (this.crossings.length > MAX_SIGNALS) this.crossings.splice(0, this.crossings.length - MAX_SIGNALS);
    if (publish) this.options.bus.publish(this.options.signalTopic, signal, 'NORMAL');
  }
}
