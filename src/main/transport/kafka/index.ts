// Kafka, the stream's durable channel: the outbox (journal → topic) and the reader (topic → subscriber).
export { createKafka, describeKafkaError, KAFKAJS_RETRY, kafkaLogCreator } from './client';
export { KafkaOutbox } from './outbox';
export type { KafkaOutboxFaults, KafkaOutboxOptions, KafkaOutboxState, KafkaOutboxStatus, OutboxJournal } from './outbox';
export { KafkaStreamReader } from './reader';
export { PartitionConsumer } from './partition-consumer';
export type { PartitionConsumerOptions } from './partition-consumer';
export { DEFAULT_RECORD_CAPS, readRecord, RECORD_FORMAT, RECORD_OVERHEAD, recordFrames, recordSpan, runRecord, streamRecord } from './record';
export type { JournalRun, RecordCaps, RecordCursor, RecordRead, RecordSpan } from './record';
export type { KafkaReaderState, KafkaReaderStatus, KafkaReadInfo, KafkaStreamReaderOptions, StreamPosition } from './reader';
export { DEFAULT_STREAM_TOPIC, KafkaSettingsError, KafkaSettingsSchema, MIN_RETENTION_MS, parseKafkaBrokers, parseKafkaSettings } from './settings';
export type { KafkaSettings, KafkaSettingsInput } from './settings';
export { ensureStreamTopic, KafkaTopicError } from './topic';
export type { StreamTopicInfo } from './topic';
