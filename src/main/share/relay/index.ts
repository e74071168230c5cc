// `dualdesk relay`: the share protocol and the web viewer served from the stream's Kafka topic.
export { DEFAULT_RELAY_WINDOW, EpochFeed } from './feed';
export type { Recaller, RecallObserver, RecallResult, RelayWindowLimits } from './feed';
export { RelayStream } from './stream';
export type { RelayStatus, RelayStreamOptions } from './stream';
export { startRelay } from './relay';
export type { Relay, RelayOptions } from './relay';
