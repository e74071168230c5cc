export { openStore, storeFile, StoreError } from './database';
export type { Database, Store } from './database';
export { MIGRATIONS } from './migrations';
export type { Migration } from './migrations';
