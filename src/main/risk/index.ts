export { RiskEngine, RiskLimitsError } from './engine';
export type { RiskBus, RiskEngineOptions } from './engine';
export { RiskGate } from './gate';
export { finePct } from './format';
export type { StateLogEntry } from './repository';
export type { OrderIntent, RearmResult, RiskContext, StateOptions, TradingStateSource } from './types';
export { gateIntentOf, riskContextOf } from './context';
export type { PositionView, QuoteView, RiskContextPorts, WorkingOrderView } from './context';
