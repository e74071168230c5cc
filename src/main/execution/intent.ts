// A trader's new order as the risk gate sees it and as the order journal records it: built here once, for
// placing an order and for previewing one (a change to a working order builds its own, from the order), so the preview's verdict is the one the order would get.
import type { Instrument, Order, OrderTicket } from '../../shared';

/** An order as the risk gate sees it. */
export interface OrderIntent {
  readonly instrument: Instrument;
  readonly side: Order['side'];
  readonly quantity: number;
  readonly type: Order['type'];
  readonly limitPrice?: number;
  readonly stopPrice?: number;
  readonly reduceOnly: boolean;
  /** A modify: the remaining quantity of the order it replaces (it no longer counts once replaced). */
  readonly replacesQuantity?: number;
}

/** The intent of a new order from its ticket (reduce-only for flatten and the kill switch's exits). */
export function orderIntent(ticket: OrderTicket, instrument: Instrument, options: { readonly reduceOnly: boolean }): OrderIntent {
  return {
    instrument,
    side: ticket.side,
    quantity: ticket.quantity,
    type: ticket.type,
    ...(ticket.limitPrice === undefined ? {} : { limitPrice: ticket.limitPrice }),
    ...(ticket.stopPrice === undefined ? {} : { stopPrice: ticket.stopPrice }),
    reduceOnly: options.reduceOnly,
  };
}

/** The order a new ticket is journaled as, before anything is sent (the journal gives it its id). */
export function newOrderRecord(ticket: OrderTicket, instrument: Instrument, options: { readonly reduceOnly: boolean; readonly now: number }): Omit<Order, 'id'> {
  return {
    conId: instrument.conId,
    symbol: instrument.symbol,
    side: ticket.side,
    quantity: ticket.quantity,
    type: ticket.type,
    ...(ticket.limitPrice === undefined ? {} : { limitPrice: ticket.limitPrice }),
    ...(ticket.stopPrice === undefined ? {} : { stopPrice: ticket.stopPrice }),
    tif: ticket.tif,
    state: 'new',
    filledQuantity: 0,
    avgFillPrice: 0,
    reduceOnly: options.reduceOnly,
    origin: 'desk',
    createdAt: options.now,
    updatedAt: options.now,
  };
}
