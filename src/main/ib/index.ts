export { IbAdapter } from './adapter';
export type { IbAdapterOptions } from './adapter';
export { accountMismatch, defaultPort, isPaperAccount } from './accounts';
export type { VenuePlatform } from './accounts';
export { fromIbError } from './errors';
export { createVenueMetrics } from './metrics';
export type { VenueMetrics } from './metrics';
export type { VenueMemory } from './types';
