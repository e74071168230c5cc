// A ticket's live preview on its own: the venue's and the stream's refusals before the gate's, the
// instrument found as the engine would place it, and the gate asked with the intent the order would carry.
import { describe, expect, it } from 'vitest';
import type { Instrument, OrderPreview, OrderTicket } from '../../../src/shared';
import { previewOrder, type PreviewPorts } from '../../../src/main/execution';
import { aapl, CON_ID } from '../../support/fixtures';

const ticket = (over: Partial<OrderTicket> = {}): OrderTicket => ({
  instrument: { symbol: 'AAPL', secType: 'STK' },
  side: 'BUY',
  quantity: 100,
  type: 'LMT',
  limitPrice: 190.5,
  tif: 'DAY',
  ...over,
});

function ports(over: Partial<PreviewPorts> = {}, verdict: OrderPreview = { ok: true }) {
  const asked: unknown[] = [];
  const instruments = new Map<number, Instrument>([
    [CON_ID.AAPL, aapl()],
    [CON_ID.MSFT, aapl({ conId: CON_ID.MSFT, symbol: 'MSFT', localSymbol: 'MSFT' })],
    [77, aapl({ conId: 77, symbol: 'AAPL', currency: 'EUR', exchange: 'IBIS' })],
  ]);
  const p: PreviewPorts = {
    trading: () => ({ allowed: true }),
    streamRefusal: () => undefined,
    instruments,
    gate: (intent) => {
      asked.push(intent);
      return verdict;
    },
    ...over,
  };
  return { ports: p, asked };
}

describe('previewOrder', () => {
  it("asks the gate with the order's intent (not reduce-only) and returns its verdict", () => {
    const refusal: OrderPreview = { ok: false, code: 'max-order-quantity', reason: 'too big' };
    const p = ports({}, refusal);
    expect(previewOrder(ticket(), p.ports)).toBe(refusal);
    expect(p.asked).toEqual([{ instrument: aapl(), side: 'BUY', quantity: 100, type: 'LMT', limitPrice: 190.5, reduceOnly: false }]);
  });

  it('the venue refusing orders comes first, with its reason (or a default one), and the gate is not asked', () => {
    const down = ports({ trading: () => ({ allowed: false, reason: 'LIVE is not armed' }), streamRefusal: () => 'journal full' });
    expect(previewOrder(ticket(), down.ports)).toEqual({ ok: false, code: 'venue-unavailable', reason: 'LIVE is not armed' });
    const silent = ports({ trading: () => ({ allowed: false }) });
    expect(previewOrder(ticket(), silent.ports)).toEqual({ ok: false, code: 'venue-unavailable', reason: 'The venue does not accept orders now.' });
    expect([...down.asked, ...silent.asked]).toEqual([]);
  });

  it('with no venue configured the stream is checked next; a stream that cannot be written refuses', () => {
    const p = ports({ trading: () => undefined, streamRefusal: () => 'the stream journal cannot be written' });
    expect(previewOrder(ticket(), p.ports)).toEqual({ ok: false, code: 'stream-unavailable', reason: 'the stream journal cannot be written' });
    expect(p.asked).toEqual([]);
  });

  it('finds the instrument by conId, or by symbol (any case), type and currency; one the desk has not resolved is refused', () => {
    const p = ports();
    previewOrder(ticket({ instrument: { symbol: 'whatever', secType: 'STK', conId: CON_ID.MSFT } }), p.ports);
    previewOrder(ticket({ instrument: { symbol: 'msft', secType: 'STK' } }), p.ports);
    previewOrder(ticket({ instrument: { symbol: 'AAPL', secType: 'STK', currency: 'EUR' } }), p.ports);
    expect(p.asked.map((i) => (i as { instrument: Instrument }).instrument.conId)).toEqual([CON_ID.MSFT, CON_ID.MSFT, 77]);
    expect(previewOrder(ticket({ instrument: { symbol: 'AAPL', secType: 'FUT' } }), p.ports)).toEqual({
      ok: false,
      code: 'unknown-instrument',
      reason: 'AAPL is not known to the desk yet: add it to the watchlist first',
    });
    expect(previewOrder(ticket({ instrument: { symbol: 'TSLA', secType: 'STK', conId: 999 } }), p.ports)).toMatchObject({ ok: false, code: 'unknown-instrument' });
    expect(p.asked).toHaveLength(3);
  });
});
