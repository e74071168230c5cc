export * from './frames';
export { DataFrameBatch, decodeFrames, encodeBatch, encodeFrame } from './codec';
export { topicMatcher, topicWord } from './topics';
export type { TopicMatcher } from './topics';
export { CircuitBreaker } from './breaker';
export type { BreakerOptions, BreakerState } from './breaker';
export { SequenceTracker } from './tracker';
export type { TrackerEvent, TrackerState } from './tracker';
export { StreamSubscriber } from './subscriber';
export type {
  BackupReader,
  ConnectStream,
  StreamSocket,
  StreamSocketEvents,
  StreamSubscriberOptions,
  SubscriberChannel,
  SubscriberLog,
  SubscriberState,
  SubscriberTimers,
} from './subscriber';
export { STREAM_PROTOCOL, STREAM_TICKET_PATH, TICKET_PROTOCOL_PREFIX } from './auth';
export type { StreamTicketGrant } from './auth';
