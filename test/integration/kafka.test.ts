import { randomUUID } from 'node:crypto';
import { decode, encode } from '@msgpack/msgpack';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';

describe('the real Kafka broker', () => {
  it('round-trips a msgpack message with headers through a kafkajs producer and consumer', async () => {
    const kafka = new Kafka({ clientId: 'dualdesk-stack-test', brokers: inject('kafkaBrokers'), logLevel: logLevel.NOTHING });
    const topic = `stack-${randomUUID()}`;
    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true })).toBe(true);
    await admin.disconnect();

    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const sent = { epoch: 'e1', seq: 1, topic: 'md.quote.AAPL', data: { bid: 189.12, ask: 189.14 } };
    await producer.send({ topic, acks: -1, messages: [{ value: Buffer.from(encode(sent)), headers: { epoch: 'e1', seq: '1' } }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `g-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await new Promise<{ value: unknown; seq: string | undefined }>((resolve) => {
      void consumer.run({
        eachMessage: ({ message }) => {
          resolve({ value: decode(message.value ?? new Uint8Array()), seq: message.headers?.['seq']?.toString() });
          return Promise.resolve();
        },
      });
    });
    await consumer.disconnect();
    expect(received).toEqual({ value: sent, seq: '1' });
  });
});
