export { ExecutionEngine } from './engine';
export { newOrderRecord, orderIntent } from './intent';
export { previewOrder } from './preview';
export type { PreviewPorts } from './preview';
export type { ExecutionOptions, ExecutionVenue, FillSink, GateVerdict, OrderIntent, PlaceOptions, PreTradeGate, ReconciliationReport, TradingControl } from './engine';
export { KillSwitch } from './kill-switch';
export type { KillSwitchControl, KillSwitchOptions, KillSwitchReport, KillSwitchVenue } from './kill-switch';
export { applyFill, canTransition, FINAL_STATES, isFinal, OrderTransitionError, stateFromVenue, transition } from './order-state';
