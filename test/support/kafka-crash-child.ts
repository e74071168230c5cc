// A desk process for the outbox crash test (kafka-outbox.test.ts): journal + publisher + outbox,
// publishing in bursts; every commit reports {acked, head} on stdout. The test SIGKILLs it.
import { Registry } from 'prom-client';
import { createLogger } from '../../src/main/ops';
import { KafkaOutbox, parseKafkaSettings } from '../../src/main/transport/kafka';
import { openStream } from './kafka';

const [dir, settingsJson] = process.argv.slice(2);
if (dir === undefined || settingsJson === undefined) throw new Error('usage: kafka-crash-child <dir> <settings-json>');
const settings = parseKafkaSettings(JSON.parse(settingsJson));
const { journal, publisher } = await openStream(dir);
const logger = createLogger({ level: 'warn', destination: process.stderr });
const outbox = new KafkaOutbox({ journal, onCommitted: (l) => publisher.onCommitted(l), settings, logger, metrics: new Registry() });
await outbox.start();
publisher.onCommitted(() => process.stdout.write(`${JSON.stringify({ acked: journal.kafkaAcked, head: journal.head })}\n`));
for (let i = 0; ; i++) {
  // Bursts of 3,000 (several commits and sends each), until killed.
  for (let j = 0; j < 3_000; j++) publisher.publish(`md.quote.S${j % 5}`, { i, j });
  await new Promise((r) => setTimeout(r, 5));
}
