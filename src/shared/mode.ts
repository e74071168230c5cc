// The trading mode on its own (it imports nothing), so every contract can name it without a cycle.

/** Paper and live never share state: separate databases, endpoints and safeguards. */
export const TRADING_MODES = ['paper', 'live'] as const;

export type TradingMode = (typeof TRADING_MODES)[number];
