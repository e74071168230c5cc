// Positions, P&L and equity: DualDesk's own books, kept from its fills and marks, seeded from and
// cross-checked against the venue. The front of its parts: the books (books.ts), seeding and resync
// (venue-sync.ts), cross-checks (cross-checks.ts), the day's anchors (day-anchors.ts), publishing
// (publishing.ts). The accounting and every rule: docs/ACCOUNTING.md.
import type { EquitySnapshot, Fill, Position, Quote } from '../../shared';
import type { CoreTopics, MessageBus } from '../bus';
import { DEFAULT_TRADING_DAY, validateTradingDayRule, type Clock, type TradingDayRule } from '../clock';
import type { Logger } from '../ops';
import type { VenueAccountValue, VenueEventSource, VenuePosition, VenueSnapshot } from '../venue';
import { Books, markOfQuote, validateFill } from './books';
import { CrossChecks } from './cross-checks';
import { DayAnchors, type DayState } from './day-anchors';
import { Publisher } from './publishing';
import { PortfolioInputError, type Discrepancy, type FillOutcome, type InstrumentInfo, type PortfolioMemory, type SyncReport } from './types';
import { figureOf, readFigures } from './venue-figures';
import { resync, seed, type SyncParts } from './venue-sync';

export interface PortfolioOptions {
  readonly bus: MessageBus<CoreTopics>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly memory: PortfolioMemory;
  /** Default: rolls at 17:00 America/New_York, weekends belong to Monday. */
  readonly tradingDay?: TradingDayRule;
  /** The account's base currency; every amount is taken to be in it (default 'USD'). */
  readonly baseCurrency?: string;
  /** Marks publish at most one `equity` and one `position.<word>` per position this often (default 250 ms). */
  readonly publishIntervalMs?: number;
  /** Anchor changes from marks are written at most this often (default 1 s); fills, syncs and rolls at once. */
  readonly persistIntervalMs?: number;
  /** NetLiquidation vs DualDesk's equity: flagged beyond max(absolute, relative × gross position value). */
  readonly equityTolerance?: { readonly absolute?: number; readonly relative?: number };
  /** The venue's cash vs DualDesk's at a resync: held beyond max(absolute, relative × the venue's NetLiquidation) (default USD 1, 1 bp). */
  readonly cashTolerance?: { readonly absolute?: number; readonly relative?: number };
  /** A streamed venue figure that disagrees is checked again this much later, and flagged only then (default 2 s). */
  readonly venueGraceMs?: number;
  /** Take marks from the bus's `md.quote.*` topics (default true); `mark()` works either way. */
  readonly marksFromBus?: boolean;
}

export class Portfolio {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly base: string;
  private readonly books: Books;
  private readonly anchors: DayAnchors;
  private readonly publisher: Publisher;
  private readonly checks: CrossChecks;
  private readonly parts: SyncParts;
  private buffered: Fill[] = [];
  private seeded = false;
  private account: string | undefined;
  private readonly unsubscribe: (() => void)[] = [];
  private closed = false;

  constructor(options: PortfolioOptions) {
    this.clock = options.clock;
    this.log = options.logger.child({ component: 'portfolio' });
    const rule = options.tradingDay ?? DEFAULT_TRADING_DAY;
    validateTradingDayRule(rule);
    this.base = options.baseCurrency ?? 'USD';
    const isSeeded = () => this.seeded;
    this.books = new Books(this.log);
    this.anchors = new DayAnchors(this.clock, this.log, options.memory, rule, options.persistIntervalMs ?? 1_000);
    this.publisher = new Publisher(options.bus, this.clock, this.books, this.anchors, options.publishIntervalMs ?? 250, isSeeded);
    this.checks = new CrossChecks(
      this.clock,
      this.log,
      this.books,
      {
        baseCurrency: this.base,
        equityTolerance: { absolute: options.equityTolerance?.absolute ?? 10, relative: options.equityTolerance?.relative ?? 0.001 },
        cashTolerance: { absolute: options.cashTolerance?.absolute ?? 1, relative: options.cashTolerance?.relative ?? 0.0001 },
        graceMs: options.venueGraceMs ?? 2_000,
      },
      isSeeded,
    );
    this.parts = {
      clock: this.clock,
      log: this.log,
      books: this.books,
      anchors: this.anchors,
      publisher: this.publisher,
      checks: this.checks,
      markSeeded: () => {
        this.seeded = true;
      },
      applyHeld: () => this.applyHeld(),
      touchEquity: () => this.touchEquity(),
      checkDayRoll: () => this.checkDayRoll(),
      scheduleRoll: () => this.scheduleRoll(),
    };
    if (options.marksFromBus ?? true) {
      this.unsubscribe.push(options.bus.subscribe('md.quote.*', (q) => this.markQuote(q)));
    }
  }

