// Seeding the books from the venue's snapshot (the first sync) and comparing them with it at every
// resync: positions and cash that differ are held until the trader adopts the venue's figures.
import type { Clock } from '../clock';
import type { Logger } from '../ops';
import type { VenueExecution, VenuePosition } from '../venue';
import { cashFlowOf, QUANTITY_EPSILON } from './accounting';
import { UNIT_MULTIPLIER, type Book, type Books } from './books';
import type { CrossChecks } from './cross-checks';
import type { DayAnchors } from './day-anchors';
import type { Publisher } from './publishing';
import type { Discrepancy, SyncReport } from './types';
import type { VenueFigures } from './venue-figures';

/** The parts of the portfolio a sync works on, and its steps that span them. */
export interface SyncParts {
  readonly clock: Clock;
  readonly log: Logger;
  readonly books: Books;
  readonly anchors: DayAnchors;
  readonly publisher: Publisher;
  readonly checks: CrossChecks;
  /** Marks the books seeded (the point from which fills are applied and figures compared). */
  markSeeded(): void;
  /** Books the fills held before the first sync; returns how many were applied (the rest were in the snapshot). */
  applyHeld(): number;
  touchEquity(): void;
  checkDayRoll(): void;
  scheduleRoll(): void;
}

/** What a snapshot says, read for this account. */
export interface VenueView {
  readonly positions: Map<number, VenuePosition>;
  readonly figures: VenueFigures;
  /** Executions in the snapshot that have not reached the portfolio as fills. */
  readonly pending: readonly VenueExecution[];
  readonly commissionOf: Map<string, number>;
}

export function seed(s: SyncParts, v: VenueView): SyncReport {
  const { books, checks } = s;
  const now = s.clock.now();
  books.byConId.clear();
  for (const p of v.positions.values()) {
    if (p.quantity === 0) continue;
    const info = books.instruments.get(p.conId);
    const unit = UNIT_MULTIPLIER.has(p.secType);
    const book = books.ensure(p.conId, p.symbol, info?.multiplier ?? (unit ? 1 : undefined));
    if (!book.multiplierKnown) {
      s.log.warn({ conId: p.conId, symbol: p.symbol, secType: p.secType }, 'venue position of unknown multiplier: valued at the venue’s cost until its instrument is registered');
    }
    books.adopt(book, p, p.quantity);
    checks.checkCurrency(p.conId, p.symbol, book.currency);
  }
  // Everything the venue already executed is in its positions and cash: not applied again.
  for (const e of v.pending) {
    books.remember(e.execId, { conId: e.conId, commission: v.commissionOf.get(e.execId) ?? 0, state: 'reflected' });
    books.pendingCommissions.delete(e.execId);
  }
  books.cash = venueCash(s.log, v.positions, v.figures) ?? books.cash;
  provisionals(books, v.positions, v.figures);
  s.markSeeded();
  books.revalueAll();
  s.anchors.open(now, books.equity());
  const applied = s.applyHeld();
  s.log.info(
    {
      positions: [...books.byConId.values()].map((b) => ({ conId: b.conId, symbol: b.symbol, quantity: b.quantity, avgPrice: b.avgPrice })),
      cash: books.cash,
      equity: books.equity(),
      netLiquidation: v.figures.netLiquidation,
      reflected: v.pending.length,
      bufferedApplied: applied,
    },
    'portfolio seeded from the venue',
  );
  s.touchEquity();
  s.anchors.persistNow();
  s.publisher.all();
  s.publisher.now();
  s.scheduleRoll();
  return { seeded: true, discrepancies: [], pendingExecutions: v.pending.length };
}

