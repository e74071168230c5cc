// Positions, P&L and equity: DualDesk's own books, kept from its fills and marks, seeded from and
// cross-checked against the venue. See index.ts for the accounting and every rule in one place.
import type { EquitySnapshot, Fill, Position, Quote } from '../../shared';
import { topicWord } from '../../shared/stream';
import type { CoreTopics, MessageBus } from '../bus';
import { DEFAULT_TRADING_DAY, tradingDayOf, validateTradingDayRule, type Clock, type TimerHandle, type TradingDay, type TradingDayRule } from '../clock';
import type { VenueAccountValue, VenueEventSource, VenueExecution, VenuePosition, VenueSnapshot } from '../venue';
import { withoutCorrelation, type Logger } from '../ops';
import { applyToLot, cashFlowOf, QUANTITY_EPSILON, unrealizedOf } from './accounting';
import {
  PortfolioInputError,
  type DayRecord,
  type Discrepancy,
  type EquityHigh,
  type FillOutcome,
  type InstrumentInfo,
  type PortfolioMemory,
  type SyncReport,
} from './types';
import { figureOf, readFigures, type VenueFigures } from './venue-figures';

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

interface Book {
  readonly conId: number;
  symbol: string;
  localSymbol: string | undefined;
  secType: string | undefined;
  currency: string | undefined;
  multiplier: number;
  /** False for a position seeded from the venue whose multiplier nobody told us yet. */
  multiplierKnown: boolean;
  /** The venue's averageCost (per unit × multiplier, commissions included) a seeded position started from. */
  venueAverageCost: number | undefined;
  quantity: number;
  avgPrice: number;
  realized: number;
  commissions: number;
  /** Market value from the venue's figures for a position DualDesk has no mark for yet (from its last sync). */
  provisional: number | undefined;
  /** Contribution to equity (market value), as last computed. */
  value: number;
}

interface ExecRecord {
  readonly conId: number;
  commission: number;
  readonly state: 'applied' | 'reflected';
}

interface DayState {
  day: TradingDay;
  startEquity: number;
  minEquity: number;
  maxEquity: number;
  realized: number;
  commissions: number;
  trades: number;
  lastTradeAt: number | undefined;
  startedAt: number;
}

const MAX_EXECS = 50_000;
const MAX_PENDING_COMMISSIONS = 10_000;
const MAX_DISCREPANCY_LOG = 200;
/** Securities whose multiplier is 1 by definition (IB reports none for them). */
const UNIT_MULTIPLIER = new Set(['STK', 'CASH']);