  // --- inputs ---------------------------------------------------------------------------------

  /** Tells the portfolio what an instrument is (multiplier, local symbol, currency). Call it for every instrument the desk resolves. */
  instrument(info: InstrumentInfo): void {
    if (!(info.multiplier > 0) || !Number.isFinite(info.multiplier)) throw new PortfolioInputError(`instrument ${info.conId}: multiplier must be positive, got ${info.multiplier}`);
    const book = this.books.instrument(info);
    if (book && this.seeded) {
      this.books.revalue(book);
      this.touchEquity();
      this.publisher.position(book);
      this.publisher.soon();
    }
    this.checks.checkCurrency(info.conId, info.symbol, info.currency);
  }

  /**
   * One execution, exactly once per execId (a repeat is ignored). Before the first venue sync fills are
   * held; at the sync, those already in the venue's positions are not applied again.
   */
  applyFill(fill: Fill): FillOutcome {
    validateFill(fill);
    const known = this.books.execs.get(fill.execId);
    if (known) return { status: known.state === 'reflected' ? 'reflected' : 'duplicate' };
    if (!this.seeded) {
      if (!this.buffered.some((f) => f.execId === fill.execId)) this.buffered.push(fill);
      return { status: 'buffered' };
    }
    const outcome = this.book(fill);
    this.anchors.persistNow();
    this.publisher.now();
    return outcome;
  }

  /**
   * The commission of an execution (IB reports it after the execution). Replaces what the fill carried;
   * a commission that arrives before its fill waits for it. Returns whether anything changed.
   */
  applyCommission(execId: string, commission: number): boolean {
    if (typeof execId !== 'string' || execId === '') throw new PortfolioInputError('a commission needs its execution id');
    if (!Number.isFinite(commission)) throw new PortfolioInputError(`commission of ${execId} must be a finite number, got ${commission}`);
    const changed = this.books.commission(execId, commission);
    if (!changed) return false;
    if (changed.book) this.publisher.position(changed.book);
    this.checkDayRoll();
    if (this.anchors.current) this.anchors.current.commissions += changed.delta;
    this.touchEquity();
    this.anchors.persistNow();
    this.publisher.now();
    return true;
  }

  /** A mark for an instrument (a last trade price, or a mid). Publishing is throttled (see publishIntervalMs). */
  mark(conId: number, price: number, time = this.clock.now()): void {
    if (!Number.isFinite(price) || price <= 0) return;
    this.books.marks.set(conId, { price, time });
    const book = this.books.byConId.get(conId);
    if (!book || book.quantity === 0 || !this.seeded || !book.multiplierKnown) return;
    book.provisional = undefined;
    this.books.revalue(book);
    this.touchEquity();
    this.publisher.position(book);
    this.publisher.soon();
  }

  /** The mark of a quote: its last trade price, else the mid of bid and ask (FX has no last). */
  markQuote(q: Quote): void {
    const price = markOfQuote(q);
    if (price !== undefined) this.mark(q.conId, price, q.time);
  }

