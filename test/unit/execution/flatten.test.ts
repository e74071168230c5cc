// Flatten on its own (TradingCore's tests cover it through the desk): which positions it closes, with
// which exit, and that a position differing from the venue's is closed at the venue's figure.
import { describe, expect, it } from 'vitest';
import { DeskCommandError, type Instrument, type InstrumentSpec, type Order, type OrderTicket, type Position } from '../../../src/shared';
import { flattenPositions, type FlattenPorts } from '../../../src/main/execution';
import { aapl, CON_ID } from '../../support/fixtures';

const position = (conId: number, symbol: string, quantity: number): Position => ({
  conId,
  symbol,
  quantity,
  avgPrice: 100,
  multiplier: 1,
  realizedPnl: 0,
  unrealizedPnl: 0,
  commissions: 0,
});

/** Ports over a book of positions; `venue` is what adoptFresh takes (the venue's figures) when given. */
function ports(book: Position[], options: { mismatched?: { kind: string; conId?: number }[]; venue?: Position[]; secTypes?: Record<number, Instrument['secType']> } = {}) {
  let positions = book;
  const calls: string[] = [];
  const placed: { ticket: OrderTicket; instrument: Instrument; options: { reduceOnly: true } }[] = [];
  const p: FlattenPorts = {
    heldDiscrepancies: () => options.mismatched ?? [],
    position: (conId) => positions.find((x) => x.conId === conId),
    positions: () => {
      calls.push('positions');
      return positions;
    },
    adoptFresh: (why, conId) => {
      calls.push(`adopt ${why} ${conId ?? 'all'}`);
      if (options.venue) positions = options.venue;
      return Promise.resolve();
    },
    secTypeOf: (conId) => options.secTypes?.[conId],
    quoted: (spec: InstrumentSpec) => Promise.resolve(aapl({ conId: spec.conId as number, symbol: spec.symbol, secType: spec.secType })),
    place: (ticket, instrument, o) => {
      placed.push({ ticket, instrument, options: o });
      return Promise.resolve({ id: `o${placed.length}` } as Order);
    },
  };
  return { ports: p, calls, placed };
}

describe('flattenPositions', () => {
  it('closes every open position with a reduce-only DAY market order on the opposite side, and skips flat ones', async () => {
    const f = ports([position(CON_ID.AAPL, 'AAPL', 10), position(CON_ID.MSFT, 'MSFT', -5), position(CON_ID.EURUSD, 'EUR', 0)], { secTypes: { [CON_ID.MSFT]: 'STK' } });
    const orders = await flattenPositions(f.ports);
    expect(orders.map((o) => o.id)).toEqual(['o1', 'o2']);
    expect(f.placed.map((p) => p.ticket)).toEqual([
      { instrument: { symbol: 'AAPL', secType: 'STK', conId: CON_ID.AAPL }, side: 'SELL', quantity: 10, type: 'MKT', tif: 'DAY' },
      { instrument: { symbol: 'MSFT', secType: 'STK', conId: CON_ID.MSFT }, side: 'BUY', quantity: 5, type: 'MKT', tif: 'DAY' },
    ]);
    expect(f.placed.every((p) => p.options.reduceOnly)).toBe(true);
    expect(f.calls).toEqual(['positions']);
  });

  it("one instrument's: only that position; none there is refused (no-position) and nothing is placed", async () => {
    const f = ports([position(CON_ID.AAPL, 'AAPL', 10), position(CON_ID.MSFT, 'MSFT', -5)]);
    await flattenPositions(f.ports, CON_ID.MSFT);
    expect(f.placed.map((p) => [p.ticket.instrument.conId, p.ticket.side, p.ticket.quantity])).toEqual([[CON_ID.MSFT, 'BUY', 5]]);
    const none = ports([position(CON_ID.AAPL, 'AAPL', 0)]);
    const refused = flattenPositions(none.ports, CON_ID.AAPL);
    await expect(refused).rejects.toBeInstanceOf(DeskCommandError);
    await expect(refused).rejects.toMatchObject({ code: 'no-position' });
    expect(none.placed).toEqual([]);
  });

  it("a position that differs from the venue's is read from the venue first and closed at the venue's figure", async () => {
    // DualDesk has 10; the venue says 7 (a fill DualDesk missed): the exit is for 7.
    const f = ports([position(CON_ID.AAPL, 'AAPL', 10)], { mismatched: [{ kind: 'position', conId: CON_ID.AAPL }], venue: [position(CON_ID.AAPL, 'AAPL', 7)] });
    await flattenPositions(f.ports, CON_ID.AAPL);
    expect(f.calls).toEqual([`adopt flattened by the trader ${CON_ID.AAPL}`, 'positions']);
    expect(f.placed.map((p) => p.ticket.quantity)).toEqual([7]);
    // Held for a mismatch DualDesk shows as flat: the venue's figure is what is closed, not a refusal.
    const flatHere = ports([], { mismatched: [{ kind: 'position', conId: CON_ID.AAPL }], venue: [position(CON_ID.AAPL, 'AAPL', -3)] });
    await flattenPositions(flatHere.ports, CON_ID.AAPL);
    expect(flatHere.placed.map((p) => [p.ticket.side, p.ticket.quantity])).toEqual([['BUY', 3]]);
  });

  it('a cash mismatch, or a position mismatch in another instrument, does not re-read the venue', async () => {
    const f = ports([position(CON_ID.AAPL, 'AAPL', 10)], { mismatched: [{ kind: 'cash' }, { kind: 'position', conId: CON_ID.MSFT }] });
    await flattenPositions(f.ports, CON_ID.AAPL);
    expect(f.calls).toEqual(['positions']);
    // Flatten all with a position mismatch anywhere re-reads the whole venue.
    const all = ports([position(CON_ID.AAPL, 'AAPL', 10)], { mismatched: [{ kind: 'position', conId: CON_ID.MSFT }] });
    await flattenPositions(all.ports);
    expect(all.calls).toEqual(['adopt flattened by the trader all', 'positions']);
  });

  it('an instrument whose security type the desk does not know is quoted as a stock', async () => {
    const f = ports([position(CON_ID.EURUSD, 'EUR', 20_000)], { secTypes: {} });
    await flattenPositions(f.ports);
    expect(f.placed[0]?.instrument).toMatchObject({ conId: CON_ID.EURUSD, secType: 'STK' });
    const cash = ports([position(CON_ID.EURUSD, 'EUR', 20_000)], { secTypes: { [CON_ID.EURUSD]: 'CASH' } });
    await flattenPositions(cash.ports);
    expect(cash.placed[0]?.ticket.instrument).toEqual({ symbol: 'EUR', secType: 'CASH', conId: CON_ID.EURUSD });
  });
});