const SIDES = new Set(['BUY', 'SELL']);
const MONEY = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export class Portfolio {
  private readonly bus: MessageBus<CoreTopics>;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly memory: PortfolioMemory;
  private readonly rule: TradingDayRule;
  private readonly base: string;
  private readonly publishIntervalMs: number;
  private readonly persistIntervalMs: number;
  private readonly tolAbs: number;
  private readonly tolRel: number;
  private readonly cashTolAbs: number;
  private readonly cashTolRel: number;
  private readonly graceMs: number;

  private readonly books = new Map<number, Book>();
  private readonly instruments = new Map<number, InstrumentInfo>();
  private readonly marks = new Map<number, { price: number; time: number }>();
  private readonly execs = new Map<string, ExecRecord>();
  private readonly pendingCommissions = new Map<string, number>();
  private buffered: Fill[] = [];
  private seeded = false;
  private cash = 0;
  private positionsValue = 0;
  private day: DayState | undefined;
  private high: EquityHigh | undefined;
  private account: string | undefined;

  private readonly dirty = new Set<Book>();
  private equityDirty = false;
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  private flushTimer: TimerHandle | undefined;
  private persistTimer: TimerHandle | undefined;
  private rollTimer: TimerHandle | undefined;
  private lastPublishedEquity: number | undefined;

  private readonly venuePositions = new Map<number, VenuePosition>();
  private readonly positionChecks = new Map<number, TimerHandle>();
  private venueNetLiq: { value: number; at: number } | undefined;
  /** Cash's move to the venue's when held positions or cash are adopted (computed at the resync that found them). */
  private heldCashShift: number | undefined;
  private equityCheck: TimerHandle | undefined;
  private readonly open = new Map<string, Discrepancy>();
  private readonly recent: Discrepancy[] = [];
  private readonly listeners = new Set<(d: Discrepancy) => void>();
  private readonly warned = new Set<string>();
  private readonly unsubscribe: (() => void)[] = [];
  private closed = false;

  constructor(o: PortfolioOptions) {
    this.bus = o.bus;
    this.clock = o.clock;
    this.log = o.logger.child({ component: 'portfolio' });
    this.memory = o.memory;
    this.rule = o.tradingDay ?? DEFAULT_TRADING_DAY;
    validateTradingDayRule(this.rule);
    this.base = o.baseCurrency ?? 'USD';
    this.publishIntervalMs = o.publishIntervalMs ?? 250;
    this.persistIntervalMs = o.persistIntervalMs ?? 1_000;
    this.tolAbs = o.equityTolerance?.absolute ?? 10;
    this.tolRel = o.equityTolerance?.relative ?? 0.001;
    this.cashTolAbs = o.cashTolerance?.absolute ?? 1;
    this.cashTolRel = o.cashTolerance?.relative ?? 0.0001;
    this.graceMs = o.venueGraceMs ?? 2_000;
    if (o.marksFromBus ?? true) {
      this.unsubscribe.push(this.bus.subscribe('md.quote.*', (q) => this.markQuote(q)));
    }
  }

  // --- inputs ---------------------------------------------------------------------------------

  /** Tells the portfolio what an instrument is (multiplier, local symbol, currency). Call it for every instrument the desk resolves. */
  instrument(info: InstrumentInfo): void {
    if (!(info.multiplier > 0) || !Number.isFinite(info.multiplier)) throw new PortfolioInputError(`instrument ${info.conId}: multiplier must be positive, got ${info.multiplier}`);
    this.instruments.set(info.conId, info);
    const book = this.books.get(info.conId);
    if (book) {
      this.describe(book, info);
      if (!book.multiplierKnown) {
        book.multiplier = info.multiplier;
        book.multiplierKnown = true;
        if (book.venueAverageCost !== undefined) book.avgPrice = book.venueAverageCost / info.multiplier;
        this.log.info({ conId: book.conId, symbol: book.symbol, multiplier: info.multiplier }, 'position multiplier known: marks apply from now');
      }
      if (this.seeded) {
        this.revalue(book);
        this.touchEquity();
        this.dirty.add(book);
        this.scheduleFlush();
      }
    }
    this.checkCurrency(info.conId, info.symbol, info.currency);
  }

  /**
   * One execution, exactly once per execId (a repeat is ignored). Before the first venue sync fills are
   * held; at the sync, those already in the venue's positions are not applied again.
   */
  applyFill(fill: Fill): FillOutcome {
    validateFill(fill);
    const known = this.execs.get(fill.execId);
    if (known) return { status: known.state === 'reflected' ? 'reflected' : 'duplicate' };
    if (!this.seeded) {
      if (!this.buffered.some((f) => f.execId === fill.execId)) this.buffered.push(fill);
      return { status: 'buffered' };
    }
    const outcome = this.book(fill);
    this.persistNow();
    this.flushNow();
    return outcome;
  }

  /**
   * The commission of an execution (IB reports it after the execution). Replaces what the fill carried;
   * a commission that arrives before its fill waits for it. Returns whether anything changed.
   */
  applyCommission(execId: string, commission: number): boolean {
    if (typeof execId !== 'string' || execId === '') throw new PortfolioInputError('a commission needs its execution id');
    if (!Number.isFinite(commission)) throw new PortfolioInputError(`commission of ${execId} must be a finite number, got ${commission}`);
    const rec = this.execs.get(execId);
    if (!rec) {
      if (this.pendingCommissions.size >= MAX_PENDING_COMMISSIONS) this.pendingCommissions.delete(this.pendingCommissions.keys().next().value as string);
      this.pendingCommissions.set(execId, commission);
      return false;
    }
    if (rec.state === 'reflected') return false;
    const delta = commission - rec.commission;
    if (delta === 0) return false;
    rec.commission = commission;
    const book = this.books.get(rec.conId);
    if (book) {
      book.commissions += delta;
      this.dirty.add(book);
    }
    this.cash -= delta;
    this.checkDayRoll();
    if (this.day) this.day.commissions += delta;
    this.touchEquity();
    this.persistNow();
    this.flushNow();
    return true;
  }

  /** A mark for an instrument (a last trade price, or a mid). Publishing is throttled (see publishIntervalMs). */
  mark(conId: number, price: number, time = this.clock.now()): void {
    if (!Number.isFinite(price) || price <= 0) return;
    this.marks.set(conId, { price, time });
    const book = this.books.get(conId);
    if (!book || book.quantity === 0 || !this.seeded || !book.multiplierKnown) return;
    book.provisional = undefined;
    this.revalue(book);
    this.touchEquity();
    this.dirty.add(book);
    this.scheduleFlush();
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
    const venue = new Map<number, VenuePosition>();
    for (const p of snapshot.positions) {
      if (this.account !== undefined && p.account !== '' && p.account !== this.account) continue;
      venue.set(p.conId, p);
      this.venuePositions.set(p.conId, p);
    }
    const commissionOf = new Map(snapshot.commissions.map((c) => [c.execId, c.commission]));
    const pending = snapshot.newExecutions.filter((e) => !this.execs.has(e.execId));
    const report = this.seeded ? this.resync(venue, figures, pending, commissionOf) : this.seed(venue, figures, pending, commissionOf);
    if (figures.netLiquidation !== undefined) this.venueNetLiq = { value: figures.netLiquidation, at: this.clock.now() };
    return report;
  }

  /** A position the venue streams (after fills, and while resyncing): checked after the grace period, flagged, never adopted. */
  venuePosition(p: VenuePosition): void {
    if (this.account !== undefined && p.account !== '' && p.account !== this.account) return;
    this.venuePositions.set(p.conId, p);
    this.clock.clearTimer(this.positionChecks.get(p.conId));
    this.positionChecks.set(
      p.conId,
      this.later(() => {
        this.positionChecks.delete(p.conId);
        this.checkPosition(p.conId);
      }, this.graceMs),
    );
  }

  /** An account value the venue streams: NetLiquidation is compared with DualDesk's equity after the grace period. */
  venueAccountValue(v: VenueAccountValue): void {
    const f = figureOf(v, this.base, this.account);
    if (!f || f.field !== 'netLiquidation') return;
    this.venueNetLiq = { value: f.value, at: this.clock.now() };
    this.clock.clearTimer(this.equityCheck);
    this.equityCheck = this.later(() => {
      this.equityCheck = undefined;
      this.checkEquity('account-update');
    }, this.graceMs);
  }

  /** Listens to a venue: resyncs, streamed positions and account values. Returns the detach. */
  attachVenue(venue: VenueEventSource<'resynced' | 'position' | 'accountValue'>): () => void {
    const onResynced = (s: VenueSnapshot) => {
      try {
        this.sync(s);
      } catch (err) {
        this.log.error({ err }, 'portfolio sync failed');
      }
    };
    const onPosition = (p: VenuePosition) => this.venuePosition(p);
    const onValue = (v: VenueAccountValue) => this.venueAccountValue(v);
    venue.on('resynced', onResynced);
    venue.on('position', onPosition);
    venue.on('accountValue', onValue);
    const detach = () => {
      venue.off('resynced', onResynced);
      venue.off('position', onPosition);
      venue.off('accountValue', onValue);
    };
    this.unsubscribe.push(detach);
    return detach;
  }

  onDiscrepancy(listener: (d: Discrepancy) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The trader's resolution of the positions or cash a resync found different (all, or one instrument's):
   * DualDesk takes the venue's figures (quantity, basis, and cash re-anchored with them once no position
   * differs). The differences are the last resync's: call it right after a resync (no fill in between),
   * or they are stale. Returns what was adopted.
   */
  adoptVenue(conId?: number): Discrepancy[] {
    const now = this.clock.now();
    const adopted: Discrepancy[] = [];
    for (const d of [...this.open.values()]) {
      if (d.kind !== 'position' || d.conId === undefined || d.action !== 'held' || (conId !== undefined && d.conId !== conId)) continue;
      const book = this.books.get(d.conId) ?? this.ensureBook(d.conId, d.symbol ?? String(d.conId));
      const quantity = book.quantity + d.difference;
      this.adopt(book, this.venuePositions.get(d.conId), quantity);
      this.dirty.add(book);
      adopted.push(this.raise({ ...d, desk: d.desk, action: 'adopted', source: 'trader', at: now, message: `${d.symbol ?? d.conId}: DualDesk ${d.desk}, venue ${d.venue}; the venue's figure adopted` }));
    }
    const cash = conId === undefined ? this.open.get('cash') : undefined;
    if (adopted.length === 0 && cash?.action !== 'held') return [];
    // The cash shift covers every position that differs: it moves once none is left.
    if (this.heldCashShift !== undefined && !this.heldDiscrepancies().some((d) => d.kind === 'position')) {
      this.log.warn({ before: this.cash, after: this.cash + this.heldCashShift }, "cash re-anchored to the venue's");
      this.cash += this.heldCashShift;
      this.heldCashShift = undefined;
    }
    if (cash?.action === 'held') adopted.push(this.raise({ ...cash, action: 'adopted', source: 'trader', at: now, message: `${cash.message}; the venue's figure adopted` }));
    this.revalueAll();
    this.touchEquity();
    this.persistNow();
    this.equityDirty = true;
    this.flushNow();
    return adopted;
  }

  /** Position and cash differences a resync found that the trader has not resolved yet. */
  heldDiscrepancies(): Discrepancy[] {
    return [...this.open.values()].filter((d) => d.action === 'held');
  }

  // --- reading --------------------------------------------------------------------------------

  /** Open positions and those closed today, by conId. */
  positions(): Position[] {
    return [...this.books.values()].map((b) => this.toPosition(b));
  }

  position(conId: number): Position | undefined {
    const b = this.books.get(conId);
    return b && this.toPosition(b);
  }

  /** The current equity snapshot; undefined before the first venue sync. */
  equity(): EquitySnapshot | undefined {
    return this.seeded ? this.snapshot() : undefined;
  }

  /** Cash as DualDesk books it: the venue's cash-equivalent at the seed, moved by every fill and commission (futures at notional: see index.ts). */
  cashBalance(): number {
    return this.cash;
  }

  /** The latest discrepancies raised (newest last, at most 200). */
  discrepancies(): readonly Discrepancy[] {
    return [...this.recent];
  }

  /** Discrepancies still standing (flagged and not yet seen to agree again). */
  openDiscrepancies(): readonly Discrepancy[] {
    return [...this.open.values()];
  }

  get isSeeded(): boolean {
    return this.seeded;
  }

  /** Writes what is pending, stops timers and listeners. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const u of this.unsubscribe.splice(0)) u();
    this.clock.clearTimer(this.flushTimer);
    this.clock.clearTimer(this.rollTimer);
    this.clock.clearTimer(this.equityCheck);
    for (const t of this.positionChecks.values()) this.clock.clearTimer(t);
    this.positionChecks.clear();
    if (this.persistTimer !== undefined) this.persistNow();
  }

  // --- books ----------------------------------------------------------------------------------

  private book(fill: Fill): FillOutcome & { status: 'applied' } {
    this.checkDayRoll();
    // A registered instrument's multiplier wins over the fill's (a fill of an order the desk did not place may carry 1).
    const registered = this.instruments.get(fill.conId)?.multiplier;
    const multiplier = registered ?? fill.multiplier;
    if (multiplier !== fill.multiplier) {
      this.log.warn({ conId: fill.conId, symbol: fill.symbol, instrument: multiplier, fill: fill.multiplier, execId: fill.execId }, 'fill multiplier differs from the instrument’s: the instrument’s is used');
    }
    const book = this.ensureBook(fill.conId, fill.symbol, multiplier);
    if (!book.multiplierKnown && book.venueAverageCost !== undefined) book.avgPrice = book.venueAverageCost / multiplier;
    book.multiplier = multiplier;
    book.multiplierKnown = true;
    // A commission report that came first is the venue's word; otherwise what the fill carries.
    const commission = this.pendingCommissions.get(fill.execId) ?? fill.commission;
    this.pendingCommissions.delete(fill.execId);
    const signed = fill.side === 'BUY' ? fill.quantity : -fill.quantity;
    const change = applyToLot(book, signed, fill.price, multiplier);
    book.quantity = change.lot.quantity;
    book.avgPrice = change.lot.avgPrice;
    book.realized += change.realized;
    book.commissions += commission;
    book.provisional = undefined;
    if (!this.marks.has(fill.conId)) this.marks.set(fill.conId, { price: fill.price, time: fill.time });
    this.cash += cashFlowOf(signed, fill.price, multiplier) - commission;
    this.remember(fill.execId, { conId: fill.conId, commission, state: 'applied' });
    const day = this.day as DayState;
    day.realized += change.realized;
    day.commissions += commission;
    day.trades += 1;
    day.lastTradeAt = Math.max(day.lastTradeAt ?? fill.time, fill.time);
    this.revalueAll();
    this.touchEquity();
    this.dirty.add(book);
    return { status: 'applied', realizedPnl: change.realized, position: this.toPosition(book) };
  }

  private ensureBook(conId: number, symbol: string, multiplier?: number): Book {
    let book = this.books.get(conId);
    if (!book) {
      const info = this.instruments.get(conId);
      book = {
        conId,
        symbol,
        localSymbol: undefined,
        secType: undefined,
        currency: undefined,
        multiplier: info?.multiplier ?? multiplier ?? 1,
        multiplierKnown: info !== undefined || multiplier !== undefined,
        venueAverageCost: undefined,
        quantity: 0,
        avgPrice: 0,
        realized: 0,
        commissions: 0,
        provisional: undefined,
        value: 0,
      };
      if (info) this.describe(book, info);
      this.books.set(conId, book);
    }
    return book;
  }

  private describe(book: Book, info: InstrumentInfo): void {
    book.symbol = info.symbol || book.symbol;
    if (info.localSymbol) book.localSymbol = info.localSymbol;
    if (info.secType) book.secType = info.secType;
    if (info.currency) book.currency = info.currency;
  }

  private remember(execId: string, rec: ExecRecord): void {
    if (this.execs.size >= MAX_EXECS) this.execs.delete(this.execs.keys().next().value as string);
    this.execs.set(execId, rec);
  }

  /** A venue position taken as DualDesk's: its quantity, and its basis from IB's averageCost. */
  private adopt(book: Book, p: VenuePosition | undefined, quantity: number): void {
    book.quantity = Math.abs(quantity) < QUANTITY_EPSILON ? 0 : quantity;
    book.provisional = undefined;
    if (p && p.quantity !== 0 && Math.sign(p.quantity) === Math.sign(book.quantity)) {
      book.venueAverageCost = p.averageCost;
      book.avgPrice = p.averageCost / book.multiplier;
      if (!book.multiplierKnown && UNIT_MULTIPLIER.has(p.secType)) book.multiplierKnown = true;
    } else if (book.quantity === 0) {
      book.avgPrice = 0;
    } else {
      // The venue holds nothing on this side yet (fills still to come): the best basis is the mark.
      book.avgPrice = this.marks.get(book.conId)?.price ?? book.avgPrice;
    }
    if (p?.secType) book.secType ??= p.secType;
  }

  private seed(venue: Map<number, VenuePosition>, figures: VenueFigures, pending: readonly VenueExecution[], commissionOf: Map<string, number>): SyncReport {
    const now = this.clock.now();
    this.books.clear();
    for (const p of venue.values()) {
      if (p.quantity === 0) continue;
      const info = this.instruments.get(p.conId);
      const unit = UNIT_MULTIPLIER.has(p.secType);
      const book = this.ensureBook(p.conId, p.symbol, info?.multiplier ?? (unit ? 1 : undefined));
      if (!book.multiplierKnown) {
        this.log.warn({ conId: p.conId, symbol: p.symbol, secType: p.secType }, 'venue position of unknown multiplier: valued at the venue’s cost until its instrument is registered');
      }
      this.adopt(book, p, p.quantity);
      this.checkCurrency(p.conId, p.symbol, book.currency);
    }
    // Everything the venue already executed is in its positions and cash: not applied again.
    for (const e of pending) {
      this.remember(e.execId, { conId: e.conId, commission: commissionOf.get(e.execId) ?? 0, state: 'reflected' });
      this.pendingCommissions.delete(e.execId);
    }
    this.cash = this.venueCash(venue, figures) ?? this.cash;
    this.provisionals(venue, figures);
    this.seeded = true;
    this.revalueAll();
    const equity = this.equityValue();
    this.openDay(now, equity);
    const held = this.buffered;
    this.buffered = [];
    let reflected = 0;
    for (const f of held) {
      if (this.execs.has(f.execId)) reflected++;
      else this.book(f);
    }
    this.log.info(
      { positions: [...this.books.values()].map((b) => ({ conId: b.conId, symbol: b.symbol, quantity: b.quantity, avgPrice: b.avgPrice })), cash: this.cash, equity: this.equityValue(), netLiquidation: figures.netLiquidation, reflected: pending.length, bufferedApplied: held.length - reflected },
      'portfolio seeded from the venue',
    );
    this.touchEquity();
    this.persistNow();
    for (const b of this.books.values()) this.dirty.add(b);
    this.flushNow();
    this.scheduleRoll();
    return { seeded: true, discrepancies: [], pendingExecutions: pending.length };
  }

  private resync(venue: Map<number, VenuePosition>, figures: VenueFigures, pending: readonly VenueExecution[], commissionOf: Map<string, number>): SyncReport {
    this.checkDayRoll();
    const now = this.clock.now();
    const expectedDelta = new Map<number, number>();
    for (const e of pending) expectedDelta.set(e.conId, (expectedDelta.get(e.conId) ?? 0) + (e.side === 'BUY' ? e.shares : -e.shares));
    const found: Discrepancy[] = [];
    const conIds = new Set<number>([...venue.keys(), ...[...this.books.values()].filter((b) => b.quantity !== 0).map((b) => b.conId)]);
    for (const conId of conIds) {
      const p = venue.get(conId);
      const venueQty = p?.quantity ?? 0;
      const expected = venueQty - (expectedDelta.get(conId) ?? 0);
      const book = this.books.get(conId);
      const mine = book?.quantity ?? 0;
      if (Math.abs(mine - expected) < QUANTITY_EPSILON) {
        this.resolve(`position:${conId}`);
        continue;
      }
      const b = book ?? this.ensureBook(conId, p?.symbol ?? String(conId), p && UNIT_MULTIPLIER.has(p.secType) ? 1 : undefined);
      const still = expected === venueQty ? '' : ` (${venueQty} at the venue, ${venueQty - expected} of it in executions not yet applied)`;
      // Held, not adopted: the trader decides (adoptVenue, or flatten); until then trading is held.
      found.push(
        this.raise({
          kind: 'position',
          conId,
          symbol: this.nameOf(b),
          desk: mine,
          venue: expected,
          difference: expected - mine,
          action: 'held',
          source: 'resync',
          at: now,
          message: `${this.nameOf(b)}: DualDesk ${mine}, venue ${expected}${still}`,
        }),
      );
    }
    // Cash on both sides as of the snapshot: the venue's less the executions still on their way, DualDesk's
    // less the commissions reported for fills it applied (a commission arrives after its fill).
    let venueCash = this.venueCash(venue, figures);
    let deskCash = this.cash;
    if (venueCash !== undefined) {
      for (const e of pending) {
        const m = this.books.get(e.conId)?.multiplier ?? 1;
        const signed = e.side === 'BUY' ? e.shares : -e.shares;
        venueCash -= cashFlowOf(signed, e.price, m) - (commissionOf.get(e.execId) ?? 0);
      }
      for (const [execId, commission] of commissionOf) {
        const rec = this.execs.get(execId);
        if (rec?.state === 'applied') deskCash -= commission - rec.commission;
      }
    }
    // What cash moves by when the venue's figures are adopted (holdings changed without fills: cash follows the venue too).
    this.heldCashShift = venueCash === undefined ? undefined : venueCash - deskCash;
    // Positions that differ explain a cash difference, and adopting them takes the venue's cash too.
    if (found.length === 0 && venueCash !== undefined && !this.checkCash(deskCash, venueCash, figures, now)) this.heldCashShift = undefined;
    this.provisionals(venue, figures, expectedDelta);
    this.revalueAll();
    this.touchEquity();
    if (found.length === 0 && pending.length === 0 && figures.netLiquidation !== undefined) {
      this.venueNetLiq = { value: figures.netLiquidation, at: now };
      this.checkEquity('resync');
    }
    this.persistNow();
    this.equityDirty = true;
    this.flushNow();
    return { seeded: false, discrepancies: found, pendingExecutions: pending.length };
  }

  /**
   * The venue's cash in DualDesk's terms: NetLiquidation minus the venue's market value of its positions
   * (Σ quantity × averageCost + its unrealized P&L). Futures thus count at notional on both sides, and
   * how the venue books cash (per-currency balances, futures variation) does not matter. Without those
   * figures: TotalCashValue, less the futures' notional at cost.
   */
  private venueCash(venue: Map<number, VenuePosition>, f: VenueFigures): number | undefined {
    let cost = 0;
    let futuresCost = 0;
    for (const p of venue.values()) {
      cost += p.quantity * p.averageCost;
      if (!UNIT_MULTIPLIER.has(p.secType)) futuresCost += p.quantity * p.averageCost;
    }
    if (f.netLiquidation !== undefined && (f.unrealizedPnl !== undefined || cost === 0)) return f.netLiquidation - cost - (f.unrealizedPnl ?? 0);
    if (f.totalCashValue !== undefined) {
      this.log.warn('venue sent no NetLiquidation/UnrealizedPnL: cash taken from TotalCashValue');
      return f.totalCashValue - futuresCost;
    }
    this.log.error('venue sent no NetLiquidation and no TotalCashValue: cash is unknown and kept as it was; equity will be wrong');
    return undefined;
  }

  /**
   * Positions without a mark yet are worth the venue's cost (quantity × averageCost) plus their share
   * of the venue's unrealized P&L (what its total leaves after the marked positions, shared by cost),
   * so equity equals NetLiquidation at the sync instead of missing the unrealized until quotes arrive.
   * The position's first mark replaces the estimate.
   */
  private provisionals(venue: Map<number, VenuePosition>, f: VenueFigures, expectedDelta = new Map<number, number>()): void {
    if (f.unrealizedPnl === undefined) return;
    const unmarked: { book: Book; cost: number; weight: number }[] = [];
    let rest = f.unrealizedPnl;
    for (const p of venue.values()) {
      if (p.quantity === 0) continue;
      const book = this.books.get(p.conId);
      const mark = this.marks.get(p.conId);
      if (book && mark && book.multiplierKnown) {
        rest -= p.quantity * mark.price * book.multiplier - p.quantity * p.averageCost;
      } else if (book && (expectedDelta.get(p.conId) ?? 0) === 0 && book.quantity === p.quantity) {
        unmarked.push({ book, cost: p.quantity * p.averageCost, weight: Math.abs(p.quantity * p.averageCost) });
      }
    }
    const total = unmarked.reduce((s, u) => s + u.weight, 0);
    for (const u of unmarked) u.book.provisional = u.cost + (total > 0 ? (rest * u.weight) / total : rest / unmarked.length);
  }

  // --- values ---------------------------------------------------------------------------------

  private usableMark(book: Book): number | undefined {
    if (!book.multiplierKnown || book.provisional !== undefined) return undefined;
    return this.marks.get(book.conId)?.price;
  }

  private valueOf(book: Book): number {
    if (book.quantity === 0) return 0;
    const mark = this.usableMark(book);
    if (mark !== undefined) return book.quantity * mark * book.multiplier;
    return book.provisional ?? book.quantity * book.avgPrice * book.multiplier;
  }

  private unrealizedOf(book: Book): number {
    const mark = this.usableMark(book);
    if (mark !== undefined) return unrealizedOf(book, mark, book.multiplier);
    return book.quantity === 0 || book.provisional === undefined ? 0 : book.provisional - book.quantity * book.avgPrice * book.multiplier;
  }

  private revalue(book: Book): void {
    const value = this.valueOf(book);
    this.positionsValue += value - book.value;
    book.value = value;
  }

  private revalueAll(): void {
    let total = 0;
    for (const b of this.books.values()) {
      b.value = this.valueOf(b);
      total += b.value;
    }
    this.positionsValue = total;
  }

  private equityValue(): number {
    return this.cash + this.positionsValue;
  }

  private grossValue(): number {
    let gross = 0;
    for (const b of this.books.values()) gross += Math.abs(b.value);
    return gross;
  }

  /** Equity moved: day roll, anchors, persistence. */
  private touchEquity(): void {
    if (!this.seeded) return;
    this.checkDayRoll();
    const day = this.day as DayState;
    const equity = this.equityValue();
    const now = this.clock.now();
    let changed = false;
    if (equity < day.minEquity) {
      day.minEquity = equity;
      changed = true;
    }
    if (equity > day.maxEquity) {
      day.maxEquity = equity;
      changed = true;
    }
    if (!this.high || equity > this.high.equity) {
      this.high = { equity, at: now };
      changed = true;
    }
    this.equityDirty = true;
    if (changed) this.persistSoon();
  }

  // --- the trading day --------------------------------------------------------------------------

  private openDay(now: number, equity: number): void {
    const day = tradingDayOf(now, this.rule);
    const saved = this.memory.loadDay(day.key);
    // The stored high may trail the one in memory (anchor moves from marks are written lazily).
    const stored = this.memory.loadHigh();
    if (stored && (!this.high || stored.equity > this.high.equity)) this.high = stored;
    if (saved) {
      this.day = {
        day,
        startEquity: saved.startEquity,
        minEquity: Math.min(saved.minEquity, equity),
        maxEquity: Math.max(saved.maxEquity, equity),
        realized: saved.realizedPnl,
        commissions: saved.commissions,
        trades: saved.trades,
        lastTradeAt: saved.lastTradeAt,
        startedAt: saved.startedAt,
      };
      this.log.info({ day: day.key, startEquity: saved.startEquity, equity }, 'trading day resumed from the store');
    } else {
      this.day = { day, startEquity: equity, minEquity: equity, maxEquity: equity, realized: 0, commissions: 0, trades: 0, lastTradeAt: undefined, startedAt: now };
      this.log.info({ day: day.key, startEquity: equity }, 'trading day started');
    }
    if (!this.high || equity > this.high.equity) this.high = { equity, at: now };
  }

  private checkDayRoll(): void {
    if (!this.day) return;
    const now = this.clock.now();
    if (now < this.day.day.end) return;
    const equity = this.equityValue();
    const from = this.day.day.key;
    this.openDay(now, equity);
    for (const [conId, b] of this.books) {
      if (b.quantity === 0) this.books.delete(conId);
      b.realized = 0;
      b.commissions = 0;
    }
    this.log.info({ from, to: this.day.day.key, startEquity: this.day.startEquity }, 'trading day rolled');
    this.persistNow();
    for (const b of this.books.values()) this.dirty.add(b);
    this.equityDirty = true;
    this.scheduleRoll();
  }

  private scheduleRoll(): void {
    this.clock.clearTimer(this.rollTimer);
    if (!this.day || this.closed) return;
    this.rollTimer = this.later(() => {
      this.rollTimer = undefined;
      this.checkDayRoll();
      this.flushNow();
    }, Math.max(0, this.day.day.end - this.clock.now()));
  }

  // --- persistence ----------------------------------------------------------------------------

  private persistSoon(): void {
    if (this.persistTimer !== undefined || this.closed) return;
    this.persistTimer = this.later(() => this.persistNow(), this.persistIntervalMs);
  }

  /**
   * A timer of the portfolio's own. Often armed while a fill or an order's event is handled (under that
   * order's correlation id); what it does later is the account's, so it runs under no order's id.
   */
  private later(fn: () => void, ms: number): TimerHandle {
    return withoutCorrelation(() => this.clock.setTimeout(fn, ms));
  }

  private persistNow(): void {
    this.clock.clearTimer(this.persistTimer);
    this.persistTimer = undefined;
    const day = this.day;
    if (!day || !this.high) return;
    const record: DayRecord = {
      day: day.day.key,
      startEquity: day.startEquity,
      minEquity: day.minEquity,
      maxEquity: day.maxEquity,
      realizedPnl: day.realized,
      commissions: day.commissions,
      trades: day.trades,
      ...(day.lastTradeAt === undefined ? {} : { lastTradeAt: day.lastTradeAt }),
      startedAt: day.startedAt,
      updatedAt: this.clock.now(),
    };
    try {
      this.memory.save(record, this.high);
    } catch (err) {
      // The books stay right in memory; the next change tries again.
      this.log.error({ err, day: record.day }, 'portfolio anchors could not be written');
      this.persistSoon();
    }
  }

  // --- publishing -----------------------------------------------------------------------------

  private scheduleFlush(): void {
    if (this.flushTimer !== undefined || this.closed) return;
    const wait = this.lastFlushAt + this.publishIntervalMs - this.clock.now();
    if (wait <= 0) {
      this.flushNow();
      return;
    }
    this.flushTimer = this.later(() => {
      this.flushTimer = undefined;
      this.flushNow();
    }, wait);
  }

  private flushNow(): void {
    if (!this.seeded || this.closed) return;
    this.lastFlushAt = this.clock.now();
    const books = [...this.dirty];
    this.dirty.clear();
    for (const b of books) this.bus.publish(`position.${topicWord(this.nameOf(b))}`, this.toPosition(b));
    if (this.equityDirty) {
      this.equityDirty = false;
      const snap = this.snapshot();
      this.lastPublishedEquity = snap.equity;
      this.bus.publish('equity', snap);
    }
  }

  private snapshot(): EquitySnapshot {
    const day = this.day as DayState;
    const equity = this.equityValue();
    let unrealized = 0;
    for (const b of this.books.values()) unrealized += this.unrealizedOf(b);
    return {
      equity,
      previousEquity: this.lastPublishedEquity ?? day.startEquity,
      maxEquityEver: Math.max(this.high?.equity ?? equity, equity),
      dailyStartEquity: day.startEquity,
      dailyMaxEquity: day.maxEquity,
      dailyMinEquity: day.minEquity,
      totalPnl: equity - day.startEquity,
      realizedPnl: day.realized,
      unrealizedPnl: unrealized,
      commissions: day.commissions,
      totalTrades: day.trades,
      ...(day.lastTradeAt === undefined ? {} : { lastTradeAt: day.lastTradeAt }),
      at: this.clock.now(),
    };
  }

  private nameOf(b: Book): string {
    return b.localSymbol ?? b.symbol;
  }

  private toPosition(b: Book): Position {
    const mark = this.usableMark(b) ?? (b.multiplierKnown ? this.marks.get(b.conId)?.price : undefined);
    return {
      conId: b.conId,
      symbol: this.nameOf(b),
      quantity: b.quantity,
      avgPrice: b.avgPrice,
      multiplier: b.multiplier,
      ...(mark === undefined ? {} : { lastPrice: mark }),
      realizedPnl: b.realized,
      unrealizedPnl: this.unrealizedOf(b),
      commissions: b.commissions,
    };
  }

  // --- cross-checks ---------------------------------------------------------------------------

  private checkPosition(conId: number): void {
    if (!this.seeded) return;
    const p = this.venuePositions.get(conId);
    if (!p) return;
    const book = this.books.get(conId);
    const mine = book?.quantity ?? 0;
    const key = `position:${conId}`;
    if (Math.abs(mine - p.quantity) < QUANTITY_EPSILON) {
      this.resolve(key);
      return;
    }
    const prior = this.open.get(key);
    // One a resync found stands (trading held) until the trader resolves it or a resync finds agreement.
    if (prior?.action === 'held' || (prior && prior.desk === mine && prior.venue === p.quantity)) return;
    const symbol = book ? this.nameOf(book) : p.symbol;
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
      message: `${symbol}: DualDesk holds ${mine}, the venue reports ${p.quantity} (still after ${this.graceMs} ms); flagged, the next resync holds trading if it still differs`,
    });
  }

  private checkEquity(source: 'resync' | 'account-update'): void {
    if (!this.seeded || !this.venueNetLiq) return;
    const equity = this.equityValue();
    const venue = this.venueNetLiq.value;
    const tolerance = Math.max(this.tolAbs, this.tolRel * this.grossValue());
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
  private checkCash(desk: number, venue: number, f: VenueFigures, now: number): boolean {
    const tolerance = Math.max(this.cashTolAbs, this.cashTolRel * Math.abs(f.netLiquidation ?? venue));
    if (Math.abs(venue - desk) <= tolerance) {
      this.resolve('cash');
      return false;
    }
    const money = (n: number) => `${this.base} ${MONEY.format(n)}`;
    this.raise({
      kind: 'cash',
      desk,
      venue,
      difference: venue - desk,
      tolerance,
      currency: this.base,
      action: 'held',
      source: 'resync',
      at: now,
      message: `cash: DualDesk ${money(desk)}, venue ${money(venue)}`,
    });
    return true;
  }

  private raise(d: Discrepancy): Discrepancy {
    this.log.warn({ kind: d.kind, conId: d.conId, symbol: d.symbol, desk: d.desk, venue: d.venue, difference: d.difference, tolerance: d.tolerance, action: d.action, source: d.source }, `portfolio discrepancy: ${d.message}`);
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

  private resolve(key: string): void {
    const d = this.open.get(key);
    if (!d) return;
    this.open.delete(key);
    this.log.info({ key, was: { desk: d.desk, venue: d.venue } }, 'portfolio discrepancy resolved: DualDesk and the venue agree again');
  }

  private checkCurrency(conId: number, symbol: string, currency: string | undefined): void {
    if (currency === undefined || currency === this.base || this.warned.has(`ccy:${conId}`)) return;
    this.warned.add(`ccy:${conId}`);
    this.log.warn({ conId, symbol, currency, base: this.base }, `P&L of ${symbol} is in ${currency} and is summed into ${this.base} equity unconverted (no FX conversion)`);
  }
}

/** The mark of a quote: last trade, else mid of bid/ask; undefined when neither is there. */
export function markOfQuote(q: Quote): number | undefined {
  if (q.last !== undefined && Number.isFinite(q.last) && q.last > 0) return q.last;
  if (q.bid !== undefined && q.ask !== undefined && q.bid > 0 && q.ask > 0 && Number.isFinite(q.bid + q.ask)) return (q.bid + q.ask) / 2;
  return undefined;
}

function validateFill(f: Fill): void {
  const fail = (why: string): never => {
    throw new PortfolioInputError(`fill ${String(f?.execId)}: ${why}`);
  };
  if (typeof f !== 'object' || f === null) fail('not a fill');
  if (typeof f.execId !== 'string' || f.execId === '') fail('needs an execution id');
  if (!Number.isInteger(f.conId) || f.conId <= 0) fail(`conId must be a positive integer, got ${f.conId}`);
  if (!SIDES.has(f.side)) fail(`side must be BUY or SELL, got ${String(f.side)}`);
  if (!(f.quantity > 0) || !Number.isFinite(f.quantity)) fail(`quantity must be positive, got ${f.quantity}`);
  if (!Number.isFinite(f.price) || f.price <= 0) fail(`price must be positive, got ${f.price}`);
  if (!(f.multiplier > 0) || !Number.isFinite(f.multiplier)) fail(`multiplier must be positive, got ${f.multiplier}`);
  if (!Number.isFinite(f.commission)) fail(`commission must be a finite number, got ${f.commission}`);
  if (!Number.isFinite(f.time)) fail(`time must be epoch ms, got ${f.time}`);
}
