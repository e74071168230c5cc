export type { DeskApi, DeskError, DeskInfo, TradingMode } from './desk';
export { TRADING_MODES } from './desk';
export { Backoff, backoffDelay } from './backoff';
export type { BackoffOptions } from './backoff';
export { DESK_IPC_CHANNELS } from './ipc';
export { SECURITY_TYPES } from './market';
export type { Bar, BarSource, Instrument, InstrumentSpec, Quote, SecurityType } from './market';
export { ORDER_SIDES, ORDER_TYPES, TIMES_IN_FORCE } from './orders';
export type { OrderSide, OrderType, TimeInForce } from './orders';
