// `npm run kafka`: a development broker on 127.0.0.1 (default port 9092) until Ctrl-C.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cacheDir, ensureKafkaLibs, startKafkaBroker } from './broker';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '9092' },
    dir: { type: 'string', default: join(cacheDir(), 'kafka-dev') },
    heap: { type: 'string', default: '1g' },
  },
  strict: true,
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  process.stderr.write(`error: --port must be a port number, got ${values.port}\n`);
  process.exit(2);
}

const libs = ensureKafkaLibs((line) => process.stdout.write(`${line}\n`));
const broker = await startKafkaBroker({ libs, dir: values.dir, port, heap: values.heap, maxLifetimeSeconds: 7 * 24 * 3600 });
process.stdout.write(`Kafka ${broker.brokers.join(',')} is up (data in ${broker.dir}); Ctrl-C stops it\n`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stdout.write('stopping Kafka...\n');
    void broker.stop().then(() => process.exit(0));
  });
}
