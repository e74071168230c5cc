// The ticket's numbers as a trader types them, and an order's progress and notices in the trader's words.
import { describe, expect, it } from 'vitest';
import type { Order } from '../../src/shared';
import { parsePrice, parseQuantity } from '../../src/renderer/src/desk/format';
import { orderNotice, orderProgress } from '../../src/renderer/src/desk/order-words';

const order = (o: Partial<Order>): Order => ({
  id: 'O1',
  conId: 265598,
  symbol: 'AAPL',
  side: 'BUY',
  quantity: 50,
  type: 'MKT',
  tif: 'DAY',
  state: 'submitted',
  filledQuantity: 0,
  avgFillPrice: 0,
  reduceOnly: false,
  origin: 'desk',
  createdAt: 1,
  updatedAt: 1,
  ...o,
});

describe('numbers as a trader types them', () => {
  it('reads quantities with separators and k/m, and nothing else', () => {
    expect([parseQuantity('1,000'), parseQuantity('1000'), parseQuantity(' 1k '), parseQuantity('2.5m'), parseQuantity('1,234,567')]).toEqual([1_000, 1_000, 1_000, 2_500_000, 1_234_567]);
    for (const bad of ['', '1,00', '10,00,000', 'abc', '-5', '1e3', '1,000x']) expect(parseQuantity(bad), bad).toBeUndefined();
  });

  it('reads prices with decimals and separators', () => {
    expect([parsePrice('187.5'), parsePrice('1,234.50'), parsePrice('.5'), parsePrice('0')]).toEqual([187.5, 1234.5, 0.5, 0]);
    for (const bad of ['', '.', '1.2.3', '187,5', 'x']) expect(parsePrice(bad), bad).toBeUndefined();
  });
});

describe('an order in the trader’s words', () => {
  it('says how far it got', () => {
    expect(orderProgress(order({ state: 'filled', filledQuantity: 50, avgFillPrice: 187.23 }), 2)).toBe('filled 50 @ 187.23');
    expect(orderProgress(order({ state: 'partially-filled', quantity: 1_000, filledQuantity: 200, avgFillPrice: 187.2345 }), 2)).toBe('partially filled 200 of 1,000 @ avg 187.23');
    expect(orderProgress(order({ state: 'rejected', reason: 'no margin' }), 2)).toBe('rejected: no margin');
    expect(orderProgress(order({ state: 'cancelled' }), 2)).toBe('cancelled');
  });

  it('notices a fill, a partial fill and a reject once, and nothing else', () => {
    const sent = order({});
    const partial = order({ state: 'partially-filled', filledQuantity: 20, avgFillPrice: 187.2 });
    const filled = order({ state: 'filled', filledQuantity: 50, avgFillPrice: 187.23 });
    expect(orderNotice(sent, partial, 2)).toMatchObject({ kind: 'partial', title: 'Partially filled: BUY 20 of 50 AAPL @ avg 187.20' });
    expect(orderNotice(partial, filled, 2)).toMatchObject({ kind: 'filled', title: 'Filled: BUY 50 AAPL @ 187.23' });
    expect(orderNotice(filled, filled, 2)).toBeUndefined();
    expect(orderNotice(undefined, sent, 2)).toBeUndefined();
    expect(orderNotice(sent, order({ state: 'cancelled' }), 2)).toBeUndefined();
    const rejected = order({ state: 'rejected', reason: 'Insufficient margin' });
    expect(orderNotice(sent, rejected, 2)).toMatchObject({ kind: 'rejected', message: 'Insufficient margin' });
    expect(orderNotice(rejected, rejected, 2)).toBeUndefined();
  });
});
