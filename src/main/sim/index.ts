export { createSimulator, DEFAULT_PAPER_ACCOUNT } from './simulator';
export { CONTROL_HEADER, startControlServer } from './control';
export type { Simulator, SimulatorOptions } from './simulator';
export type { SimulatorFaults } from './venue/server';
export type { InstrumentSpec, MarketModel, MarketTick, SessionMode } from './market/types';
export type { MatchingEngine, VenueOrder, Execution } from './engine/types';
export { createDemoSimulator, DEMO_VENUE_STATE_FILE, demoMarketDataLines, demoSymbols, MAX_DEMO_SYMBOLS } from './demo';
export { VenueStateError } from './state';
export type { DemoMarketOptions } from './demo';
