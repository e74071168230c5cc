// Average-cost accounting for one instrument, as pure arithmetic (the portfolio keeps the state).
//
// - A fill that opens or adds to a position moves the average price: the quantity-weighted mean of
//   the open quantity's fill prices. Commissions are NOT folded into it (they are tracked apart, per
//   position and in total), unlike IB's averageCost, which includes them.
// - A fill that reduces a position realizes (price − average) × closed quantity × multiplier, signed
//   by the position's side (a short gains when the price falls); the average of what stays open is
//   unchanged.
// - A fill that crosses through zero closes the old position (realizing as above) and opens the
//   remainder at the fill price.
// - Partial fills are just fills.

/** Quantities closer to zero than this are zero (fractional shares and FX amounts meet float noise). */
export const QUANTITY_EPSILON = 1e-9;

export interface Lot {
  /** Signed: negative is short. */
  readonly quantity: number;
  /** Average price of the open quantity; 0 when flat. */
  readonly avgPrice: number;
}

export interface LotChange {
  readonly lot: Lot;
  /** P&L realized by this fill (before commissions). */
  readonly realized: number;
  /** Quantity this fill closed (0 when it only opened or added). */
  readonly closed: number;
}

/** Applies a signed fill (`quantity` > 0 bought, < 0 sold) at `price` to `lot`. */
export function applyToLot(lot: Lot, quantity: number, price: number, multiplier: number): LotChange {
  const held = lot.quantity;
  if (quantity === 0) return { lot, realized: 0, closed: 0 };
  if (held === 0 || Math.sign(held) === Math.sign(quantity)) {
    const size = Math.abs(held) + Math.abs(quantity);
    const avgPrice = (Math.abs(held) * lot.avgPrice + Math.abs(quantity) * price) / size;
    return { lot: { quantity: held + quantity, avgPrice }, realized: 0, closed: 0 };
  }
  const closed = Math.min(Math.abs(quantity), Math.abs(held));
  const realized = (price - lot.avgPrice) * closed * multiplier * Math.sign(held);
  let remaining = held + quantity;
  if (Math.abs(remaining) < QUANTITY_EPSILON) remaining = 0;
  if (remaining === 0) return { lot: { quantity: 0, avgPrice: 0 }, realized, closed };
  // Still on the old side: the average stays. Crossed: the remainder opened at the fill price.
  const avgPrice = Math.sign(remaining) === Math.sign(held) ? lot.avgPrice : price;
  return { lot: { quantity: remaining, avgPrice }, realized, closed };
}

/** Unrealized P&L of a lot at `mark`. */
export function unrealizedOf(lot: Lot, mark: number, multiplier: number): number {
  return lot.quantity === 0 ? 0 : (mark - lot.avgPrice) * lot.quantity * multiplier;
}

/** The cash a fill moves (bought: paid out; sold: received), before its commission. */
export function cashFlowOf(quantity: number, price: number, multiplier: number): number {
  return -quantity * price * multiplier;
}