  /**
   * The venue's state after a (re)connect. The first sync seeds positions (quantity, basis = averageCost
   * / multiplier) and cash; later ones compare, and hold what differs until the trader adopts the venue's
   * figures (adoptVenue) or flattens.
   * Executions in the snapshot that have not reached the portfolio as fills are expected to: the
   * comparison allows for them.
   */
  sync(snapshot: VenueSnapshot): SyncReport {
    this.account = snapshot.account ?? snapshot.accounts[0];
    const figures = readFigures(snapshot.accountValues, this.base, this.account);
    const positions = new Map<number, VenuePosition>();
    for (const p of snapshot.positions) {
      if (this.account !== undefined && p.account !== '' && p.account !== this.account) continue;
      positions.set(p.conId, p);
      this.checks.venuePositions.set(p.conId, p);
    }
    const commissionOf = new Map(snapshot.commissions.map((c) => [c.execId, c.commission]));
    const pending = snapshot.newExecutions.filter((e) => !this.books.execs.has(e.execId));
    const view = { positions, figures, pending, commissionOf };
    const report = this.seeded ? resync(this.parts, view) : seed(this.parts, view);
    if (figures.netLiquidation !== undefined) this.checks.venueNetLiq = { value: figures.netLiquidation, at: this.clock.now() };
    return report;
  }

  /** A position the venue streams (after fills, and while resyncing): checked after the grace period, flagged, never adopted. */
  venuePosition(p: VenuePosition): void {
    if (this.account !== undefined && p.account !== '' && p.account !== this.account) return;
    this.checks.venuePositions.set(p.conId, p);
    this.checks.positionLater(p.conId);
  }

  /** An account value the venue streams: NetLiquidation is compared with DualDesk's equity after the grace period. */
  venueAccountValue(v: VenueAccountValue): void {
    const f = figureOf(v, this.base, this.account);
    if (!f || f.field !== 'netLiquidation') return;
    this.checks.venueNetLiq = { value: f.value, at: this.clock.now() };
    this.checks.equityLater();
  }

  /** A resync's step: the books against the venue's snapshot (the composition root calls the steps in order). */
  resynced(s: VenueSnapshot): void {
    try {
      this.sync(s);
    } catch (err) {
      this.log.error({ err }, 'portfolio sync failed');
    }
  }

  /** Listens to a venue's streamed positions and account values (resyncs come through resynced()). Returns the detach. */
  attachVenue(venue: VenueEventSource<'position' | 'accountValue'>): () => void {
    const onPosition = (p: VenuePosition) => this.venuePosition(p);
    const onValue = (v: VenueAccountValue) => this.venueAccountValue(v);
    venue.on('position', onPosition);
    venue.on('accountValue', onValue);
    const detach = () => {
      venue.off('position', onPosition);
      venue.off('accountValue', onValue);
    };
    this.unsubscribe.push(detach);
    return detach;
  }

  onDiscrepancy(listener: (d: Discrepancy) => void): () => void {
    return this.checks.onDiscrepancy(listener);
  }

  /**
   * The trader's resolution of the positions or cash a resync found different (all, or one instrument's):
   * DualDesk takes the venue's figures (quantity, basis, and cash re-anchored with them once no position
   * differs). The differences are the last resync's: call it right after a resync (no fill in between),
   * or they are stale. Returns what was adopted.
   */
  adoptVenue(conId?: number): Discrepancy[] {
    const { books, checks } = this;
    const now = this.clock.now();
    const adopted: Discrepancy[] = [];
    for (const d of [...checks.open.values()]) {
      if (d.kind !== 'position' || d.conId === undefined || d.action !== 'held' || (conId !== undefined && d.conId !== conId)) continue;
      const book = books.ensure(d.conId, d.symbol ?? String(d.conId));
      const quantity = book.quantity + d.difference;
      books.adopt(book, checks.venuePositions.get(d.conId), quantity);
      this.publisher.position(book);
      adopted.push(
        checks.raise({
          ...d,
          desk: d.desk,
          action: 'adopted',
          source: 'trader',
          at: now,
          message: `${d.symbol ?? d.conId}: DualDesk ${d.desk}, venue ${d.venue}; the venue's figure adopted`,
        }),
      );
    }
    const cash = conId === undefined ? checks.open.get('cash') : undefined;
    if (adopted.length === 0 && cash?.action !== 'held') return [];
    // The cash shift covers every position that differs: it moves once none is left.
    if (checks.heldCashShift !== undefined && !checks.held().some((d) => d.kind === 'position')) {
      this.log.warn({ before: books.cash, after: books.cash + checks.heldCashShift }, "cash re-anchored to the venue's");
      books.cash += checks.heldCashShift;
      checks.heldCashShift = undefined;
    }
    if (cash?.action === 'held') adopted.push(checks.raise({ ...cash, action: 'adopted', source: 'trader', at: now, message: `${cash.message}; the venue's figure adopted` }));
    books.revalueAll();
    this.touchEquity();
    this.anchors.persistNow();
    this.publisher.equity();
    this.publisher.now();
    return adopted;
  }

