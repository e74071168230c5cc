// The stream's topic: one partition (so order is total), kept at least 7 days. Created when missing;
// an existing topic is checked, never altered (a firm's cluster is theirs to configure).
import type { Admin, ConfigResourceTypes } from 'kafkajs';
import type { Logger } from '../../ops';
import { MIN_RETENTION_MS, type KafkaSettings } from './settings';

// kafkajs's enums cannot be imported by name from Node ESM (its CommonJS exports are not all
// detectable), so the one value needed is written out.
const TOPIC_RESOURCE = 2 as ConfigResourceTypes.TOPIC;

/** The topic cannot carry the stream (retrying will not help). */
export class KafkaTopicError extends Error {
  override readonly name = 'KafkaTopicError';
}

export interface StreamTopicInfo {
  readonly created: boolean;
  readonly partitions: number;
  /** retention.ms as the broker reports it (-1: for ever); undefined when it could not be read. */
  readonly retentionMs: number | undefined;
}

export async function ensureStreamTopic(admin: Admin, settings: KafkaSettings, logger: Logger): Promise<StreamTopicInfo> {
  const { topic } = settings;
  let created = false;
  if (!(await admin.listTopics()).includes(topic)) {
    created = await admin.createTopics({
      waitForLeaders: true,
      timeout: settings.requestTimeoutMs,
      topics: [
        {
          topic,
          numPartitions: 1,
          // replicationFactor left out: kafkajs sends -1, the broker's default.
          configEntries: [
            { name: 'retention.ms', value: String(settings.retentionMs) },
            { name: 'cleanup.policy', value: 'delete' },
            // Readers seek by the record timestamp, which must stay the publish time.
            { name: 'message.timestamp.type', value: 'CreateTime' },
          ],
        },
      ],
    });
    if (created) logger.info({ topic, retentionMs: settings.retentionMs }, 'created the Kafka stream topic');
  }

  // Checked even when just created: another desk may have won a creation race with other settings.
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  const partitions = metadata.topics.find((t) => t.name === topic)?.partitions.length ?? 0;
  if (partitions !== 1) {
    throw new KafkaTopicError(
      `Kafka topic '${topic}' has ${partitions} partitions; the DualDesk stream needs exactly 1 so that its order is total. ` +
        `Create '${topic}' with one partition, or set kafka.topic to another name.`,
    );
  }

  const retentionMs = await readRetention(admin, topic, logger);
  if (retentionMs !== undefined && retentionMs !== -1 && retentionMs < MIN_RETENTION_MS) {
    logger.warn(
      { topic, retentionMs, minimumMs: MIN_RETENTION_MS },
      `Kafka topic '${topic}' keeps messages ${(retentionMs / 3_600_000).toFixed(1)} h, under the 7 days subscribers may need to fill gaps; raise its retention.ms`,
    );
  }
  return { created, partitions, retentionMs };
}

async function readRetention(admin: Admin, topic: string, logger: Logger): Promise<number | undefined> {
  try {
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: TOPIC_RESOURCE, name: topic, configNames: ['retention.ms'] }],
    });
    const value = described.resources[0]?.configEntries.find((e) => e.configName === 'retention.ms')?.configValue;
    return value === undefined ? undefined : Number(value);
  } catch (err) {
    // A restricted account may not describe configs; the topic still works.
    logger.warn({ topic, err: (err as Error).message }, 'could not read the Kafka topic retention');
    return undefined;
  }
}
