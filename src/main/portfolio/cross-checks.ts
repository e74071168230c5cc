// Cross-checks of DualDesk's books against the venue's figures: the discrepancies raised (held at a
// resync, flagged from streamed figures after a grace period), resolved when the two agree again.
import type { Clock, TimerHandle } from '../clock';
import type { Logger } from '../ops';
import type { VenuePosition } from '../venue';
import { QUANTITY_EPSILON } from './accounting';
import type { Books } from './books';
import { later } from './day-anchors';
import type { Discrepancy } from './types';
import type { VenueFigures } from './venue-figures';

const MAX_DISCREPANCY_LOG = 200;
const MONEY = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export interface CrossCheckOptions {
  readonly baseCurrency: string;
  readonly equityTolerance: { readonly absolute: number; readonly relative: number };
  readonly cashTolerance: { readonly absolute: number; readonly relative: number };
  readonly graceMs: number;
}

export class CrossChecks {
  readonly venuePositions = new Map<number, VenuePosition>();
  venueNetLiq: { value: number; at: number } | undefined;
  /** Cash's move to the venue's when held positions or cash are adopted (computed at the resync that found them). */
  heldCashShift: number | undefined;
  readonly open = new Map<string, Discrepancy>();
  readonly recent: Discrepancy[] = [];
  private readonly positionChecks = new Map<number, TimerHandle>();
  private equityCheck: TimerHandle | undefined;
  private readonly listeners = new Set<(d: Discrepancy) => void>();
  private readonly warned = new Set<string>();

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly books: Books,
    private readonly options: CrossCheckOptions,
    /** Nothing is compared before the first venue sync. */
    private readonly seeded: () => boolean,
  ) {}

  onDiscrepancy(listener: (d: Discrepancy) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A streamed venue position: compared after the grace period (its fill may still be on its way). */
  positionLater(conId: number): void {
    this.clock.clearTimer(this.positionChecks.get(conId));
    this.positionChecks.set(
      conId,
      later(
        this.clock,
        () => {
          this.positionChecks.delete(conId);
          this.checkPosition(conId);
        },
        this.options.graceMs,
      ),
    );
  }

  /** A streamed NetLiquidation: compared with equity after the grace period. */
  equityLater(): void {
    this.clock.clearTimer(this.equityCheck);
    this.equityCheck = later(
      this.clock,
      () => {
        this.equityCheck = undefined;
        this.checkEquity('account-update');
      },
      this.options.graceMs,
    );
  }

  private checkPosition(conId: number): void {
    if (!this.seeded()) return;
    const p = this.venuePositions.get(conId);
    if (!p) return;
    const book = this.books.byConId.get(conId);
    const mine = book?.quantity ?? 0;
    const key = `position:${conId}`;
    if (Math.abs(mine - p.quantity) < QUANTITY_EPSILON) {
      this.resolve(key);
      return;
    }
    const prior = this.open.get(key);
    // One a resync found stands (trading held) until the trader resolves it or a resync finds agreement.
    if (prior?.action === 'held' || (prior && prior.desk === mine && prior.venue === p.quantity)) return;
    const symbol = book ? this.books.nameOf(book) : p.symbol;
    this.raise({
      kind: 'position',
      conId,
      symbol,
      desk: mine,
      venue: p.quantity,
      difference: p.quantity - mine,
      action: 'flagged',
      source: 'position-update',
      at: this.clock.now(),
      message: `${symbol}: DualDesk holds ${mine}, the venue reports ${p.quantity} (still after ${this.options.graceMs} ms); flagged, the next resync holds trading if it still differs`,
    });
  }

  checkEquity(source: 'resync' | 'account-update'): void {
    if (!this.seeded() || !this.venueNetLiq) return;
    const equity = this.books.equity();
    const venue = this.venueNetLiq.value;
    const tolerance = Math.max(this.options.equityTolerance.absolute, this.options.equityTolerance.relative * this.books.grossValue());
    const key = 'equity';
    if (Math.abs(venue - equity) <= tolerance) {
      this.resolve(key);
      return;
    }
    this.raise({
      kind: 'equity',
      desk: equity,
      venue,
      difference: venue - equity,
      tolerance,
      action: 'flagged',
      source,
      at: this.clock.now(),
      message: `equity: DualDesk ${equity.toFixed(2)}, the venue's NetLiquidation ${venue.toFixed(2)} (difference ${(venue - equity).toFixed(2)}, tolerance ${tolerance.toFixed(2)})`,
    });
  }

  /**
   * Cash moves only with fills and commissions, not with marks: beyond the tolerance it is held like a
   * position (trading held until the trader adopts the venue's). Returns whether it is held.
   */
  checkCash(desk: number, venue: number, f: VenueFigures, now: number): boolean {
    const tolerance = Math.max(this.options.cashTolerance.absolute, this.options.cashTolerance.relative * Math.abs(f.netLiquidation ?? venue));
    if (Math.abs(venue - desk) <= tolerance) {
      this.resolve('cash');
      return false;
    }
    const base = this.options.baseCurrency;
    const money = (n: number) => `${base} ${MONEY.format(n)}`;
    this.raise({
      kind: 'cash',
      desk,
      venue,
      difference: venue - desk,
      tolerance,
      currency: base,
      action: 'held',
      source: 'resync',
      at: now,
      message: `cash: DualDesk ${money(desk)}, venue ${money(venue)}`,
    });
    return true;
  }

  raise(d: Discrepancy): Discrepancy {
    this.log.warn(
      { kind: d.kind, conId: d.conId, symbol: d.symbol, desk: d.desk, venue: d.venue, difference: d.difference, tolerance: d.tolerance, action: d.action, source: d.source },
      `portfolio discrepancy: ${d.message}`,
    );
    const key = d.kind === 'position' ? `position:${d.conId}` : d.kind;
    if (d.action !== 'adopted') this.open.set(key, d);
    else this.open.delete(key);
    this.recent.push(d);
    if (this.recent.length > MAX_DISCREPANCY_LOG) this.recent.shift();
    for (const l of this.listeners) {
      try {
        l(d);
      } catch (err) {
        this.log.error({ err }, 'discrepancy listener failed');
      }
    }
    return d;
  }

  resolve(key: string): void {
    const d = this.open.get(key);
    if (!d) return;
    this.open.delete(key);
    this.log.info({ key, was: { desk: d.desk, venue: d.venue } }, 'portfolio discrepancy resolved: DualDesk and the venue agree again');
  }

  /** Position and cash differences a resync found that the trader has not resolved yet. */
  held(): Discrepancy[] {
    return [...this.open.values()].filter((d) => d.action === 'held');
  }

  /** Warns once per instrument whose P&L is in another currency than the base (summed unconverted). */
  checkCurrency(conId: number, symbol: string, currency: string | undefined): void {
    const base = this.options.baseCurrency;
    if (currency === undefined || currency === base || this.warned.has(`ccy:${conId}`)) return;
    this.warned.add(`ccy:${conId}`);
    this.log.warn({ conId, symbol, currency, base }, `P&L of ${symbol} is in ${currency} and is summed into ${base} equity unconverted (no FX conversion)`);
  }

  close(): void {
    this.clock.clearTimer(this.equityCheck);
    for (const t of this.positionChecks.values()) this.clock.clearTimer(t);
    this.positionChecks.clear();
  }
}
