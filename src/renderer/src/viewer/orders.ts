// The viewer's orders over a session: bounded like its fills and alerts, never losing a working order.
import type { Order } from '../../../shared';

/** Orders kept: every working one, and the most recent finished ones up to this many in all. */
export const MAX_ORDERS = 500;
const WORKING: ReadonlySet<Order['state']> = new Set(['new', 'submitted', 'partially-filled']);

/** Puts an order in (unless an older version of it), then drops the oldest finished ones past MAX_ORDERS: a session's orders do not pile up. */
export function keepOrder(orders: Map<string, Order>, o: Order, max = MAX_ORDERS): void {
  const known = orders.get(o.id);
  if (known && known.updatedAt > o.updatedAt) return;
  orders.set(o.id, o);
  if (orders.size <= max) return;
  const finished = [...orders.values()].filter((x) => !WORKING.has(x.state)).sort((a, b) => a.updatedAt - b.updatedAt);
  for (const x of finished.slice(0, orders.size - max)) orders.delete(x.id);
}