export function resync(s: SyncParts, v: VenueView): SyncReport {
  const { books, checks } = s;
  s.checkDayRoll();
  const now = s.clock.now();
  const expectedDelta = new Map<number, number>();
  for (const e of v.pending) expectedDelta.set(e.conId, (expectedDelta.get(e.conId) ?? 0) + (e.side === 'BUY' ? e.shares : -e.shares));
  const found: Discrepancy[] = [];
  const conIds = new Set<number>([...v.positions.keys(), ...[...books.byConId.values()].filter((b) => b.quantity !== 0).map((b) => b.conId)]);
  for (const conId of conIds) {
    const p = v.positions.get(conId);
    const venueQty = p?.quantity ?? 0;
    const expected = venueQty - (expectedDelta.get(conId) ?? 0);
    const book = books.byConId.get(conId);
    const mine = book?.quantity ?? 0;
    if (Math.abs(mine - expected) < QUANTITY_EPSILON) {
      checks.resolve(`position:${conId}`);
      continue;
    }
    const b = book ?? books.ensure(conId, p?.symbol ?? String(conId), p && UNIT_MULTIPLIER.has(p.secType) ? 1 : undefined);
    const still = expected === venueQty ? '' : ` (${venueQty} at the venue, ${venueQty - expected} of it in executions not yet applied)`;
    // Held, not adopted: the trader decides (adoptVenue, or flatten); until then trading is held.
    found.push(
      checks.raise({
        kind: 'position',
        conId,
        symbol: books.nameOf(b),
        desk: mine,
        venue: expected,
        difference: expected - mine,
        action: 'held',
        source: 'resync',
        at: now,
        message: `${books.nameOf(b)}: DualDesk ${mine}, venue ${expected}${still}`,
      }),
    );
  }
  // Cash on both sides as of the snapshot: the venue's less the executions still on their way, DualDesk's
  // less the commissions reported for fills it applied (a commission arrives after its fill).
  let venue = venueCash(s.log, v.positions, v.figures);
  let desk = books.cash;
  if (venue !== undefined) {
    for (const e of v.pending) {
      const m = books.byConId.get(e.conId)?.multiplier ?? 1;
      const signed = e.side === 'BUY' ? e.shares : -e.shares;
      venue -= cashFlowOf(signed, e.price, m) - (v.commissionOf.get(e.execId) ?? 0);
    }
    for (const [execId, commission] of v.commissionOf) {
      const rec = books.execs.get(execId);
      if (rec?.state === 'applied') desk -= commission - rec.commission;
    }
  }
  // What cash moves by when the venue's figures are adopted (holdings changed without fills: cash follows the venue too).
  checks.heldCashShift = venue === undefined ? undefined : venue - desk;
  // Positions that differ explain a cash difference, and adopting them takes the venue's cash too.
  if (found.length === 0 && venue !== undefined && !checks.checkCash(desk, venue, v.figures, now)) checks.heldCashShift = undefined;
  provisionals(books, v.positions, v.figures, expectedDelta);
  books.revalueAll();
  s.touchEquity();
  if (found.length === 0 && v.pending.length === 0 && v.figures.netLiquidation !== undefined) {
    checks.venueNetLiq = { value: v.figures.netLiquidation, at: now };
    checks.checkEquity('resync');
  }
  s.anchors.persistNow();
  s.publisher.equity();
  s.publisher.now();
  return { seeded: false, discrepancies: found, pendingExecutions: v.pending.length };
}

/**
 * The venue's cash in DualDesk's terms: NetLiquidation minus the venue's market value of its positions
 * (Σ quantity × averageCost + its unrealized P&L). Futures thus count at notional on both sides, and
 * how the venue books cash (per-currency balances, futures variation) does not matter. Without those
 * figures: TotalCashValue, less the futures' notional at cost.
 */
function venueCash(log: Logger, venue: Map<number, VenuePosition>, f: VenueFigures): number | undefined {
  let cost = 0;
  let futuresCost = 0;
  for (const p of venue.values()) {
    cost += p.quantity * p.averageCost;
    if (!UNIT_MULTIPLIER.has(p.secType)) futuresCost += p.quantity * p.averageCost;
  }
  if (f.netLiquidation !== undefined && (f.unrealizedPnl !== undefined || cost === 0)) return f.netLiquidation - cost - (f.unrealizedPnl ?? 0);
  if (f.totalCashValue !== undefined) {
    log.warn('venue sent no NetLiquidation/UnrealizedPnL: cash taken from TotalCashValue');
    return f.totalCashValue - futuresCost;
  }
  log.error('venue sent no NetLiquidation and no TotalCashValue: cash is unknown and kept as it was; equity will be wrong');
  return undefined;
}

/**
 * Positions without a mark yet are worth the venue's cost (quantity × averageCost) plus their share
 * of the venue's unrealized P&L (what its total leaves after the marked positions, shared by cost),
 * so equity equals NetLiquidation at the sync instead of missing the unrealized until quotes arrive.
 * The position's first mark replaces the estimate.
 */
function provisionals(books: Books, venue: Map<number, VenuePosition>, f: VenueFigures, expectedDelta = new Map<number, number>()): void {
  if (f.unrealizedPnl === undefined) return;
  const unmarked: { book: Book; cost: number; weight: number }[] = [];
  let rest = f.unrealizedPnl;
  for (const p of venue.values()) {
    if (p.quantity === 0) continue;
    const book = books.byConId.get(p.conId);
    const mark = books.marks.get(p.conId);
    if (book && mark && book.multiplierKnown) {
      rest -= p.quantity * mark.price * book.multiplier - p.quantity * p.averageCost;
    } else if (book && (expectedDelta.get(p.conId) ?? 0) === 0 && book.quantity === p.quantity) {
      unmarked.push({ book, cost: p.quantity * p.averageCost, weight: Math.abs(p.quantity * p.averageCost) });
    }
  }
  const total = unmarked.reduce((sum, u) => sum + u.weight, 0);
  for (const u of unmarked) u.book.provisional = u.cost + (total > 0 ? (rest * u.weight) / total : rest / unmarked.length);
}
