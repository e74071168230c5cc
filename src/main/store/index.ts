export { openStore, storeFile, StoreError } from './database';
export type { Database, Store } from './database';
export { MIGRATIONS } from './migrations';
export { VenueMemoryRepository } from './venue-memory';
export type { Migration } from './migrations';
