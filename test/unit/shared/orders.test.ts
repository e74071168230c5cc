import { describe, expect, it } from 'vitest';
import { ORDER_TYPES, OrderTicketSchema, priceFieldsOf } from '../../../src/shared';

describe('priceFieldsOf', () => {
  it('gives a limit to LMT and STP LMT, a stop to STP and STP LMT, none to MKT', () => {
    expect(priceFieldsOf('MKT')).toEqual({ limit: false, stop: false });
    expect(priceFieldsOf('LMT')).toEqual({ limit: true, stop: false });
    expect(priceFieldsOf('STP')).toEqual({ limit: false, stop: true });
    expect(priceFieldsOf('STP LMT')).toEqual({ limit: true, stop: true });
  });

  it('is the rule the ticket schema applies to every order type', () => {
    const instrument = { symbol: 'SPY', secType: 'STK' };
    for (const type of ORDER_TYPES) {
      const fields = priceFieldsOf(type);
      const ticket = { instrument, side: 'BUY', quantity: 1, type, ...(fields.limit ? { limitPrice: 1 } : {}), ...(fields.stop ? { stopPrice: 1 } : {}) };
      expect(OrderTicketSchema.safeParse(ticket).success).toBe(true);
      expect(OrderTicketSchema.safeParse({ ...ticket, limitPrice: 1, stopPrice: 1 }).success).toBe(fields.limit && fields.stop);
    }
  });
});
