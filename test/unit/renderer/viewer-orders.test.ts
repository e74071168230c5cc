// The viewer's orders over a long session: newer versions replace older ones, and past the cap the
// oldest finished orders go (working ones stay whatever their age).
import { describe, expect, it } from 'vitest';
import type { Order, OrderState } from '../../../src/shared';
import { keepOrder, MAX_ORDERS } from '../../../src/renderer/src/viewer/orders';
import { CON_ID } from '../../support/fixtures';

const order = (id: number, state: OrderState, updatedAt: number): Order => ({
  id: `o${id}`,
  conId: CON_ID.AAPL,
  symbol: 'AAPL',
  side: 'BUY',
  quantity: 1,
  type: 'MKT',
  tif: 'DAY',
  state,
  filledQuantity: state === 'filled' ? 1 : 0,
  avgFillPrice: 0,
  reduceOnly: false,
  origin: 'desk',
  createdAt: updatedAt,
  updatedAt,
});

describe('the viewer’s orders', () => {
  it('keeps the newest version of an order', () => {
    const orders = new Map<string, Order>();
    keepOrder(orders, order(1, 'submitted', 20));
    keepOrder(orders, order(1, 'new', 10));
    expect(orders.get('o1')?.state).toBe('submitted');
    keepOrder(orders, order(1, 'filled', 30));
    expect(orders.get('o1')?.state).toBe('filled');
  });

  it(`holds at most ${MAX_ORDERS} over a session, dropping the oldest finished ones and never a working one`, () => {
    const orders = new Map<string, Order>();
    keepOrder(orders, order(0, 'submitted', 0));
    for (let i = 1; i <= MAX_ORDERS * 4; i++) keepOrder(orders, order(i, i % 2 === 0 ? 'filled' : 'cancelled', i));
    expect(orders.size).toBe(MAX_ORDERS);
    expect(orders.get('o0')?.state).toBe('submitted');
    expect(orders.has(`o${MAX_ORDERS * 4}`)).toBe(true);
    expect(orders.has('o1')).toBe(false);
  });
});
