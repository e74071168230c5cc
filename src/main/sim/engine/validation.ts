// Checks of a ticket on its own (no market, no account): account, order type, quantity, prices, tick grid.
import { venueErrors } from './errors';
import { onTickGrid } from './numbers';
import { isLimitType, isStopType } from './orders';
import type { OrderTicket, VenueError } from './types';

/** IB's "unset" double is Number.MAX_VALUE; anything that large is treated as not given. */
const UNSET_THRESHOLD = Number.MAX_VALUE / 2;

function isGiven(price: number | undefined): price is number {
  return price !== undefined && Number.isFinite(price) && price < UNSET_THRESHOLD;
}

export function validateTicket(ticket: OrderTicket, accountIds: readonly string[]): VenueError | undefined {
  if (ticket.account !== '' && !accountIds.includes(ticket.account)) {
    return venueErrors.validation(`The account code '${ticket.account}' is not valid: this venue carries only ${accountIds.map((a) => `'${a}'`).join(', ')}.`);
  }
  const allowed = ticket.instrument.orderTypes.split(',').map((t) => t.trim());
  if (ticket.instrument.orderTypes !== '' && !allowed.includes(ticket.orderType)) return venueErrors.unsupportedOrderType();

  // Whole units for every security type: shares, contracts, and FX base-currency units (any multiple of 1).
  const quantity = ticket.totalQuantity;
  if (!Number.isFinite(quantity) || quantity <= 0 || !Number.isInteger(quantity)) return venueErrors.invalidQuantity();

  const prices: number[] = [];
  if (isLimitType(ticket.orderType)) {
    if (!isGiven(ticket.lmtPrice) || ticket.lmtPrice <= 0) {
      return venueErrors.validation(`The limit price (lmtPrice) must be given and greater than zero for ${ticket.orderType} orders.`);
    }
    prices.push(ticket.lmtPrice);
  }
  if (isStopType(ticket.orderType)) {
    if (!isGiven(ticket.auxPrice) || ticket.auxPrice <= 0) {
      return venueErrors.validation(`The stop price (auxPrice) must be given and greater than zero for ${ticket.orderType} orders.`);
    }
    prices.push(ticket.auxPrice);
  }
  if (prices.some((p) => !onTickGrid(p, ticket.instrument.minTick))) return venueErrors.tickSize();
  return undefined;
}