  /** Position and cash differences a resync found that the trader has not resolved yet. */
  heldDiscrepancies(): Discrepancy[] {
    return this.checks.held();
  }

  // --- reading --------------------------------------------------------------------------------

  /** Open positions and those closed today, by conId. */
  positions(): Position[] {
    return [...this.books.byConId.values()].map((b) => this.books.toPosition(b));
  }

  position(conId: number): Position | undefined {
    const b = this.books.byConId.get(conId);
    return b && this.books.toPosition(b);
  }

  /** The current equity snapshot; undefined before the first venue sync. */
  equity(): EquitySnapshot | undefined {
    return this.seeded ? this.publisher.snapshot() : undefined;
  }

  /** Cash as DualDesk books it: the venue's cash-equivalent at the seed, moved by every fill and commission (futures at notional: see docs/ACCOUNTING.md). */
  cashBalance(): number {
    return this.books.cash;
  }

  /** The latest discrepancies raised (newest last, at most 200). */
  discrepancies(): readonly Discrepancy[] {
    return [...this.checks.recent];
  }

  /** Discrepancies still standing (flagged and not yet seen to agree again). */
  openDiscrepancies(): readonly Discrepancy[] {
    return [...this.checks.open.values()];
  }

  get isSeeded(): boolean {
    return this.seeded;
  }

  /** Writes what is pending, stops timers and listeners. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const u of this.unsubscribe.splice(0)) u();
    this.publisher.close();
    this.checks.close();
    this.anchors.close();
  }

  // --- steps that span the parts --------------------------------------------------------------

  private book(fill: Fill): FillOutcome & { status: 'applied' } {
    this.checkDayRoll();
    const { book, change, commission } = this.books.fill(fill);
    const day = this.anchors.current as DayState;
    day.realized += change.realized;
    day.commissions += commission;
    day.trades += 1;
    day.lastTradeAt = Math.max(day.lastTradeAt ?? fill.time, fill.time);
    this.books.revalueAll();
    this.touchEquity();
    this.publisher.position(book);
    return { status: 'applied', realizedPnl: change.realized, position: this.books.toPosition(book) };
  }

  /** At the first sync: the fills handed over before it, less those already in the venue's snapshot. */
  private applyHeld(): number {
    const held = this.buffered;
    this.buffered = [];
    let applied = 0;
    for (const f of held) {
      if (this.books.execs.has(f.execId)) continue;
      this.book(f);
      applied++;
    }
    return applied;
  }

  /** Equity moved: day roll, anchors, persistence. */
  private touchEquity(): void {
    if (!this.seeded) return;
    this.checkDayRoll();
    this.anchors.move(this.books.equity());
    this.publisher.equity();
  }

  private checkDayRoll(): void {
    const now = this.clock.now();
    if (!this.anchors.ended(now)) return;
    const from = (this.anchors.current as DayState).day.key;
    this.anchors.open(now, this.books.equity());
    this.books.newDay();
    const day = this.anchors.current as DayState;
    this.log.info({ from, to: day.day.key, startEquity: day.startEquity }, 'trading day rolled');
    this.anchors.persistNow();
    this.publisher.all();
    this.scheduleRoll();
  }

  private scheduleRoll(): void {
    this.anchors.scheduleRoll(() => {
      this.checkDayRoll();
      this.publisher.now();
    });
  }
}
