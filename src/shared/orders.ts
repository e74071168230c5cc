export const ORDER_SIDES = ['BUY', 'SELL'] as const;
export type OrderSide = (typeof ORDER_SIDES)[number];

export const ORDER_TYPES = ['MKT', 'LMT', 'STP', 'STP LMT'] as const;
export type OrderType = (typeof ORDER_TYPES)[number];

/** Which prices an order type takes: a limit for LMT and STP LMT, a stop for STP and STP LMT (the schema, the gate and the adapter all ask this). */
export function priceFieldsOf(type: OrderType): { readonly limit: boolean; readonly stop: boolean } {
  return { limit: type === 'LMT' || type === 'STP LMT', stop: type === 'STP' || type === 'STP LMT' };
}

export const TIMES_IN_FORCE = ['DAY', 'GTC', 'IOC'] as const;
export type TimeInForce = (typeof TIMES_IN_FORCE)[number];
