// The books: one per instrument (quantity, average price, the day's realized P&L and commissions),
// cash, marks, and each execution applied once. Values and P&L are computed here; see docs/ACCOUNTING.md.
import type { Fill, Position, Quote } from '../../shared';
import type { Logger } from '../ops';
import type { VenuePosition } from '../venue';
import { applyToLot, cashFlowOf, QUANTITY_EPSILON, unrealizedOf, type LotChange } from './accounting';
import { PortfolioInputError, type InstrumentInfo } from './types';

export interface Book {
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

export interface ExecRecord {
  readonly conId: number;
  commission: number;
  readonly state: 'applied' | 'reflected';
}

const MAX_EXECS = 50_000;
const MAX_PENDING_COMMISSIONS = 10_000;
/** Securities whose multiplier is 1 by definition (IB reports none for them). */
export const UNIT_MULTIPLIER = new Set(['STK', 'CASH']);

const SIDES = new Set(['BUY', 'SELL']);

export class Books {
  readonly byConId = new Map<number, Book>();
  readonly instruments = new Map<number, InstrumentInfo>();
  readonly marks = new Map<number, { price: number; time: number }>();
  readonly execs = new Map<string, ExecRecord>();
  readonly pendingCommissions = new Map<string, number>();
  cash = 0;
  private positionsValue = 0;

  constructor(private readonly log: Logger) {}

  /** Registers an instrument; returns its book when one is open (its multiplier is known from now). */
  instrument(info: InstrumentInfo): Book | undefined {
    this.instruments.set(info.conId, info);
    const book = this.byConId.get(info.conId);
    if (!book) return undefined;
    this.describe(book, info);
    if (!book.multiplierKnown) {
      book.multiplier = info.multiplier;
      book.multiplierKnown = true;
      if (book.venueAverageCost !== undefined) book.avgPrice = book.venueAverageCost / info.multiplier;
      this.log.info({ conId: book.conId, symbol: book.symbol, multiplier: info.multiplier }, 'position multiplier known: marks apply from now');
    }
    return book;
  }

  /** A commission replacing what its execution carried; returns the change and the book, or undefined when nothing changes. */
  commission(execId: string, commission: number): { delta: number; book: Book | undefined } | undefined {
    const rec = this.execs.get(execId);
    if (!rec) {
      if (this.pendingCommissions.size >= MAX_PENDING_COMMISSIONS) this.pendingCommissions.delete(this.pendingCommissions.keys().next().value as string);
      this.pendingCommissions.set(execId, commission);
      return undefined;
    }
    if (rec.state === 'reflected') return undefined;
    const delta = commission - rec.commission;
    if (delta === 0) return undefined;
    rec.commission = commission;
    const book = this.byConId.get(rec.conId);
    if (book) book.commissions += delta;
    this.cash -= delta;
    return { delta, book };
  }

  /** Books one fill (already validated, not seen before): position, cash, first mark. */
  fill(fill: Fill): { book: Book; change: LotChange; commission: number } {
    // A registered instrument's multiplier wins over the fill's (a fill of an order the desk did not place may carry 1).
    const registered = this.instruments.get(fill.conId)?.multiplier;
    const multiplier = registered ?? fill.multiplier;
    if (multiplier !== fill.multiplier) {
      this.log.warn(
        { conId: fill.conId, symbol: fill.symbol, instrument: multiplier, fill: fill.multiplier, execId: fill.execId },
        'fill multiplier differs from the instrument’s: the instrument’s is used',
      );
    }
    const book = this.ensure(fill.conId, fill.symbol, multiplier);
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
    return { book, change, commission };
  }

  ensure(conId: number, symbol: string, multiplier?: number): Book {
    let book = this.byConId.get(conId);
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
      this.byConId.set(conId, book);
    }
    return book;
  }

  private describe(book: Book, info: InstrumentInfo): void {
    book.symbol = info.symbol || book.symbol;
    if (info.localSymbol) book.localSymbol = info.localSymbol;
    if (info.secType) book.secType = info.secType;
    if (info.currency) book.currency = info.currency;
  }

  remember(execId: string, rec: ExecRecord): void {
    if (this.execs.size >= MAX_EXECS) this.execs.delete(this.execs.keys().next().value as string);
    this.execs.set(execId, rec);
  }

  /** A venue position taken as DualDesk's: its quantity, and its basis from IB's averageCost. */
  adopt(book: Book, p: VenuePosition | undefined, quantity: number): void {
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

  /** The trading day rolled: flat books go, the open ones start the day with no realized P&L or commissions. */
  newDay(): void {
    for (const [conId, b] of this.byConId) {
      if (b.quantity === 0) this.byConId.delete(conId);
      b.realized = 0;
      b.commissions = 0;
    }
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

  unrealizedOf(book: Book): number {
    const mark = this.usableMark(book);
    if (mark !== undefined) return unrealizedOf(book, mark, book.multiplier);
    return book.quantity === 0 || book.provisional === undefined ? 0 : book.provisional - book.quantity * book.avgPrice * book.multiplier;
  }

  unrealized(): number {
    let unrealized = 0;
    for (const b of this.byConId.values()) unrealized += this.unrealizedOf(b);
    return unrealized;
  }

  revalue(book: Book): void {
    const value = this.valueOf(book);
    this.positionsValue += value - book.value;
    book.value = value;
  }

  revalueAll(): void {
    let total = 0;
    for (const b of this.byConId.values()) {
      b.value = this.valueOf(b);
      total += b.value;
    }
    this.positionsValue = total;
  }

  equity(): number {
    return this.cash + this.positionsValue;
  }

  grossValue(): number {
    let gross = 0;
    for (const b of this.byConId.values()) gross += Math.abs(b.value);
    return gross;
  }

  nameOf(b: Book): string {
    return b.localSymbol ?? b.symbol;
  }

  toPosition(b: Book): Position {
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
}

/** The mark of a quote: last trade, else mid of bid/ask; undefined when neither is there. */
export function markOfQuote(q: Quote): number | undefined {
  if (q.last !== undefined && Number.isFinite(q.last) && q.last > 0) return q.last;
  if (q.bid !== undefined && q.ask !== undefined && q.bid > 0 && q.ask > 0 && Number.isFinite(q.bid + q.ask)) return (q.bid + q.ask) / 2;
  return undefined;
}

export function validateFill(f: Fill): void {
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
