export * from './frames';
export { decodeFrames, encodeBatch, encodeFrame } from './codec';
export { topicMatcher } from './topics';
export type { TopicMatcher } from './topics';
export { CircuitBreaker } from './breaker';
export type { BreakerOptions, BreakerState } from './breaker';
export { SequenceTracker } from './tracker';
export type { TrackerEvent, TrackerState } from './tracker';
