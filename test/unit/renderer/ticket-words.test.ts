// The ticket's numbers as a trader types them, and an order's progress and notices in the trader's words.
import { describe, expect, it } from 'vitest';
import type { EquitySnapshot, Order, Position } from '../../../src/shared';
import { parsePrice, parseQuantity, qty } from '../../../src/renderer/src/desk/format';
import { mutedBehind } from '../../../src/renderer/src/desk/hotkey-rules';
import { recheckContext } from '../../../src/renderer/src/desk/ticket-check';
import { orderNotice, orderProgress } from '../../../src/renderer/src/desk/order-words';
import { CON_ID } from '../../support/fixtures';

const order = (o: Partial<Order>): Order => ({
  id: 'O1',
  conId: CON_ID.AAPL,
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
    expect([parseQuantity('1,000'), parseQuantity('1000'), parseQuantity(' 1k '), parseQuantity('2.5m'), parseQuantity('1,234,567')]).toEqual([
      1_000, 1_000, 1_000, 2_500_000, 1_234_567,
    ]);
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

describe('quantities read back exactly', () => {
  it('keeps a quantity’s own decimals, thousands separated, never rounding', () => {
    expect([qty(1.5), qty(1_000), qty(1234.25), qty(0.00000001), qty(2_000_000)]).toEqual(['1.5', '1,000', '1,234.25', '0.00000001', '2,000,000']);
    for (const typed of ['1.5', '1,234.25', '2.5m', '0.125']) expect(parseQuantity(qty(parseQuantity(typed)))).toBe(parseQuantity(typed));
  });
});

describe('when the ticket is checked again', () => {
  const venue = {
    state: 'connected',
    since: 1,
    mode: 'paper',
    host: 'h',
    port: 1,
    clientId: 1,
    accounts: [],
    synced: true,
    armed: false,
    trading: { allowed: true },
    attempts: 0,
  } as const;
  const equity = (e: number) => ({ equity: e }) as EquitySnapshot;
  const base = { mode: 'paper', venue, risk: undefined, equity: equity(1_000_000), position: undefined } as const;
  it('not on a ticking P&L, but on what the verdict depends on', () => {
    expect(recheckContext({ ...base, equity: equity(1_000_250) })).toBe(recheckContext(base));
    expect(recheckContext({ ...base, equity: equity(1_030_000) })).not.toBe(recheckContext(base));
    expect(recheckContext({ ...base, venue: { ...venue, trading: { allowed: false, reason: 'halted' } } })).not.toBe(recheckContext(base));
    expect(recheckContext({ ...base, venue: { ...venue, synced: false } })).not.toBe(recheckContext(base));
    expect(recheckContext({ ...base, mode: 'live' })).not.toBe(recheckContext(base));
    expect(recheckContext({ ...base, position: { quantity: 10 } as Position })).not.toBe(recheckContext(base));
  });
});

describe('hotkeys behind an open dialog', () => {
  it('mutes the order hotkeys, keeps what reduces risk, and no second kill switch from its own dialog', () => {
    for (const a of ['buy', 'sell', 'cancelAll', 'flatten', 'killSwitch'] as const) expect(mutedBehind(a, undefined), a).toBe(false);
    expect(['buy', 'sell', 'cancelAll', 'flatten', 'killSwitch'].map((a) => mutedBehind(a, 'live-dialog'))).toEqual([true, true, false, false, false]);
    expect(mutedBehind('killSwitch', 'kill-dialog')).toBe(true);
    expect(mutedBehind('cancelAll', 'kill-dialog')).toBe(false);
  });
});
