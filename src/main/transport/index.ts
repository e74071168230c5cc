export { JournalError, StreamJournal } from './journal';
export type { JournalRow } from './journal';
export { createStreamMetrics, StreamPublisher } from './publisher';
export type { CommittedBatch, PublisherOptions, StreamMetrics } from './publisher';
export { JournalRetention } from './retention';
export type { JournalRetentionOptions } from './retention';
export * from './kafka';
