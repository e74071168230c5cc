import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { describeKafkaError, KafkaSettingsError, kafkaLogCreator, MIN_RETENTION_MS, parseKafkaBrokers, parseKafkaSettings } from '../../../src/main/transport/kafka';
import { memoryLogger } from '../../support/logs';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIBWzCCAQGgAwIBAgIE\n-----END CERTIFICATE-----\n';

describe('Kafka settings', () => {
  it('fills the defaults around the brokers', () => {
    expect(parseKafkaSettings({ brokers: ['kafka-1.firm.internal:9093'] })).toEqual({
      brokers: ['kafka-1.firm.internal:9093'],
      topic: 'dualdesk.stream',
      clientId: 'dualdesk',
      connectionTimeoutMs: 5_000,
      requestTimeoutMs: 10_000,
      retentionMs: 7 * 24 * 3_600_000,
    });
  });

  it('accepts a full secured configuration, and strings from the environment', () => {
    const s = parseKafkaSettings({
      brokers: '10.0.0.1:9093, kafka-2:9093',
      topic: 'desk_7.stream-v2',
      clientId: 'desk-7',
      ssl: { ca: PEM, servername: 'kafka.firm.internal', rejectUnauthorized: true },
      sasl: { mechanism: 'scram-sha-512', username: 'desk7', password: 'p@ss:w,rd' },
      connectionTimeoutMs: '3000',
      requestTimeoutMs: 20_000,
      retentionMs: -1,
    });
    expect(s.brokers).toEqual(['10.0.0.1:9093', 'kafka-2:9093']);
    expect(s.connectionTimeoutMs).toBe(3_000);
    expect(s.retentionMs).toBe(-1);
    expect(s.ssl).toEqual({ ca: PEM, servername: 'kafka.firm.internal', rejectUnauthorized: true });
    expect(parseKafkaSettings({ brokers: ['k:1'], ssl: true }).ssl).toBe(true);
  });

  it.each([
    [{ brokers: [] }, 'kafka.brokers: name at least one broker'],
    [{ brokers: ['kafka'] }, "must be host:port ('kafka' is not)"],
    [{ brokers: ['kafka:0'] }, 'port from 1 to 65535'],
    [{ brokers: ['kafka:70000'] }, 'port from 1 to 65535'],
    [{ brokers: ['[::1]:9092'] }, 'host name or IPv4 address'],
    [{ brokers: ['k:1'], topic: 'has space' }, 'kafka.topic'],
    [{ brokers: ['k:1'], topic: '..' }, 'kafka.topic: must not be . or ..'],
    [{ brokers: ['k:1'], retentionMs: 3_600_000 }, 'kafka.retentionMs: must be at least 7 days'],
    [{ brokers: ['k:1'], ssl: false }, 'kafka.ssl'],
    [{ brokers: ['k:1'], ssl: { ca: 'not a pem' } }, 'kafka.ssl.ca: must be PEM text'],
    [{ brokers: ['k:1'], sasl: { mechanism: 'plain', username: 'u', password: 'p' } }, "kafka.sasl.mechanism: must be 'scram-sha-512'"],
    [{ brokers: ['k:1'], sasl: { mechanism: 'scram-sha-512', username: 'u', password: '' } }, 'kafka.sasl.password: must not be empty'],
    [{ brokers: ['k:1'], requestTimeoutMs: 'soon' }, 'kafka.requestTimeoutMs'],
    [{ brokers: ['k:1'], extra: 1 }, 'extra'],
  ])('refuses %j', (input, message) => {
    expect(() => parseKafkaSettings(input)).toThrow(KafkaSettingsError);
    expect(() => parseKafkaSettings(input)).toThrow(message);
  });

  it('never echoes a password in its errors', () => {
    const secret = 'hunter2-very-secret';
    const bad = [
      { brokers: ['k:1'], sasl: { mechanism: 'scram', username: 'u', password: secret } },
      { brokers: ['k:1'], sasl: { mechanism: 'scram-sha-512', username: 'u', password: secret, extra: secret } },
      { brokers: ['k:1'], sasl: { mechanism: 'scram-sha-512', username: '', password: secret.repeat(300) } },
    ];
    for (const input of bad) {
      let message = '';
      try {
        parseKafkaSettings(input);
      } catch (err) {
        expect(err).toBeInstanceOf(KafkaSettingsError);
        message = (err as Error).message;
      }
      expect(message).toMatch(/kafka\.sasl/);
      expect(message).not.toContain(secret);
    }
  });

  it('keeps the 7-day floor as the default retention', () => {
    expect(MIN_RETENTION_MS).toBe(604_800_000);
  });
});

