// Execution: DualDesk's orders from the trader's command to the venue and back. Every intent is written
// to the order journal before anything is sent (write-ahead); if the journal cannot be written nothing
// is sent and trading halts. Venue events move orders through the state machine; executions become
// fills exactly once (by execution id); after every (re)connect the journal is reconciled with the venue.
import {
  DeskCommandError,
  TIMES_IN_FORCE,
  type Fill,
  type Instrument,
  type Order,
  type OrderTicket,
  type ReconciliationReport,
  type TradingState,
  type VenueStatus,
} from '../../shared';

export type { ReconciliationReport } from '../../shared';
import { topicWord } from '../../shared/stream';
import type { CoreTopics, MessageBus, Priority } from '../bus';
import type { Clock } from '../clock';
import { currentCorrelationId, failpoint, newCorrelationId, withCorrelation, type Logger } from '../ops';
import type { JournaledOrder, OrderJournalRepository } from '../store';
import {
  VenueError,
  type AccountPort,
  type ContractPort,
  type OrderPort,
  type VenueCommission,
  type VenueEventSource,
  type VenueExecution,
  type VenueOrder,
  type VenueOrderError,
  type VenueOrderRequest,
  type VenueSnapshot,
} from '../venue';
import { applyFill, canTransition, isFinal, stateFromVenue, transition, WORKING_AT_VENUE } from './order-state';
import { newOrderRecord, orderIntent, type OrderIntent } from './intent';
import { adoptedOrder, minimalInstrument, reconcileOrders, reportReconciliation } from './reconciliation';

export type { OrderIntent } from './intent';

export type GateVerdict = { readonly ok: true } | { readonly ok: false; readonly code: string; readonly reason: string };

/** The pre-trade checks (the risk module's gate). */
export interface PreTradeGate {
  check(intent: OrderIntent): GateVerdict;
}

/** What execution needs of the trading state: to halt it when the journal fails or reconciliation does not match. */
export interface TradingControl {
  state(): TradingState;
  halt(reason: string): void;
}

/** Where fills go once recorded (the portfolio). */
export interface FillSink {
  applyFill(fill: Fill): void;
  applyCommission(execId: string, commission: number): void;
}

export type ExecutionVenue = Omit<OrderPort, 'cancelAll'> & AccountPort & ContractPort & VenueEventSource<'order' | 'orderError' | 'execution' | 'commission' | 'status'>;

export interface ExecutionOptions {
  readonly journal: OrderJournalRepository;
  readonly venue: ExecutionVenue;
  readonly bus: MessageBus<CoreTopics>;
  readonly gate: PreTradeGate;
  readonly control: TradingControl;
  readonly fills: FillSink;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Instruments the desk has resolved, for fills of orders it did not place (their multiplier). */
  readonly instrumentOf?: (conId: number) => Instrument | undefined;
}

export interface PlaceOptions {
  /** Only reduces a position (kill switch, flatten). */
  readonly reduceOnly?: boolean;
  /** Skip the pre-trade gate: the kill switch's exits must go out in any trading state. */
  readonly bypassGate?: boolean;
}

type OrderChanges = Partial<Pick<Order, 'quantity' | 'limitPrice' | 'stopPrice' | 'tif'>>;

export class ExecutionEngine {
  /** Orders not yet final, by DualDesk id (the journal holds the rest). */
  private readonly working = new Map<string, JournaledOrder>();
  private readonly byVenueId = new Map<number, string>();
  /** Commissions that arrived before their execution was recorded. */
  private readonly earlyCommissions = new Map<string, number>();
  /** Orders and executions are only acted on once the journal was reconciled with the venue. */
  private reconciled = false;
  private lastReport: ReconciliationReport | undefined;
  private readonly detach: (() => void)[] = [];
  private readonly finalWaiters = new Set<() => void>();

  constructor(private readonly options: ExecutionOptions) {
    for (const entry of options.journal.open()) this.remember(entry);
  }

