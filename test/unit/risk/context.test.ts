// What the gate reads of the rest of the core, from narrow ports: reference prices, positions, working
// quantities, gross exposure, the base currency; and execution's intent as the gate checks it.
import { describe, expect, it } from 'vitest';
import { gateIntentOf, riskContextOf, type PositionView, type QuoteView, type RiskContextPorts, type WorkingOrderView } from '../../../src/main/risk';
import { aapl, CON_ID } from '../../support/fixtures';

function context(over: { quotes?: Record<number, QuoteView>; positions?: PositionView[]; working?: WorkingOrderView[] } = {}) {
  const positions = over.positions ?? [];
  const ports: RiskContextPorts = {
    instrument: (conId) => (conId === CON_ID.AAPL ? aapl() : undefined),
    quote: (conId) => over.quotes?.[conId],
    position: (conId) => positions.find((p) => p.conId === conId),
    positions: () => positions,
    workingOrders: () => over.working ?? [],
    now: () => 1_234,
  };
  return riskContextOf(ports);
}

describe('riskContextOf', () => {
  it('prices by the last trade, else the midpoint of a two-sided quote, else not at all', () => {
    const c = context({ quotes: { 1: { last: 10, bid: 9, ask: 12 }, 2: { bid: 1.1, ask: 1.3 }, 3: { bid: 5 }, 4: {} } });
    expect(c.lastPrice(1)).toBe(10);
    expect(c.lastPrice(2)).toBeCloseTo(1.2, 12);
    expect(c.lastPrice(3)).toBeUndefined();
    expect(c.lastPrice(4)).toBeUndefined();
    expect(c.lastPrice(5)).toBeUndefined();
  });

  it("counts signed positions (0 when flat) and the unfilled quantity of one side's working orders", () => {
    const c = context({
      positions: [{ conId: 1, quantity: -30, avgPrice: 10, multiplier: 1 }],
      working: [
        { conId: 1, side: 'BUY', quantity: 100, filledQuantity: 40 },
        { conId: 1, side: 'BUY', quantity: 10, filledQuantity: 0 },
        { conId: 1, side: 'SELL', quantity: 7, filledQuantity: 0 },
        { conId: 2, side: 'BUY', quantity: 500, filledQuantity: 0 },
      ],
    });
    expect(c.position(1)).toBe(-30);
    expect(c.position(2)).toBe(0);
    expect(c.workingQuantity(1, 'BUY')).toBe(70);
    expect(c.workingQuantity(1, 'SELL')).toBe(7);
    expect(c.workingQuantity(3, 'BUY')).toBe(0);
  });

  it('sums gross exposure as |quantity × mark × multiplier|, marking at the average price where there is no last', () => {
    const c = context({
      positions: [
        { conId: 1, quantity: 10, avgPrice: 100, lastPrice: 110, multiplier: 1 },
        { conId: 2, quantity: -2, avgPrice: 5, multiplier: 100 },
      ],
    });
    expect(c.grossExposure()).toBe(10 * 110 + 2 * 5 * 100);
    expect(context().grossExposure()).toBe(0);
  });

  it('knows one base currency (USD), the instruments resolved, and the time from its clock', () => {
    const c = context();
    expect(c.fxRate('USD')).toBe(1);
    expect(c.fxRate('EUR')).toBeUndefined();
    expect(c.instrument(CON_ID.AAPL)).toEqual(aapl());
    expect(c.instrument(CON_ID.MSFT)).toBeUndefined();
    expect(c.now()).toBe(1_234);
  });
});

describe('gateIntentOf', () => {
  it('is the intent by conId: a reduce-only order is a flatten, prices only where the ticket has them', () => {
    const base = { instrument: aapl(), side: 'SELL' as const, quantity: 10, type: 'MKT' as const };
    expect(gateIntentOf({ ...base, reduceOnly: true })).toEqual({ conId: CON_ID.AAPL, side: 'SELL', quantity: 10, type: 'MKT', purpose: 'flatten' });
    expect(gateIntentOf({ ...base, type: 'STP LMT', limitPrice: 99, stopPrice: 100, replacesQuantity: 4, reduceOnly: false })).toEqual({
      conId: CON_ID.AAPL,
      side: 'SELL',
      quantity: 10,
      type: 'STP LMT',
      limitPrice: 99,
      stopPrice: 100,
      replacesQuantity: 4,
      purpose: 'trade',
    });
  });
});
