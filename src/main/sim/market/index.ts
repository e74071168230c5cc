export type * from './types';
export { createMarketModel } from './model';
export { DEFAULT_SYMBOLS, defaultInstruments } from './instruments';