  start(): void {
    const { venue } = this.options;
    const on = <E extends 'order' | 'orderError' | 'execution' | 'commission' | 'status'>(event: E, fn: (...args: never[]) => void) => {
      venue.on(event, fn as never);
      this.detach.push(() => venue.off(event, fn as never));
    };
    on('order', (venueOrder: VenueOrder) => this.guard('order event', () => this.onVenueOrder(venueOrder)));
    on('orderError', (e: VenueOrderError) => this.guard('order error', () => this.onOrderError(e)));
    on('execution', (e: VenueExecution) => this.onExecution(e));
    on('commission', (c: VenueCommission) => this.guard('commission', () => this.onCommission(c)));
    on('status', (s: VenueStatus) => {
      // Until the next resync, the venue may have changed behind our back.
      if (!s.synced) this.reconciled = false;
    });
    // The venue's events of an order are handled (and logged) under the order's correlation id.
    venue.correlateOrders((orderRef, venueOrderId) => this.find(orderRef, venueOrderId)?.cid);
    this.detach.push(() => venue.correlateOrders(undefined));
  }

  stop(): void {
    for (const d of this.detach.splice(0)) d();
  }

  /** The latest fills, newest first (with their commissions). */
  fills(limit = 200): Fill[] {
    return this.options.journal.recentFills(limit);
  }

  /** Open orders first (oldest first), then the most recent final ones. */
  orders(limit = 200): Order[] {
    const open = [...this.working.values()].map((j) => j.order);
    const openIds = new Set(open.map((o) => o.id));
    const recent = this.options.journal
      .recent(limit)
      .filter((j) => !openIds.has(j.order.id))
      .map((j) => j.order);
    return [...open, ...recent].slice(0, Math.max(limit, open.length));
  }

  order(id: string): Order | undefined {
    return this.working.get(id)?.order ?? this.options.journal.get(id)?.order;
  }

  workingOrders(): Order[] {
    return [...this.working.values()].map((j) => j.order);
  }

  get lastReconciliation(): ReconciliationReport | undefined {
    return this.lastReport;
  }

  /** Places an order: checks, write-ahead journal, send. Resolves with the order once it is on its way to the venue. */
  async place(ticket: OrderTicket, options: PlaceOptions = {}): Promise<Order> {
    this.assertCanSend();
    const instrument = await this.resolve(ticket);
    return this.placeResolved(ticket, instrument, options);
  }

  /** As place(), for an instrument already resolved (the kill switch's exits). */
  async placeResolved(ticket: OrderTicket, instrument: Instrument, options: PlaceOptions = {}): Promise<Order> {
    this.assertCanSend();
    const reduceOnly = options.reduceOnly ?? false;
    const intent = orderIntent(ticket, instrument, { reduceOnly });
    if (!options.bypassGate) {
      const verdict = this.options.gate.check(intent);
      if (!verdict.ok) {
        this.options.logger.info({ symbol: instrument.symbol, side: ticket.side, quantity: ticket.quantity, check: verdict.code }, `order refused by risk: ${verdict.reason}`);
        throw new DeskCommandError(verdict.code, verdict.reason);
      }
    }
    const now = this.options.clock.now();
    // The order takes the placing command's correlation id (a new one when nothing called it in a request).
    const cid = currentCorrelationId() ?? newCorrelationId();
    let order: Order;
    try {
      order = this.options.journal.create(
        newOrderRecord(ticket, instrument, { reduceOnly, now }),
        instrument,
        ticket.outsideRth ?? false,
        { ticket: { ...ticket, instrument: { symbol: instrument.symbol, secType: instrument.secType, conId: instrument.conId } }, bypassGate: options.bypassGate ?? false },
        cid,
      );
    } catch (err) {
      this.journalFailed(err, 'the order was not sent');
    }
    withCorrelation(cid, () =>
      this.options.logger.info({ orderId: order.id, symbol: order.symbol, side: order.side, quantity: order.quantity, type: order.type }, 'order journaled'),
    );
    failpoint('execution.after-journal-write');
    const entry: JournaledOrder = { order, instrument, outsideRth: ticket.outsideRth ?? false, cid };
    this.remember(entry);
    this.publish(order);
    let venueOrderId: number;
    try {
      ({ orderId: venueOrderId } = await this.options.venue.placeOrder(venueRequest(order, instrument, entry.outsideRth)));
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.save(transition(this.current(order.id), 'rejected', this.options.clock.now(), `Not sent: ${reason}`), 'send-failed', { reason });
      throw new DeskCommandError(err instanceof VenueError ? err.kind : 'venue', reason);
    }
    failpoint('execution.after-send');
    const sent = { ...this.current(order.id), venueOrderId, updatedAt: this.options.clock.now() };
    this.byVenueId.set(venueOrderId, order.id);
    this.save(sent, 'sent', { venueOrderId });
    return sent;
  }

