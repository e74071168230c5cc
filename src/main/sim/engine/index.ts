export type * from './types';
export { createMatchingEngine } from './engine';
export { commissionFor } from './commissions';
export { initialMarginFor } from './margin';
