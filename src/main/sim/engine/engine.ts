// The paper venue's matching engine: order lifecycle (validation, holds, modifications, cancels, expiry)
// and fills against the synthetic market's displayed quotes. Pure: time comes from options.now() or the
// tick, ids from counters and the run's prefix; every state change goes to the listener synchronously, in
// order; state() and options.restore carry the venue across restarts.
import type { InstrumentSpec, MarketTick } from '../market/types';
import { createPaperAccount } from './account';
import { buyingPowerError } from './buying-power';
import { COMMISSION_CURRENCY, commissionFor } from './commissions';
import { venueErrors } from './errors';
import { createIdSource, execIdPrefixOf } from './ids';
import { byPriority, freshQuote, matchable, take, triggeredByTick, triggeredOnArrival } from './matching';
import type { QuoteState } from './matching';
import { isLimitType, isStopType, isWorkingStatus, newRecord, orderKey, snapshot } from './orders';
import type { OrderRecord } from './orders';
import type {
  CancelResult,
  CommissionReport,
  EngineState,
  Execution,
  MatchingEngine,
  MatchingEngineOptions,
  OrderTicket,
  PlaceResult,
  VenueError,
  VenueOrder,
  VenueOrderStatus,
} from './types';
import { validateTicket } from './validation';

const DEFAULT_FIRST_PERM_ID = 1_000_000_000;
const CANCELLED_BY_TRADER = 'Cancelled by Trader';
const EXPIRED = 'Order expired';
/** IOC remainders and IOC orders that arrive while the market is closed. */
const CANCELLED_BY_SYSTEM = 'Cancelled by System';

/** Where executions say they traded: the listing venue for SMART stocks, in IB's names. */
function executionExchange(exchange: string, primaryExchange: string): string {
  if (exchange !== 'SMART') return exchange;
  return primaryExchange === 'NASDAQ' ? 'ISLAND' : primaryExchange;
}