  async modify(id: string, changes: OrderChanges): Promise<Order> {
    this.assertCanSend();
    const entry = this.workingOrder(id);
    const order = entry.order;
    if (order.venueOrderId === undefined) throw new DeskCommandError('not-yet-sent', `Order ${id} is still being sent; modify it in a moment.`);
    if (changes.quantity !== undefined && changes.quantity < order.filledQuantity) {
      throw new DeskCommandError('invalid-quantity', `Order ${id} has ${order.filledQuantity} filled already; the quantity cannot go below that.`);
    }
    const next = { ...order, ...changes };
    const verdict = this.options.gate.check({
      instrument: entry.instrument,
      side: next.side,
      quantity: next.quantity - next.filledQuantity,
      type: next.type,
      ...(next.limitPrice === undefined ? {} : { limitPrice: next.limitPrice }),
      ...(next.stopPrice === undefined ? {} : { stopPrice: next.stopPrice }),
      reduceOnly: order.reduceOnly,
      replacesQuantity: order.quantity - order.filledQuantity,
    });
    if (!verdict.ok) throw new DeskCommandError(verdict.code, verdict.reason);
    this.saveEvent(order, 'intent-modify', changes);
    this.options.logger.info({ orderId: id, orderCid: entry.cid, changes }, 'order modify requested');
    try {
      await this.options.venue.modifyOrder(order.venueOrderId, changes, venueRequest(order, entry.instrument, entry.outsideRth));
    } catch (err) {
      throw new DeskCommandError(err instanceof VenueError ? err.kind : 'venue', err instanceof Error ? err.message : String(err));
    }
    // The order shows the change once the venue confirms it (the venue's order is the truth).
    this.saveEvent(this.current(id), 'modify-sent', changes);
    return this.current(id);
  }

  /** Asks the venue to cancel; the order is cancelled when the venue confirms. Cancels are allowed in every trading state. */
  async cancel(id: string): Promise<Order> {
    const entry = this.workingOrder(id);
    const order = entry.order;
    if (order.venueOrderId === undefined) throw new DeskCommandError('not-yet-sent', `Order ${id} is still being sent; cancel it in a moment.`);
    this.saveEvent(order, 'intent-cancel', {});
    // Under the cancelling command's cid; the order's own cid beside it, so a search for either finds the cancel.
    this.options.logger.info({ orderId: id, orderCid: entry.cid }, 'order cancel requested');
    try {
      await this.options.venue.cancelOrder(order.venueOrderId);
    } catch (err) {
      throw new DeskCommandError(err instanceof VenueError ? err.kind : 'venue', err instanceof Error ? err.message : String(err));
    }
    return this.current(id);
  }

