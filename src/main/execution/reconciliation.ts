// Reconciliation: after every (re)connect the journal's working orders are matched with the venue's,
// and the venue's working orders DualDesk did not place are adopted. Trading halts until what did not
// match was seen.
import type { Instrument, Order, ReconciliationReport } from '../../shared';
import type { Logger } from '../ops';
import type { JournaledOrder, NewOrder } from '../store';
import type { VenueOrder, VenueSnapshot } from '../venue';
import { transition, WORKING_AT_VENUE } from './order-state';

/** The engine's steps reconciliation uses. */
export interface ReconcileSteps {
  /** The journal's orders not yet final. */
  working(): JournaledOrder[];
  /** Brings a journaled order up to date with what the venue says of it. */
  syncFromVenue(entry: JournaledOrder, venueOrder: VenueOrder, kind: string): void;
  /** An order as it stands now (working or final). */
  current(id: string): Order;
  /** The order as journaled, if it is. */
  journaled(id: string): Order | undefined;
  /** Journals an order's new state, then shows it. */
  save(order: Order, kind: string, detail: object): void;
  inOrderScope(entry: JournaledOrder, fn: () => void): void;
  /** Whether a venue order is one of DualDesk's (working, or final while the venue still lists it). */
  isOurs(venueOrder: VenueOrder): boolean;
  adopt(venueOrder: VenueOrder, why: string): Order;
}

/** Matches the journal with the venue's snapshot: each working order is brought up to date, given up, or found missing. */
export function reconcileOrders(steps: ReconcileSteps, snapshot: VenueSnapshot, now: number): ReconciliationReport {
  const venueOrders = [...snapshot.openOrders, ...snapshot.completedOrders];
  const byRef = new Map<string, VenueOrder>();
  for (const venueOrder of venueOrders) if (venueOrder.orderRef) byRef.set(venueOrder.orderRef, venueOrder);
  const byId = new Map<number, VenueOrder>();
  for (const venueOrder of snapshot.openOrders) byId.set(venueOrder.orderId, venueOrder);
  let matched = 0;
  const notSent: Order[] = [];
  const missing: Order[] = [];
  const fillMismatches: { order: Order; venueFilled: number }[] = [];
  for (const entry of steps.working()) {
    steps.inOrderScope(entry, () => {
      const order = entry.order;
      const venueOrder = byRef.get(order.id) ?? (order.venueOrderId === undefined ? undefined : byId.get(order.venueOrderId));
      if (venueOrder) {
        matched++;
        steps.syncFromVenue(entry, venueOrder, 'reconciled');
        const after = steps.current(order.id) ?? order;
        if (Math.abs(venueOrder.filled - after.filledQuantity) > 1e-9 && venueOrder.filled > 0) fillMismatches.push({ order: after, venueFilled: venueOrder.filled });
        return;
      }
      if (order.venueOrderId === undefined) {
        steps.save(transition(order, 'rejected', now, 'Not sent: DualDesk stopped before the venue received it'), 'reconciled', { found: false });
        notSent.push(steps.journaled(order.id) ?? order);
      } else {
        steps.save(transition(order, 'expired', now, 'No longer known to the venue'), 'reconciled', { found: false });
        missing.push(steps.journaled(order.id) ?? order);
      }
    });
  }
  const adopted: Order[] = [];
  for (const venueOrder of snapshot.openOrders) {
    // Ours (working, or final while the venue still lists it) is not adopted.
    if (!WORKING_AT_VENUE.has(venueOrder.status) || steps.isOurs(venueOrder)) continue;
    adopted.push(steps.adopt(venueOrder, 'found at the venue during reconciliation'));
  }
  return { at: now, matched, adopted, notSent, missing, fillMismatches, clean: adopted.length === 0 && missing.length === 0 && fillMismatches.length === 0 };
}

/** Logs a reconciliation, and halts trading when it was not clean. */
export function reportReconciliation(report: ReconciliationReport, logger: Logger, halt: (reason: string) => void): void {
  const { matched, adopted, notSent, missing, fillMismatches } = report;
  const summary = [
    adopted.length > 0 ? `${adopted.length} unknown venue order(s) adopted` : '',
    missing.length > 0 ? `${missing.length} order(s) no longer at the venue` : '',
    fillMismatches.length > 0 ? `${fillMismatches.length} order(s) with fills that do not match` : '',
    notSent.length > 0 ? `${notSent.length} order(s) never sent` : '',
  ].filter((s) => s !== '');
  logger.info({ matched, adopted: adopted.length, notSent: notSent.length, missing: missing.length, fillMismatches: fillMismatches.length }, 'orders reconciled with the venue');
  if (!report.clean) halt(`Reconciliation with the venue: ${summary.join('; ')}. Review, then re-arm.`);
}

/** The journal record of a venue order DualDesk adopts (placed elsewhere: TWS, another client). */
export function adoptedOrder(venueOrder: VenueOrder, why: string, now: number): NewOrder {
  return {
    conId: venueOrder.conId,
    symbol: venueOrder.symbol,
    side: venueOrder.side,
    quantity: venueOrder.quantity,
    type: (['MKT', 'LMT', 'STP', 'STP LMT'].includes(venueOrder.type) ? venueOrder.type : 'LMT') as Order['type'],
    ...(venueOrder.limitPrice === undefined ? {} : { limitPrice: venueOrder.limitPrice }),
    ...(venueOrder.stopPrice === undefined ? {} : { stopPrice: venueOrder.stopPrice }),
    tif: (['DAY', 'GTC', 'IOC'].includes(venueOrder.tif) ? venueOrder.tif : 'DAY') as Order['tif'],
    state: venueOrder.filled > 0 ? 'partially-filled' : 'submitted',
    filledQuantity: venueOrder.filled,
    avgFillPrice: venueOrder.avgFillPrice,
    venueOrderId: venueOrder.orderId,
    reason: `Adopted: ${why}${venueOrder.orderRef ? ` (orderRef ${venueOrder.orderRef})` : ''}, client ${venueOrder.clientId}`,
    reduceOnly: false,
    origin: 'adopted',
    createdAt: now,
    updatedAt: now,
  };
}

/** Enough of an instrument to show, cancel and flatten an adopted order (the venue's order carries no contract details). */
export function minimalInstrument(venueOrder: VenueOrder): Instrument {
  return {
    conId: venueOrder.conId,
    symbol: venueOrder.symbol,
    secType: 'STK',
    exchange: 'SMART',
    primaryExchange: '',
    currency: 'USD',
    localSymbol: venueOrder.symbol,
    tradingClass: '',
    multiplier: 1,
    minTick: 0.01,
    longName: '',
    lastTradeDateOrContractMonth: '',
    timeZoneId: '',
    tradingHours: '',
    liquidHours: '',
  };
}
