export { IbAdapter } from './adapter';
export type { IbAdapterOptions } from './adapter';
export { accountMismatch, defaultPort, isPaperAccount } from './accounts';
export type { VenuePlatform } from './accounts';
export { fromIbError, VenueError } from './errors';
export type { VenueErrorKind } from './errors';
export { createVenueMetrics } from './metrics';
export type { VenueMetrics } from './metrics';
export type * from './types';
