import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Fill, Instrument, Order } from '../../../src/shared';
import { applyFill, canTransition, OrderTransitionError, stateFromVenue, transition } from '../../../src/main/execution';
import { openStore, OrderJournalRepository } from '../../../src/main/store';
import { tempDir } from '../../support/fs';
import { aapl } from '../../support/fixtures';

const AAPL: Instrument = aapl({ longName: 'Apple' });
const base: Omit<Order, 'id'> = {
  conId: AAPL.conId,
  symbol: 'AAPL',
  side: 'BUY',
  quantity: 100,
  type: 'LMT',
  limitPrice: 200,
  tif: 'DAY',
  state: 'new',
  filledQuantity: 0,
  avgFillPrice: 0,
  reduceOnly: false,
  origin: 'desk',
  createdAt: 1,
  updatedAt: 1,
};
const fill = (execId: string, quantity: number, price: number, orderId: string): Fill => ({
  execId,
  orderId,
  conId: AAPL.conId,
  symbol: 'AAPL',
  side: 'BUY',
  quantity,
  price,
  multiplier: 1,
  commission: 0,
  time: 2,
});

describe('order state machine', () => {
  it('allows the forward transitions and refuses every other', () => {
    expect(canTransition('new', 'submitted')).toBe(true);
    expect(canTransition('submitted', 'partially-filled')).toBe(true);
    expect(canTransition('partially-filled', 'cancelled')).toBe(true);
    for (const final of ['filled', 'cancelled', 'rejected', 'expired'] as const) {
      for (const to of ['new', 'submitted', 'partially-filled', 'filled', 'cancelled', 'rejected', 'expired'] as const) {
        expect(canTransition(final, to), `${final} → ${to}`).toBe(final === to);
      }
    }
    expect(canTransition('partially-filled', 'submitted')).toBe(false);
    expect(canTransition('partially-filled', 'rejected')).toBe(false);
    expect(() => transition({ ...base, id: 'x', state: 'filled' }, 'cancelled', 3)).toThrow(OrderTransitionError);
  });

  it('maps IB statuses, and fills move quantity and average price', () => {
    expect(stateFromVenue('PreSubmitted', 0)).toBe('submitted');
    expect(stateFromVenue('Submitted', 40)).toBe('partially-filled');
    expect(stateFromVenue('Filled', 100)).toBe('filled');
    expect(stateFromVenue('ApiCancelled', 0)).toBe('cancelled');
    expect(stateFromVenue('Inactive', 0)).toBe('rejected');
    expect(stateFromVenue('PendingCancel', 0)).toBeUndefined(); // still working until the venue confirms
    expect(stateFromVenue('Whatever', 0)).toBeUndefined();
    const o = { ...base, id: 'x', state: 'submitted' as const };
    const a = applyFill(o, fill('e1', 40, 200, 'x'));
    expect(a).toMatchObject({ state: 'partially-filled', filledQuantity: 40, avgFillPrice: 200 });
    const b = applyFill(a, fill('e2', 60, 201, 'x'));
    expect(b).toMatchObject({ state: 'filled', filledQuantity: 100 });
    expect(b.avgFillPrice).toBeCloseTo(200.6, 10);
    // A fill racing a cancel is real: it counts, and the order stays cancelled.
    expect(applyFill({ ...a, state: 'cancelled' }, fill('e3', 10, 199, 'x'))).toMatchObject({ state: 'cancelled', filledQuantity: 50 });
  });
});

describe('order journal', () => {
  it('assigns ids from a per-database desk id, writes intents and fills durably, and applies each execution once', () => {
    const file = join(tempDir(), 'paper.db');
    const store = openStore(file, 'paper');
    const journal = new OrderJournalRepository(store.db);
    const a = journal.create(base, AAPL, false, { why: 'test' });
    const b = journal.create(base, AAPL, true);
    expect(a.id).toMatch(/^[0-9A-F]{10}-1$/);
    expect(b.id).toBe(`${journal.deskId}-2`);
    const sent = { ...a, state: 'submitted' as const, venueOrderId: 7, updatedAt: 5 };
    journal.update(sent, 'sent', { venueOrderId: 7 });
    const f = fill('exec-1', 100, 200, a.id);
    expect(journal.recordFill(f, applyFill(sent, f))).toBe(true);
    expect(journal.recordFill(f, applyFill(sent, f))).toBe(false);
    expect(journal.recordCommission('exec-1', 1.25)).toBe(true);
    expect(journal.recordCommission('exec-unknown', 1)).toBe(false);
    store.close();

    const reopened = openStore(file, 'paper');
    const again = new OrderJournalRepository(reopened.db);
    expect(again.deskId).toBe(journal.deskId);
    expect(again.get(a.id)).toMatchObject({ order: { state: 'filled', filledQuantity: 100, venueOrderId: 7 }, instrument: { conId: AAPL.conId }, outsideRth: false });
    expect(again.byVenueOrderId(7)?.order.id).toBe(a.id);
    expect(again.open().map((j) => j.order.id)).toEqual([b.id]);
    expect(again.get(b.id)?.outsideRth).toBe(true);
    expect(again.fillsOf(a.id)).toEqual([{ ...f, commission: 1.25 }]);
    expect(again.create(base, AAPL, false).id).toBe(`${journal.deskId}-3`);
    const kinds = reopened.db
      .prepare<[], { kind: string }>('SELECT kind FROM order_events ORDER BY seq')
      .all()
      .map((r) => r.kind);
    expect(kinds).toEqual(['intent-place', 'intent-place', 'sent', 'fill', 'intent-place']);
    reopened.close();
  });
});
