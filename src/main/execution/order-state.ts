// The order state machine: new → submitted → partially-filled → filled / cancelled / rejected /
// expired. Impossible transitions are refused (a venue message that would move an order backwards is
// logged and ignored, never applied).
import type { Fill, Order, OrderState } from '../../shared';

const NEXT: Readonly<Record<OrderState, readonly OrderState[]>> = {
  new: ['submitted', 'partially-filled', 'filled', 'cancelled', 'rejected', 'expired'],
  submitted: ['partially-filled', 'filled', 'cancelled', 'rejected', 'expired'],
  'partially-filled': ['filled', 'cancelled', 'expired'],
  filled: [],
  cancelled: [],
  rejected: [],
  expired: [],
};

/** IB statuses of an order still working at the venue. */
export const WORKING_AT_VENUE: ReadonlySet<string> = new Set(['ApiPending', 'PendingSubmit', 'PreSubmitted', 'Submitted', 'PendingCancel']);

export const FINAL_STATES: ReadonlySet<OrderState> = new Set(['filled', 'cancelled', 'rejected', 'expired']);

export function isFinal(state: OrderState): boolean {
  return FINAL_STATES.has(state);
}

export function canTransition(from: OrderState, to: OrderState): boolean {
  return from === to || NEXT[from].includes(to);
}

export class OrderTransitionError extends Error {
  override readonly name = 'OrderTransitionError';
}

/** The order in state `to`; throws OrderTransitionError when the state machine forbids it. */
export function transition(order: Order, to: OrderState, at: number, reason?: string): Order {
  if (!canTransition(order.state, to)) throw new OrderTransitionError(`order ${order.id}: ${order.state} → ${to} is not a valid transition`);
  if (order.state === to && reason === undefined) return order;
  return { ...order, state: to, updatedAt: at, ...(reason === undefined ? {} : { reason }) };
}

/**
 * IB's status (with its filled/remaining) as an order state; undefined for statuses that change
 * nothing (PendingCancel keeps the order working until the venue confirms).
 */
export function stateFromVenue(status: string, filled: number): OrderState | undefined {
  switch (status) {
    case 'ApiPending':
    case 'PendingSubmit':
    case 'PreSubmitted':
    case 'Submitted':
      return filled > 0 ? 'partially-filled' : 'submitted';
    case 'Filled':
      // IB's Filled is the whole order (an openOrder can carry it before the remaining count catches up).
      return 'filled';
    case 'Cancelled':
    case 'ApiCancelled':
      return 'cancelled';
    case 'Inactive':
      return 'rejected';
    default:
      return undefined;
  }
}

/**
 * The order after a fill: quantity and volume-weighted price move; the state follows unless the order
 * is already final (a fill that races a cancel is real: its quantity counts, the order stays cancelled).
 */
export function applyFill(order: Order, fill: Fill): Order {
  const filledQuantity = order.filledQuantity + fill.quantity;
  const avgFillPrice = (order.avgFillPrice * order.filledQuantity + fill.price * fill.quantity) / filledQuantity;
  let state = order.state;
  if (!isFinal(state)) state = filledQuantity >= order.quantity ? 'filled' : 'partially-filled';
  return { ...order, filledQuantity, avgFillPrice, state, updatedAt: Math.max(order.updatedAt, fill.time) };
}