describe('--kafka host:port,host:port', () => {
  it('parses one or more brokers, trimming spaces', () => {
    expect(parseKafkaBrokers('127.0.0.1:9092')).toEqual(['127.0.0.1:9092']);
    expect(parseKafkaBrokers('kafka-1:9093, kafka-2.firm.internal:9093')).toEqual(['kafka-1:9093', 'kafka-2.firm.internal:9093']);
  });

  it.each([
    ['', 'must be host:port'],
    ['kafka-1', "must be host:port ('kafka-1' is not)"],
    ['kafka-1:9093,', 'an empty entry'],
    ['kafka-1:port', "port from 1 to 65535 ('kafka-1:port' is not)"],
    ['bad host:9092', 'host name or IPv4 address'],
    [':9092', 'must be host:port'],
  ])('refuses %j', (value, message) => {
    expect(() => parseKafkaBrokers(value)).toThrow(KafkaSettingsError);
    expect(() => parseKafkaBrokers(value)).toThrow(message);
  });
});

describe("kafkajs's logs and errors", () => {
  const settings = parseKafkaSettings({ brokers: ['127.0.0.1:9093'], sasl: { mechanism: 'scram-sha-512', username: 'desk7', password: 's3cret-pw' } });

  it('reach pino at warn and above, scrubbed of the password', () => {
    const { logger, lines, text } = memoryLogger('debug');
    const log = kafkaLogCreator(logger, ['s3cret-pw'])(logLevel.WARN);
    log({
      namespace: 'Connection',
      level: logLevel.ERROR,
      label: 'ERROR',
      log: { timestamp: 't', message: 'failed for s3cret-pw', broker: '127.0.0.1:9093', nested: { password: 's3cret-pw!' } },
    });
    log({ namespace: 'Producer', level: logLevel.WARN, label: 'WARN', log: { timestamp: 't', message: 'slow' } });
    log({
      namespace: 'Producer',
      level: logLevel.WARN,
      label: 'WARN',
      log: { timestamp: 't', message: 'Limiting retries for the idempotent producer may invalidate EoS guarantees' },
    });
    const [error, warn, benign] = lines();
    expect(error).toMatchObject({ level: 'error', kafkajs: 'Connection', broker: '127.0.0.1:9093', msg: 'failed for [redacted]' });
    expect(warn).toMatchObject({ level: 'warn', kafkajs: 'Producer', msg: 'slow' });
    expect(benign).toMatchObject({ level: 'debug' });
    expect(text()).not.toContain('s3cret-pw');
  });

  it('fold repeats of the same message within 30 s into a count', () => {
    let t = 0;
    const { logger, lines } = memoryLogger('debug');
    const log = kafkaLogCreator(logger, [], () => t)(logLevel.WARN);
    const refused = { namespace: 'Connection', level: logLevel.ERROR, label: 'ERROR', log: { timestamp: 't', message: 'Connection error: connect ECONNREFUSED' } };
    for (let i = 0; i < 5; i++) {
      log(refused);
      t += 1_000;
    }
    log({ ...refused, namespace: 'BrokerPool' });
    t += 30_000;
    log(refused);
    expect(lines().map((l) => [l['kafkajs'], l['repeated']])).toEqual([
      ['Connection', undefined],
      ['BrokerPool', undefined],
      ['Connection', 4],
    ]);
  });

  it('are described with the cause and a hint, never the password', () => {
    const auth = Object.assign(new Error('SASL SCRAM SHA512 authentication failed: invalid credentials (s3cret-pw)'), { name: 'KafkaJSSASLAuthenticationError' });
    const described = describeKafkaError(auth, settings);
    expect(described).toContain("credentials of user 'desk7'");
    expect(described).not.toContain('s3cret-pw');
    const tls = Object.assign(new Error('Connection error: self-signed certificate'), {
      name: 'KafkaJSNumberOfRetriesExceeded',
      cause: Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }),
    });
    expect(describeKafkaError(tls, settings)).toMatch(/self-signed certificate.*kafka\.ssl\.ca/);
    expect(describeKafkaError(new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9093'), settings)).toContain('cannot reach Kafka at 127.0.0.1:9093');
  });
});
