// Number helpers for prices and money: the engine compares prices on a tick grid and books cash in cents.

/** Relative tolerance for comparing prices that went through floating arithmetic. */
const PRICE_EPSILON = 1e-9;

/** Rounds half away from zero to cents; the nudge keeps 1.505 (stored as 1.50499…) rounding up. */
export function roundCents(value: number): number {
  const cents = Math.round(Math.abs(value) * 100 + 1e-7) / 100;
  return value < 0 ? -cents : cents;
}

/** Whether `price` lies on the grid of `minTick`, tolerating floating error (0.3 / 0.1 is 2.9999…). */
export function onTickGrid(price: number, minTick: number): boolean {
  const steps = price / minTick;
  return Math.abs(steps - Math.round(steps)) < 1e-6;
}

/** a <= b for prices, tolerating floating error. */
export function priceAtMost(a: number, b: number): boolean {
  return a <= b + PRICE_EPSILON * Math.max(1, Math.abs(b));
}

/** a >= b for prices, tolerating floating error. */
export function priceAtLeast(a: number, b: number): boolean {
  return a >= b - PRICE_EPSILON * Math.max(1, Math.abs(b));
}

/** Money as IB's account values carry it: two decimals, never '-0.00'. */
export function formatMoney(value: number): string {
  const rounded = roundCents(value);
  return (rounded === 0 ? 0 : rounded).toFixed(2);
}
