// The engine's order records and the read-only snapshots it hands out.
import type { OrderTicket, VenueOrder, VenueOrderStatus, VenueOrderType } from './types';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** An order as the engine tracks it: the public fields plus what matching needs. */
export interface OrderRecord extends Mutable<VenueOrder> {
  /** Time priority among equally priced orders; a modified order queues again (it gets a new one). */
  seq: number;
  /**
   * False until the order's first matching pass since it arrived (placed, modified, released from a hold,
   * or a stop limit triggered): fills in that pass remove liquidity, later ones on a resting limit add it.
   */
  arrived: boolean;
  /** When a DAY order expires (the end of the session it works in); undefined until known. */
  expiresAt: number | undefined;
  /** Sum of fill quantity × price, for the average fill price. */
  notional: number;
}

export function orderKey(clientId: number, orderId: number): string {
  return `${clientId}:${orderId}`;
}

export function isWorkingStatus(status: VenueOrderStatus): boolean {
  return status === 'PreSubmitted' || status === 'Submitted';
}

export function isStopType(type: VenueOrderType): boolean {
  return type === 'STP' || type === 'STP LMT';
}

/** Orders that trade only at their limit price or better (a triggered STP LMT is one). */
export function isLimitType(type: VenueOrderType): boolean {
  return type === 'LMT' || type === 'STP LMT';
}

/** A new record for a ticket; `status` is the caller's to set. */
export function newRecord(ticket: OrderTicket, accountId: string, permId: number, seq: number, now: number): OrderRecord {
  return {
    orderId: ticket.orderId,
    clientId: ticket.clientId,
    instrument: ticket.instrument,
    action: ticket.action,
    totalQuantity: ticket.totalQuantity,
    orderType: ticket.orderType,
    lmtPrice: ticket.lmtPrice,
    auxPrice: ticket.auxPrice,
    tif: ticket.tif,
    outsideRth: ticket.outsideRth,
    orderRef: ticket.orderRef,
    // '' means the venue's only account: the venue reports the account it booked the order to.
    account: accountId,
    permId,
    status: 'Submitted',
    filled: 0,
    remaining: ticket.totalQuantity,
    avgFillPrice: 0,
    lastFillPrice: 0,
    triggered: false,
    whyHeld: '',
    createdAt: now,
    seq,
    arrived: false,
    expiresAt: undefined,
    notional: 0,
  };
}

/** A copy of the public fields: listeners and callers never see (or mutate) the engine's record. */
export function snapshot(o: OrderRecord): VenueOrder {
  const order: Mutable<VenueOrder> = {
    orderId: o.orderId,
    clientId: o.clientId,
    instrument: o.instrument,
    action: o.action,
    totalQuantity: o.totalQuantity,
    orderType: o.orderType,
    tif: o.tif,
    outsideRth: o.outsideRth,
    orderRef: o.orderRef,
    account: o.account,
    permId: o.permId,
    status: o.status,
    filled: o.filled,
    remaining: o.remaining,
    avgFillPrice: o.avgFillPrice,
    lastFillPrice: o.lastFillPrice,
    triggered: o.triggered,
    whyHeld: o.whyHeld,
    createdAt: o.createdAt,
  };
  if (o.lmtPrice !== undefined) order.lmtPrice = o.lmtPrice;
  if (o.auxPrice !== undefined) order.auxPrice = o.auxPrice;
  if (o.completedAt !== undefined) order.completedAt = o.completedAt;
  if (o.completedStatus !== undefined) order.completedStatus = o.completedStatus;
  return order;
}
