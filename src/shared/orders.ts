export const ORDER_SIDES = ['BUY', 'SELL'] as const;
export type OrderSide = (typeof ORDER_SIDES)[number];

export const ORDER_TYPES = ['MKT', 'LMT', 'STP', 'STP LMT'] as const;
export type OrderType = (typeof ORDER_TYPES)[number];

export const TIMES_IN_FORCE = ['DAY', 'GTC', 'IOC'] as const;
export type TimeInForce = (typeof TIMES_IN_FORCE)[number];