  /** Cancels every working order DualDesk knows (its own and adopted ones); returns how many cancels were sent. */
  async cancelAll(): Promise<number> {
    const ids = [...this.working.values()].filter((j) => j.order.venueOrderId !== undefined).map((j) => j.order.id);
    const results = await Promise.allSettled(ids.map((id) => this.cancel(id)));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 0) this.options.logger.warn({ failed: failed.map((f) => (f.reason as Error).message) }, 'some cancels could not be sent');
    return results.length - failed.length;
  }

  /** Resolves when no order is working any more, or rejects after `timeoutMs` naming those still working. */
  whenNoneWorking(timeoutMs: number, filter: (o: Order) => boolean = () => true): Promise<void> {
    const working = () => [...this.working.values()].map((j) => j.order).filter(filter);
    if (working().length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (working().length > 0) return;
        this.finalWaiters.delete(check);
        this.options.clock.clearTimer(timer);
        resolve();
      };
      const timer = this.options.clock.setTimeout(() => {
        this.finalWaiters.delete(check);
        reject(
          new DeskCommandError(
            'timeout',
            `still working after ${timeoutMs} ms: ${working()
              .map((o) => `${o.id} ${o.symbol} (${o.state})`)
              .join(', ')}`,
          ),
        );
      }, timeoutMs);
      this.finalWaiters.add(check);
    });
  }

  // --- venue events ------------------------------------------------------------------------------

  private onVenueOrder(venueOrder: VenueOrder): void {
    const entry = this.find(venueOrder.orderRef, venueOrder.orderId);
    if (!entry) {
      // Before reconciliation the resync's snapshot decides; after it, a working order placed elsewhere (TWS) is adopted.
      if (this.reconciled && WORKING_AT_VENUE.has(venueOrder.status)) this.adopt(venueOrder, 'placed outside DualDesk while it was running');
      return;
    }
    this.syncFromVenue(entry, venueOrder, 'venue-status');
  }

  /** Brings a journaled order up to date with what the venue says of it. */
  private syncFromVenue(entry: JournaledOrder, venueOrder: VenueOrder, kind: string): void {
    let order = entry.order;
    const now = this.options.clock.now();
    if (order.venueOrderId === undefined && venueOrder.orderId > 0) {
      order = { ...order, venueOrderId: venueOrder.orderId, updatedAt: now };
      this.byVenueId.set(venueOrder.orderId, order.id);
    }
    // A confirmed modify: the venue's quantity and prices are the truth for a working order.
    if (!isFinal(order.state) && venueOrder.quantity > 0 && venueOrder.quantity !== order.quantity) order = { ...order, quantity: venueOrder.quantity, updatedAt: now };
    if (!isFinal(order.state) && venueOrder.limitPrice !== undefined && order.limitPrice !== undefined && venueOrder.limitPrice !== order.limitPrice)
      order = { ...order, limitPrice: venueOrder.limitPrice, updatedAt: now };
    if (!isFinal(order.state) && venueOrder.stopPrice !== undefined && order.stopPrice !== undefined && venueOrder.stopPrice !== order.stopPrice)
      order = { ...order, stopPrice: venueOrder.stopPrice, updatedAt: now };
    // A modified time in force too (a TIF the desk does not know is left as the desk has it).
    const tif = TIMES_IN_FORCE.find((t) => t === venueOrder.tif);
    if (!isFinal(order.state) && tif !== undefined && tif !== order.tif) order = { ...order, tif, updatedAt: now };
    const to = stateFromVenue(venueOrder.status, venueOrder.filled);
    // Fills move the filled quantity; a status alone never marks an order filled while fills are still on their way,
    // except that the venue's word that the order is done is final.
    if (to !== undefined && to !== order.state) {
      const target = to === 'partially-filled' && order.filledQuantity === 0 ? 'submitted' : to;
      if (canTransition(order.state, target)) {
        order = transition(order, target, now, target === 'rejected' ? (order.reason ?? (venueOrder.whyHeld || 'Rejected by the venue')) : undefined);
      } else if (target !== order.state) {
        this.options.logger.warn({ orderId: order.id, from: order.state, to: target, status: venueOrder.status }, 'venue status ignored: not a valid transition');
      }
    }
    if (order !== entry.order) {
      this.save(order, kind, { status: venueOrder.status, filled: venueOrder.filled, remaining: venueOrder.remaining });
      this.options.logger.info(
        { orderId: order.id, venueOrderId: order.venueOrderId, status: venueOrder.status, state: order.state, filled: venueOrder.filled, remaining: venueOrder.remaining },
        'order updated by the venue',
      );
    }
  }

  private onOrderError(e: VenueOrderError): void {
    const entry = this.find(e.orderRef, e.orderId);
    if (!entry) return;
    const rejecting = ['order-rejected', 'price-increment', 'order-id', 'bad-request'].includes(e.error.kind);
    const order = entry.order;
    if (rejecting && (order.state === 'new' || order.state === 'submitted') && order.filledQuantity === 0) {
      this.save(transition(order, 'rejected', this.options.clock.now(), e.error.message), 'venue-error', { kind: e.error.kind, code: e.error.ibCode });
      return;
    }
    // Otherwise (a cancel refused, a modify refused) the order itself goes on: record why, keep its state.
    this.saveEvent(order, 'venue-error', { kind: e.error.kind, code: e.error.ibCode, message: e.error.message });
    this.options.bus.publish(`order.${order.id}`, { ...order, reason: e.error.message }, 'HIGH');
  }

  /** Records an execution exactly once, then applies it. A fill that cannot be recorded halts trading. */
  private onExecution(e: VenueExecution): void {
    const entry = this.find(e.orderRef, e.orderId);
    const fill: Fill = {
      execId: e.execId,
      orderId: entry?.order.id ?? '',
      conId: e.conId,
      symbol: e.symbol,
      side: e.side,
      quantity: e.shares,
      price: e.price,
      multiplier: (entry?.order.origin === 'desk' ? entry.instrument : this.options.instrumentOf?.(e.conId))?.multiplier ?? 1,
      commission: this.earlyCommissions.get(e.execId) ?? 0,
      time: e.time,
    };
    const updated = entry ? applyFill(entry.order, fill) : undefined;
    let recorded: boolean;
    try {
      recorded = this.options.journal.recordFill(fill, updated, currentCorrelationId());
    } catch (err) {
      this.options.logger.fatal({ err, execId: e.execId, symbol: e.symbol }, 'a fill could not be written to the order journal');
      this.options.control.halt(`A fill (${e.symbol} ${e.side} ${e.shares} @ ${e.price}) could not be recorded: ${(err as Error).message}. Reconcile before trading.`);
      return;
    }
    if (!recorded) return; // already applied: a replay after a reconnect or a restart
    this.earlyCommissions.delete(e.execId);
    this.options.logger.info(
      {
        orderId: fill.orderId,
        venueOrderId: e.orderId,
        execId: fill.execId,
        symbol: fill.symbol,
        side: fill.side,
        quantity: fill.quantity,
        price: fill.price,
        ...(updated ? { state: updated.state } : {}),
      },
      'fill recorded',
    );
    if (entry && updated) {
      this.replace(entry, updated);
      this.publish(updated);
    }
    this.options.fills.applyFill(fill);
    this.options.bus.publish('fill', fill, 'HIGH');
  }

  private onCommission(c: VenueCommission): void {
    if (this.options.journal.recordCommission(c.execId, c.commission)) {
      this.options.fills.applyCommission(c.execId, c.commission);
      const fill = this.options.journal.fill(c.execId);
      if (fill) this.options.bus.publish('fill', fill, 'HIGH');
    } else {
      this.earlyCommissions.set(c.execId, c.commission);
    }
  }

  // --- reconciliation ----------------------------------------------------------------------------

  /** A resync's step: the journal reconciled with the venue's orders (the composition root calls the steps in order). */
  resynced(snapshot: VenueSnapshot): void {
    this.guard('reconciliation', () => this.reconcile(snapshot));
  }

  /** Matches the journal with the venue after a (re)connect; trading halts until what did not match was seen. */
  reconcile(snapshot: VenueSnapshot): ReconciliationReport {
    const report = reconcileOrders(
      {
        working: () => [...this.working.values()],
        syncFromVenue: (entry, venueOrder, kind) => this.syncFromVenue(entry, venueOrder, kind),
        current: (id) => this.current(id),
        journaled: (id) => this.options.journal.get(id)?.order,
        save: (order, kind, detail) => this.save(order, kind, detail),
        inOrderScope: (entry, fn) => this.inOrderScope(entry, fn),
        isOurs: (venueOrder) => this.find(venueOrder.orderRef, venueOrder.orderId) !== undefined,
        adopt: (venueOrder, why) => this.adopt(venueOrder, why),
      },
      snapshot,
      this.options.clock.now(),
    );
    this.lastReport = report;
    this.reconciled = true;
    reportReconciliation(report, this.options.logger, (reason) => this.options.control.halt(reason));
    return report;
  }

  private adopt(venueOrder: VenueOrder, why: string): Order {
    // An adopted order gets a correlation id of its own: its later venue events are found by it.
    const cid = newCorrelationId();
    return withCorrelation(cid, () => this.adoptAs(cid, venueOrder, why));
  }

  private adoptAs(cid: string, venueOrder: VenueOrder, why: string): Order {
    const now = this.options.clock.now();
    const instrument = minimalInstrument(venueOrder);
    let order: Order;
    try {
      order = this.options.journal.create(
        adoptedOrder(venueOrder, why, now),
        instrument,
        false,
        { adopted: { orderId: venueOrder.orderId, clientId: venueOrder.clientId, permId: venueOrder.permId, orderRef: venueOrder.orderRef } },
        cid,
      );
    } catch (err) {
      this.journalFailed(err, 'a venue order could not be adopted');
    }
    this.options.logger.warn({ orderId: order.id, venueOrderId: venueOrder.orderId, clientId: venueOrder.clientId, symbol: venueOrder.symbol, why }, 'venue order adopted');
    const entry = { order, instrument, outsideRth: false, cid };
    this.remember(entry);
    this.publish(order);
    return order;
  }

  // --- internals ---------------------------------------------------------------------------------

  private assertCanSend(): void {
    const trading = this.options.venue.status().trading;
    if (!trading.allowed) throw new DeskCommandError('venue-unavailable', trading.reason ?? 'Venue disconnected.');
    if (!this.reconciled) throw new DeskCommandError('reconciling', 'DualDesk is reconciling its orders with the venue; try again in a moment.');
  }

  private async resolve(ticket: OrderTicket): Promise<Instrument> {
    try {
      return await this.options.venue.resolve(ticket.instrument);
    } catch (err) {
      throw new DeskCommandError(err instanceof VenueError ? err.kind : 'unknown-instrument', err instanceof Error ? err.message : String(err));
    }
  }

  private workingOrder(id: string): JournaledOrder {
    const entry = this.working.get(id);
    if (entry) return entry;
    const final = this.options.journal.get(id);
    if (final) throw new DeskCommandError('order-final', `Order ${id} is ${final.order.state}; it can no longer be changed.`);
    throw new DeskCommandError('order-not-found', `There is no order ${id}.`);
  }

  /** A working order first; else one of ours already final (a late fill or a repeated status still belongs to it). */
  private find(orderRef: string, venueOrderId: number): JournaledOrder | undefined {
    if (orderRef) {
      const entry = this.working.get(orderRef) ?? this.options.journal.get(orderRef);
      if (entry) return entry;
    }
    const id = this.byVenueId.get(venueOrderId);
    return id === undefined ? undefined : this.working.get(id);
  }

  private current(id: string): Order {
    const entry = this.working.get(id) ?? this.options.journal.get(id);
    if (!entry) throw new Error(`order ${id} vanished from the journal`);
    return entry.order;
  }

  private remember(entry: JournaledOrder): void {
    this.working.set(entry.order.id, entry);
    if (entry.order.venueOrderId !== undefined) this.byVenueId.set(entry.order.venueOrderId, entry.order.id);
  }

  private replace(entry: JournaledOrder, order: Order): void {
    if (isFinal(order.state)) {
      this.working.delete(order.id);
      if (order.venueOrderId !== undefined) this.byVenueId.delete(order.venueOrderId);
      for (const check of [...this.finalWaiters]) check();
    } else {
      this.working.set(order.id, { ...entry, order });
    }
  }

  /** Runs `fn` under the order's correlation id (when it has one), as the venue's events of it are. */
  private inOrderScope(entry: JournaledOrder, fn: () => void): void {
    if (entry.cid === undefined) fn();
    else withCorrelation(entry.cid, fn);
  }

  /** Journals an order's new state with what happened, then shows it. */
  private save(order: Order, kind: string, detail: object): void {
    try {
      this.options.journal.update(order, kind, detail, currentCorrelationId());
    } catch (err) {
      this.journalFailed(err, `order ${order.id} changed at the venue (${order.state})`);
    }
    const entry = this.working.get(order.id) ?? this.options.journal.get(order.id);
    if (entry) this.replace(entry, order);
    this.publish(order);
  }

  private saveEvent(order: Order, kind: string, detail: object): void {
    try {
      this.options.journal.update(order, kind, detail, currentCorrelationId());
    } catch (err) {
      this.journalFailed(err, 'the command was not sent');
    }
  }

  private journalFailed(err: unknown, consequence: string): never {
    const message = err instanceof Error ? err.message : String(err);
    this.options.logger.fatal({ err }, 'the order journal cannot be written');
    this.options.control.halt(`The order journal cannot be written (${message}): trading halted.`);
    throw new DeskCommandError('journal-failed', `The order journal cannot be written (${message}); ${consequence}. Trading is halted.`);
  }

  private publish(order: Order, priority: Priority = 'HIGH'): void {
    this.options.bus.publish(`order.${topicWord(order.id)}`, order, priority);
  }

  /** Venue events arrive on the adapter's socket: a failure handling one is logged, never thrown into it. */
  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.options.logger.error({ err }, `execution: handling the venue's ${what} failed`);
    }
  }
}

/** An order as the venue is asked to place (or replace) it. */
function venueRequest(order: Order, instrument: Instrument, outsideRth: boolean): VenueOrderRequest {
  return {
    orderRef: order.id,
    instrument,
    side: order.side,
    quantity: order.quantity,
    type: order.type,
    ...(order.limitPrice === undefined ? {} : { limitPrice: order.limitPrice }),
    ...(order.stopPrice === undefined ? {} : { stopPrice: order.stopPrice }),
    tif: order.tif,
    outsideRth,
  };
}
