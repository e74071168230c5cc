// Starts one real Kafka broker (KRaft, 127.0.0.1, free port) for the integration tests.
import type { TestProject } from 'vitest/node';
import { ensureKafkaLibs, startKafkaBroker } from '../../scripts/kafka/broker';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string[];
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const broker = await startKafkaBroker({ libs: ensureKafkaLibs(), maxLifetimeSeconds: 3600 });
  project.provide('kafkaBrokers', broker.brokers);
  return () => broker.destroy();
}
