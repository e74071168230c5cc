// An instrument's price grid: prices travel as integer tick counts internally (exact sums, no drift)
// and become numbers only at the edge, converted the same way everywhere so equal ticks give equal prices.

export class PriceGrid {
  /** Ticks per unit of price (100 for 0.01) when 1/minTick is an integer, else 0. */
  private readonly perUnit: number;

  constructor(readonly minTick: number) {
    const inverse = 1 / minTick;
    const rounded = Math.round(inverse);
    this.perUnit = Math.abs(inverse - rounded) < 1e-9 * inverse ? rounded : 0;
  }

  /** Continuous tick count of a price (before rounding). */
  ticksOf(price: number): number {
    return this.perUnit > 0 ? price * this.perUnit : price / this.minTick;
  }

  /** The price of an integer tick count. Dividing by an exact integer gives the closest double to the decimal. */
  price(ticks: number): number {
    return this.perUnit > 0 ? ticks / this.perUnit : ticks * this.minTick;
  }

  /** The price of a count of half ticks (midpoints). */
  halfPrice(halfTicks: number): number {
    return this.price(halfTicks / 2);
  }
}
