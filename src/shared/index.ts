export type { DeskApi, DeskError, DeskInfo, TradingMode } from './desk';
export { TRADING_MODES } from './desk';
export { DESK_IPC_CHANNELS } from './ipc';
