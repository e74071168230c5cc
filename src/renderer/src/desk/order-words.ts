// An order's progress and its notices in the trader's words, for the ticket's result line and the toasts.
import type { Order } from '../../../shared';
import { price, qty } from './format';

/** 'sent', 'filled 50 @ 187.23', 'partially filled 20 of 50 @ avg 187.23', 'cancelled', 'rejected: <reason>'. */
export function orderProgress(o: Order, decimals: number): string {
  switch (o.state) {
    case 'new':
      return 'sending';
    case 'submitted':
      return 'sent, working';
    case 'partially-filled':
      return `partially filled ${qty(o.filledQuantity)} of ${qty(o.quantity)} @ avg ${price(o.avgFillPrice, decimals)}`;
    case 'filled':
      return `filled ${qty(o.filledQuantity)} @ ${price(o.avgFillPrice, decimals)}`;
    case 'cancelled':
      return o.filledQuantity > 0 ? `cancelled after ${qty(o.filledQuantity)} filled @ avg ${price(o.avgFillPrice, decimals)}` : 'cancelled';
    case 'expired':
      return o.filledQuantity > 0 ? `expired after ${qty(o.filledQuantity)} filled` : 'expired';
    case 'rejected':
      return `rejected: ${o.reason ?? 'no reason given'}`;
  }
}

/** What the trader is told when an order changes: a fill, a partial fill or a reject (nothing else). */
export interface OrderNotice {
  readonly kind: 'filled' | 'partial' | 'rejected';
  readonly title: string;
  readonly message: string;
}

export function orderNotice(before: Order | undefined, o: Order, decimals: number): OrderNotice | undefined {
  const what = `${o.side} ${qty(o.quantity)} ${o.symbol}`;
  if (o.state === 'rejected' && before?.state !== 'rejected') return { kind: 'rejected', title: `Order rejected: ${what}`, message: o.reason ?? 'no reason given' };
  if (o.filledQuantity <= (before?.filledQuantity ?? 0)) return undefined;
  if (o.filledQuantity >= o.quantity) return { kind: 'filled', title: `Filled: ${what} @ ${price(o.avgFillPrice, decimals)}`, message: `Order ${o.id} is complete.` };
  return {
    kind: 'partial',
    title: `Partially filled: ${o.side} ${qty(o.filledQuantity)} of ${qty(o.quantity)} ${o.symbol} @ avg ${price(o.avgFillPrice, decimals)}`,
    message: `${qty(o.quantity - o.filledQuantity)} still working (order ${o.id}).`,
  };
}
