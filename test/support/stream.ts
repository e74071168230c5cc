import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import type { DataFrame } from '../../src/shared/stream';
import { CONTROL_TOKEN_FILE, createDesk, loadConfig, type Desk } from '../../src/main/app';
import { createLogger } from '../../src/main/ops';
import { HybridSubscriber, type BackupReader, type HybridSubscriberOptions, type KafkaSettingsInput } from '../../src/main/transport';
import { streamFaults } from './faults';
import { tempDir } from './fs';

export interface TestStream {
  readonly desk: Desk;
  readonly dataDir: string;
  readonly url: string;
  readonly token: string;
  /** The desk's stream server's fault drill. */
  readonly faults: ReturnType<typeof streamFaults>;
}

/** A desk with its local server (and so the stream) on a loopback port; stopped when the test ends. */
export async function startStreamDesk(options: { dataDir?: string; port?: number; kafka?: KafkaSettingsInput; demo?: boolean } = {}): Promise<TestStream> {
  const dataDir = options.dataDir ?? tempDir();
  const defaults = { server: { enabled: true }, demo: options.demo === true, ...(options.kafka ? { kafka: options.kafka } : {}) };
  const faults = streamFaults();
  const desk = createDesk(loadConfig({ flags: { dataDir, 'server.port': options.port ?? 0, 'log.level': 'silent' }, defaults }), {
    streamFaults: faults,
    logger: createLogger({ level: 'silent' }),
  });
  await desk.start();
  onTestFinished(() => desk.stop());
  // The desk's own first messages (its trading state) are committed before a test's subscriber joins.
  await desk.stream?.publisher.flush();
  const token = readFileSync(join(dataDir, CONTROL_TOKEN_FILE), 'utf8').trim();
  return { desk, dataDir, faults, url: `ws://127.0.0.1:${desk.server!.address().port}/stream`, token };
}

export interface Received {
  readonly frames: DataFrame[];
  readonly snapshots: { epoch: string; seq: number; state: Readonly<Record<string, unknown>> }[];
  readonly resets: string[];
}

/** A HybridSubscriber recording what it delivers; stopped when the test ends. */
export async function subscribe(
  stream: Pick<TestStream, 'url' | 'token'>,
  options: Partial<Omit<HybridSubscriberOptions, 'onMessage' | 'onSnapshot' | 'onReset'>> & { backup?: BackupReader } = {},
): Promise<{ subscriber: HybridSubscriber; received: Received }> {
  const received: Received = { frames: [], snapshots: [], resets: [] };
  const subscriber = new HybridSubscriber({
    url: stream.url,
    token: stream.token,
    logger: createLogger({ level: 'silent' }),
    ...options,
    onMessage: (f) => received.frames.push(f),
    onSnapshot: (s) => received.snapshots.push(s),
    onReset: (r) => received.resets.push(r),
  });
  await subscriber.start();
  onTestFinished(() => subscriber.stop());
  return { subscriber, received };
}
