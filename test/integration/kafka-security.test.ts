// Brokers with SASL/SCRAM-SHA-512 and with TLS (a self-signed certificate), one of each for the file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { DataFrame } from '../../src/shared/stream';
import { KafkaOutbox, KafkaStreamReader, type KafkaSettings } from '../../src/main/transport/kafka';
import { ensureKafkaLibs, startKafkaBroker, type KafkaBroker } from '../../scripts/kafka/broker';
import { memoryLogger } from '../support/logs';
import { openStream, publishMany, readTopic, seqsOf, settingsFor } from '../support/kafka';
import { until } from '../support/wait';

let sasl: KafkaBroker;
let tls: KafkaBroker;
const dir = mkdtempSync(join(tmpdir(), 'dualdesk-test-'));
let files = 0;

beforeAll(async () => {
  const libs = ensureKafkaLibs();
  [sasl, tls] = await Promise.all([
    startKafkaBroker({ libs, security: 'sasl-scram', scram: { username: 'desk7', password: 'correct-horse-battery-staple' }, maxLifetimeSeconds: 900 }),
    startKafkaBroker({ libs, security: 'tls', maxLifetimeSeconds: 900 }),
  ]);
});

afterAll(async () => {
  await Promise.all([sasl?.destroy(), tls?.destroy()]);
  rmSync(dir, { recursive: true, force: true });
});

/** Publishes 2,000 messages through an outbox and reads them back with the reader; returns what the reader got. */
async function roundTrip(settings: KafkaSettings): Promise<DataFrame[]> {
  const { journal, publisher } = await openStream(dir, undefined, `stream-${++files}.db`);
  const outbox = new KafkaOutbox({ journal, onCommitted: (l) => publisher.onCommitted(l), settings, logger: memoryLogger('warn').logger, metrics: new Registry() });
  const reader = new KafkaStreamReader({ settings, logger: memoryLogger('warn').logger });
  onTestFinished(async () => {
    await reader.stop();
    await outbox.stop();
    await journal.close();
  });
  await outbox.start();
  expect(outbox.status().state).toBe('up');
  await publishMany(publisher, 2_000);
  await outbox.whenAcked(2_000);
  await reader.start();
  expect(reader.status().state).toBe('idle');
  const frames: DataFrame[] = [];
  await reader.readFrom({ epoch: journal.epoch, seq: 0, ts: 0 }, (f) => frames.push(...f));
  await until(() => frames.length >= 2_000, 'the reader');
  return frames;
}

/** An outbox that cannot get in: what its status and its log say. */
async function refused(settings: KafkaSettings): Promise<{ lastError: string; log: string }> {
  const { journal, publisher } = await openStream(dir, undefined, `stream-${++files}.db`);
  const logs = memoryLogger('debug');
  const outbox = new KafkaOutbox({ journal, onCommitted: (l) => publisher.onCommitted(l), settings, logger: logs.logger, metrics: new Registry() });
  onTestFinished(async () => {
    await outbox.stop();
    await journal.close();
  });
  publisher.publish('t', 1);
  await publisher.flush();
  await outbox.start();
  const status = outbox.status();
  expect(status).toMatchObject({ state: 'down', acked: 0, backlog: 1 });
  return { lastError: status.lastError ?? '', log: logs.text() };
}

describe('SASL/SCRAM-SHA-512', () => {
  it('produces and consumes with the right credentials', async () => {
    const settings = settingsFor(sasl.brokers, { sasl: { mechanism: 'scram-sha-512', username: 'desk7', password: 'correct-horse-battery-staple' } });
    const frames = await roundTrip(settings);
    expect(frames.map((f) => f.seq)).toEqual(Array.from({ length: 2_000 }, (_, i) => i + 1));
    expect(seqsOf(await readTopic(sasl.client, settings.topic))).toHaveLength(2_000);
  });

  it('says clearly that a wrong password was refused, and never shows it', async () => {
    const password = 'wrong-pass-Zq93xk';
    const settings = settingsFor(sasl.brokers, { sasl: { mechanism: 'scram-sha-512', username: 'desk7', password } });
    const { lastError, log } = await refused(settings);
    expect(lastError).toContain('SASL SCRAM SHA512 authentication failed');
    expect(lastError).toContain("Kafka refused the SCRAM-SHA-512 credentials of user 'desk7'");
    expect(lastError).not.toContain(password);
    expect(log).toContain('SASL SCRAM SHA512 authentication failed');
    expect(log).not.toContain(password);

    const readerErrors: string[] = [];
    const reader = new KafkaStreamReader({ settings, logger: memoryLogger('warn').logger, onError: (m) => readerErrors.push(m) });
    onTestFinished(() => reader.stop());
    await reader.start();
    expect(reader.status()).toMatchObject({ state: 'down', lastError: expect.stringContaining("credentials of user 'desk7'") as string });
    expect(readerErrors.join('\n')).not.toContain(password);
  });

  it('tells a client without credentials that the broker wants SASL', async () => {
    const { lastError } = await refused(settingsFor(sasl.brokers));
    expect(lastError).toMatch(/Closed connection.*set kafka\.ssl or kafka\.sasl/);
  });
});

describe('TLS', () => {
  it("produces and consumes trusting the broker's CA", async () => {
    const settings = settingsFor(tls.brokers, { ssl: { ca: tls.client.ssl!.ca } });
    const frames = await roundTrip(settings);
    expect(frames.map((f) => f.seq)).toEqual(Array.from({ length: 2_000 }, (_, i) => i + 1));
    expect(seqsOf(await readTopic(tls.client, settings.topic))).toHaveLength(2_000);
  });

  it('refuses an untrusted certificate, saying why', async () => {
    const { lastError } = await refused(settingsFor(tls.brokers, { ssl: true }));
    expect(lastError).toContain('self-signed certificate');
    expect(lastError).toContain('set kafka.ssl.ca');
  });

  it('refuses a certificate that does not name the host asked for', async () => {
    const { lastError } = await refused(settingsFor(tls.brokers, { ssl: { ca: tls.client.ssl!.ca, servername: 'kafka.elsewhere.example' } }));
    expect(lastError).toMatch(/altnames|not in the cert|does not match/i);
  });
});