export function createMatchingEngine(options: MatchingEngineOptions): MatchingEngine {
  const { market, listener } = options;
  const saved = options.restore;
  const savedInstruments = new Map((saved?.instruments ?? []).map((i) => [i.conId, i]));
  /** The current universe's spec; a saved one for an instrument it no longer lists (its orders wait, its position keeps its last fill's mark). */
  const instrumentOf = (conId: number): InstrumentSpec => {
    const spec = options.instruments(conId) ?? savedInstruments.get(conId);
    if (spec === undefined) throw new Error(`the saved venue state refers to instrument ${conId} but does not describe it`);
    return spec;
  };
  const account = createPaperAccount({
    accountId: options.accountId,
    startingCash: options.startingCash,
    market,
    ...(saved ? { restore: { state: saved.account, instrument: instrumentOf } } : {}),
  });
  if (saved?.executions.some((e) => execIdPrefixOf(e.execId) === options.execIdPrefix)) {
    throw new Error(`execution id prefix ${options.execIdPrefix} was used by an earlier run`);
  }
  const books = new Map([[options.accountId, account]]);
  for (const id of options.moreAccounts ?? []) books.set(id, createPaperAccount({ accountId: id, startingCash: options.startingCash, market }));
  /** The account an order is booked to: the one it names, '' being the first. */
  const accountFor = (ticket: OrderTicket): string => (ticket.account === '' ? options.accountId : ticket.account);
  const bookOf = (accountId: string) => books.get(accountId) ?? account;
  const ids = createIdSource(saved?.nextPermId ?? options.firstPermId ?? DEFAULT_FIRST_PERM_ID, options.execIdPrefix);
  /** Every order ever accepted or rejected, in creation order. */
  const orders = new Map<string, OrderRecord>();
  /** The working ones (PreSubmitted or Submitted), in creation order. */
  const working = new Set<OrderRecord>();
  const highestOrderId = new Map<number, number>(saved?.highestOrderIds.map(([clientId, orderId]) => [clientId, orderId]));
  const quotes = new Map<number, QuoteState>();
  const lastTrades = new Map<number, number>();
  const executions: Execution[] = [...(saved?.executions ?? [])];
  const reports = new Map<string, CommissionReport>(saved?.commissions.map((c) => [c.execId, c]));
  let pendingRejection: string | undefined;
  let seq = saved?.seq ?? 0;
  for (const { conId, ...o } of saved?.orders ?? []) {
    const record: OrderRecord = { ...o, instrument: instrumentOf(conId), expiresAt: o.expiresAt };
    orders.set(orderKey(record.clientId, record.orderId), record);
    if (isWorkingStatus(record.status)) working.add(record);
  }

  const emitOrder = (o: OrderRecord): void => listener({ kind: 'order', order: snapshot(o) });
  const fail = (error: VenueError): { ok: false; error: VenueError } => ({ ok: false, error });
  const isOpenFor = (o: OrderRecord, atMs: number): boolean => market.isOpen(o.instrument.conId, atMs, !o.outsideRth);

  /** The current quote: the engine's tick (with what was taken from it) unless the market has a newer one. */
  function quoteAt(conId: number, atMs: number): QuoteState | undefined {
    const current = quotes.get(conId);
    const tick = market.lastTick(conId, atMs);
    if (tick === undefined || (current !== undefined && current.tick.time >= tick.time)) return current;
    const fresh = freshQuote(tick);
    quotes.set(conId, fresh);
    if (tick.trade !== undefined) lastTrades.set(conId, tick.trade.price);
    return fresh;
  }

  function complete(o: OrderRecord, status: VenueOrderStatus, atMs: number, why: string): void {
    o.status = status;
    o.completedAt = atMs;
    o.completedStatus = why;
    working.delete(o);
    emitOrder(o);
  }

  /** One execution: book it, then tell the listener execution → order → account. */
  function execute(o: OrderRecord, price: number, quantity: number, atMs: number, liquidity: 1 | 2): void {
    o.filled += quantity;
    o.remaining -= quantity;
    o.notional += quantity * price;
    o.avgFillPrice = o.notional / o.filled;
    o.lastFillPrice = price;
    const commission = commissionFor(o.instrument, quantity, price);
    const realizedPnL = bookOf(o.account).applyFill({
      instrument: o.instrument,
      quantity: o.action === 'BUY' ? quantity : -quantity,
      price,
      commission,
      time: atMs,
    });
    const execution: Execution = {
      execId: ids.nextExecId(),
      orderId: o.orderId,
      clientId: o.clientId,
      permId: o.permId,
      conId: o.instrument.conId,
      account: o.account,
      side: o.action === 'BUY' ? 'BOT' : 'SLD',
      shares: quantity,
      price,
      time: atMs,
      cumQty: o.filled,
      avgPrice: o.avgFillPrice,
      orderRef: o.orderRef,
      exchange: executionExchange(o.instrument.exchange, o.instrument.primaryExchange),
      lastLiquidity: liquidity,
    };
    const report: CommissionReport = { execId: execution.execId, commission, currency: COMMISSION_CURRENCY, realizedPnL };
    executions.push(execution);
    reports.set(execution.execId, report);
    if (o.remaining <= 0) {
      o.remaining = 0;
      o.status = 'Filled';
      o.completedAt = atMs;
      o.completedStatus = `Filled Size: ${o.filled}`;
      working.delete(o);
    }
    listener({ kind: 'execution', execution, commission: report });
    emitOrder(o);
    listener({ kind: 'account' });
  }

  /** Takes what the quote offers the order; a limit that rested since it arrived adds liquidity. */
  function fillFrom(o: OrderRecord, quote: QuoteState, atMs: number): void {
    const match = matchable(o, quote);
    if (match === undefined) return;
    take(quote, o.action, match.quantity);
    execute(o, match.price, match.quantity, atMs, isLimitType(o.orderType) && o.arrived ? 1 : 2);
  }

  function trigger(o: OrderRecord): void {
    o.triggered = true;
    // A triggered stop limit arrives as a limit order: if it fills now it removes liquidity.
    if (o.orderType === 'STP LMT') o.arrived = false;
    emitOrder(o);
  }

  const canMatch = (o: OrderRecord): boolean => o.status === 'Submitted' && (!isStopType(o.orderType) || o.triggered);

  /** A working order meets the market as it stands: stops check the trigger, the rest fills what it can. */
  function arrive(o: OrderRecord, atMs: number): void {
    const conId = o.instrument.conId;
    const quote = quoteAt(conId, atMs);
    if (isStopType(o.orderType) && !o.triggered && o.auxPrice !== undefined) {
      if (triggeredOnArrival(o.instrument, o.action, o.auxPrice, lastTrades.get(conId), quote)) trigger(o);
    }
    if (quote !== undefined && canMatch(o)) fillFrom(o, quote, atMs);
    o.arrived = true;
    // IOC: whatever did not fill on arrival (including an untriggered stop) is cancelled at once.
    if (o.tif === 'IOC' && working.has(o)) complete(o, 'Cancelled', atMs, CANCELLED_BY_SYSTEM);
  }

  /**
   * Time-driven transitions: DAY orders expire at their session end (or when their hours end, for RTH-only
   * ones); held orders start working when their market opens; working GTC orders whose market closed are held
   * again (PreSubmitted, as TWS shows GTC orders outside their hours). Returns the orders released from a hold.
   */
  function housekeep(atMs: number, conId?: number): OrderRecord[] {
    const released: OrderRecord[] = [];
    for (const o of [...working]) {
      if (conId !== undefined && o.instrument.conId !== conId) continue;
      if (!working.has(o)) continue;
      if (o.tif === 'DAY' && o.expiresAt !== undefined && atMs >= o.expiresAt) {
        complete(o, 'Cancelled', atMs, EXPIRED);
        continue;
      }
      const open = isOpenFor(o, atMs);
      if (o.status === 'PreSubmitted' && open) {
        o.status = 'Submitted';
        o.arrived = false;
        // A DAY order placed while closed lives until the end of the session it starts working in.
        if (o.tif === 'DAY' && o.expiresAt === undefined) o.expiresAt = market.sessionEnd(o.instrument.conId, atMs);
        emitOrder(o);
        released.push(o);
      } else if (o.status === 'Submitted' && !open) {
        // A DAY order's day ends when its hours do: an RTH-only order expires at the regular close even
        // though the session (and sessionEnd) runs on into extended hours.
        if (o.tif === 'DAY') complete(o, 'Cancelled', atMs, EXPIRED);
        else {
          o.status = 'PreSubmitted';
          emitOrder(o);
        }
      }
    }
    return released;
  }

  function recordRejected(ticket: OrderTicket, now: number, error: VenueError): void {
    const o = newRecord(ticket, accountFor(ticket), ids.nextPermId(), ++seq, now);
    o.status = 'Inactive';
    o.completedAt = now;
    o.completedStatus = error.message;
    orders.set(orderKey(ticket.clientId, ticket.orderId), o);
    highestOrderId.set(ticket.clientId, Math.max(highestOrderId.get(ticket.clientId) ?? ticket.orderId, ticket.orderId));
  }

  /** Everything that can refuse a new order or a modification, in the order TWS checks it. */
  function admissionError(ticket: OrderTicket, existing: OrderRecord | undefined, now: number): VenueError | undefined {
    if (pendingRejection !== undefined) {
      const reason = pendingRejection;
      pendingRejection = undefined;
      return venueErrors.rejected(reason);
    }
    if (options.instruments(ticket.instrument.conId) === undefined) return venueErrors.noSecurityDefinition();
    const invalid = validateTicket(ticket, [...books.keys()]);
    if (invalid !== undefined) return invalid;
    if (existing !== undefined) {
      // Only quantity, prices, tif, outsideRth (and orderRef) change in a modification.
      if (existing.instrument.conId !== ticket.instrument.conId) {
        return venueErrors.validation('The contract of an existing order cannot be changed.');
      }
      if (existing.action !== ticket.action) return venueErrors.validation('The action of an existing order cannot be changed.');
      if (existing.orderType !== ticket.orderType) {
        return venueErrors.validation('The order type of an existing order cannot be changed.');
      }
      if (ticket.totalQuantity < existing.filled) {
        return venueErrors.validation(`The total quantity cannot be less than the filled quantity (${existing.filled}).`);
      }
    }
    const remaining = ticket.totalQuantity - (existing?.filled ?? 0);
    return buyingPowerError(bookOf(accountFor(ticket)), ticket, remaining, quoteAt(ticket.instrument.conId, now), now);
  }

  function accept(ticket: OrderTicket, now: number): PlaceResult {
    const o = newRecord(ticket, accountFor(ticket), ids.nextPermId(), ++seq, now);
    orders.set(orderKey(ticket.clientId, ticket.orderId), o);
    highestOrderId.set(ticket.clientId, Math.max(highestOrderId.get(ticket.clientId) ?? ticket.orderId, ticket.orderId));
    working.add(o);
    if (!isOpenFor(o, now)) {
      // IB holds orders outside their session; an IOC cannot wait, so it is cancelled.
      if (o.tif === 'IOC') complete(o, 'Cancelled', now, CANCELLED_BY_SYSTEM);
      else {
        o.status = 'PreSubmitted';
        emitOrder(o);
      }
      return { ok: true, order: snapshot(o) };
    }
    if (o.tif === 'DAY') o.expiresAt = market.sessionEnd(o.instrument.conId, now);
    emitOrder(o);
    arrive(o, now);
    return { ok: true, order: snapshot(o) };
  }

  function modify(o: OrderRecord, ticket: OrderTicket, now: number): PlaceResult {
    o.totalQuantity = ticket.totalQuantity;
    o.remaining = ticket.totalQuantity - o.filled;
    o.lmtPrice = ticket.lmtPrice;
    o.auxPrice = ticket.auxPrice;
    o.outsideRth = ticket.outsideRth;
    o.orderRef = ticket.orderRef;
    if (o.tif !== ticket.tif) {
      o.tif = ticket.tif;
      o.expiresAt = ticket.tif === 'DAY' && o.status === 'Submitted' ? market.sessionEnd(o.instrument.conId, now) : undefined;
    }
    // A modified order queues again and meets the market as a new arrival.
    o.seq = ++seq;
    o.arrived = false;
    if (o.remaining === 0) {
      complete(o, 'Filled', now, `Filled Size: ${o.filled}`);
      return { ok: true, order: snapshot(o) };
    }
    if (!isOpenFor(o, now)) {
      if (o.tif === 'IOC') complete(o, 'Cancelled', now, CANCELLED_BY_SYSTEM);
      else {
        o.status = 'PreSubmitted';
        emitOrder(o);
      }
      return { ok: true, order: snapshot(o) };
    }
    if (o.status === 'PreSubmitted') {
      o.status = 'Submitted';
      if (o.tif === 'DAY' && o.expiresAt === undefined) o.expiresAt = market.sessionEnd(o.instrument.conId, now);
    }
    emitOrder(o);
    arrive(o, now);
    return { ok: true, order: snapshot(o) };
  }

  function place(ticket: OrderTicket): PlaceResult {
    const now = options.now();
    const existing = orders.get(orderKey(ticket.clientId, ticket.orderId));
    if (existing !== undefined) {
      if (existing.status === 'Filled') return fail(venueErrors.modifyFilled());
      if (!isWorkingStatus(existing.status)) return fail(venueErrors.duplicateOrderId());
    } else if (ticket.orderId <= (highestOrderId.get(ticket.clientId) ?? -Infinity)) {
      return fail(venueErrors.duplicateOrderId());
    }
    const refused = admissionError(ticket, existing, now);
    if (refused !== undefined) {
      // A rejected new order exists as Inactive (its id is used up); a rejected modification leaves the order as it was.
      if (existing === undefined) recordRejected(ticket, now, refused);
      return fail(refused);
    }
    return existing === undefined ? accept(ticket, now) : modify(existing, ticket, now);
  }

  function cancel(orderId: number, clientId: number): CancelResult {
    const o = orders.get(orderKey(clientId, orderId));
    if (o === undefined) return fail(venueErrors.orderNotFound(orderId));
    if (!isWorkingStatus(o.status)) return fail(venueErrors.cannotCancel(orderId, o.status));
    complete(o, 'Cancelled', options.now(), CANCELLED_BY_TRADER);
    return { ok: true, order: snapshot(o) };
  }

  function onTick(conId: number, tick: MarketTick): void {
    const current = quotes.get(conId);
    if (current !== undefined && tick.time < current.tick.time) return;
    // The same tick may already have been read on place(): keep what was taken from it.
    const quote = current !== undefined && current.tick.time === tick.time ? current : freshQuote(tick);
    quotes.set(conId, quote);
    if (tick.trade !== undefined) lastTrades.set(conId, tick.trade.price);
    for (const book of books.values()) book.observe(tick.time);
    housekeep(tick.time, conId);

    const here = [...working].filter((o) => o.instrument.conId === conId && o.status === 'Submitted');
    for (const o of here) {
      if (!isStopType(o.orderType) || o.triggered || o.auxPrice === undefined) continue;
      const fired = o.arrived ? triggeredByTick(o.instrument, o.action, o.auxPrice, tick) : triggeredOnArrival(o.instrument, o.action, o.auxPrice, lastTrades.get(conId), quote);
      if (fired) trigger(o);
    }
    for (const o of here.filter(canMatch).sort(byPriority)) {
      // The listener may have cancelled or modified it meanwhile.
      if (working.has(o) && canMatch(o)) fillFrom(o, quote, tick.time);
    }
    for (const o of here) o.arrived = true;
  }

  function onTime(atMs: number): void {
    for (const book of books.values()) book.observe(atMs);
    for (const o of housekeep(atMs)) {
      if (working.has(o) && o.status === 'Submitted') arrive(o, atMs);
    }
  }

  const all = (): OrderRecord[] => [...orders.values()];

  return {
    account,
    accountIds: [...books.keys()],
    accountOf: (accountId: string) => books.get(accountId),
    place,
    cancel,
    cancelAll: (): void => {
      const now = options.now();
      for (const o of [...working]) complete(o, 'Cancelled', now, CANCELLED_BY_TRADER);
    },
    onTick,
    onTime,
    rejectNextOrder: (reason: string): void => {
      pendingRejection = reason;
    },
    order: (orderId: number, clientId: number): VenueOrder | undefined => {
      const o = orders.get(orderKey(clientId, orderId));
      return o === undefined ? undefined : snapshot(o);
    },
    openOrders: (): VenueOrder[] => [...working].map(snapshot),
    completedOrders: (): VenueOrder[] =>
      all()
        .filter((o) => !isWorkingStatus(o.status))
        .map(snapshot),
    executions: (): Execution[] => [...executions],
    commission: (execId: string): CommissionReport | undefined => reports.get(execId),
    workingConIds: (): number[] => [...new Set([...working].map((o) => o.instrument.conId))],
    forget: (beforeMs: number): void => {
      for (const [key, o] of orders) if (!isWorkingStatus(o.status) && (o.completedAt ?? o.createdAt) < beforeMs) orders.delete(key);
      // Executions are in time order: the stale ones lead.
      const stale = executions.findIndex((e) => e.time >= beforeMs);
      for (const e of executions.splice(0, stale === -1 ? executions.length : stale)) reports.delete(e.execId);
    },
    state: (): EngineState => {
      const accountState = account.state();
      const used = new Set([...all().map((o) => o.instrument.conId), ...accountState.holdings.map((h) => h.conId)]);
      return {
        instruments: [...used].map(instrumentOf),
        nextPermId: ids.permIdMark,
        seq,
        highestOrderIds: [...highestOrderId],
        orders: all().map(({ instrument, expiresAt, ...o }) => ({ ...o, conId: instrument.conId, ...(expiresAt === undefined ? {} : { expiresAt }) })),
        executions: [...executions],
        commissions: [...reports.values()],
        account: accountState,
      };
    },
  };
}
