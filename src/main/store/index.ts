export { checkWalHeader, openStore, storeFile, StoreError } from './database';
export type { Database, OpenStoreOptions, Store } from './database';
export { MIGRATIONS } from './migrations';
export { OrderJournalRepository } from './order-journal';
export type { JournaledOrder, NewOrder } from './order-journal';
export { PortfolioRepository } from './portfolio';
export type { PortfolioDayRow } from './portfolio';
export { VenueMemoryRepository } from './venue-memory';
export type { Migration } from './migrations';
