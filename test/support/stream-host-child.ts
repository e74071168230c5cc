// The publisher process of the crash tests: a stream host publishing numbered messages until its head
// reaches `until`, then idle. It prints its port, then the committed head as it grows. Killed with SIGKILL.
import { parseKafkaSettings } from '../../src/main/transport';
import { startStreamHost } from './stream-host';

const { dir, port, kafka, until, run } = JSON.parse(process.argv[2] ?? '{}') as { dir: string; port: number; kafka: unknown; until: number; run: number };
const host = await startStreamHost({ dir, port, kafka: parseKafkaSettings(kafka) });
process.stdout.write(`${JSON.stringify({ port: host.port, head: host.journal.head, epoch: host.journal.epoch })}\n`);
host.publisher.onCommitted((b) => process.stdout.write(`${JSON.stringify({ head: b.frames.at(-1)?.seq })}\n`));
let n = 0;
// Steady load (about 20,000 a second) until the head reaches `until`; each message says which run sent it.
while (host.journal.head + 200 <= until) {
  for (let i = 0; i < 200; i++) host.publisher.publish(`md.quote.S${n % 5}`, { run, n: n++ });
  await host.publisher.flush();
  await new Promise((r) => setTimeout(r, 10));
}
const rest = until - host.journal.head;
for (let i = 0; i < rest; i++) host.publisher.publish(`md.quote.S${n % 5}`, { run, n: n++ });
await host.publisher.flush();
process.stdout.write(`${JSON.stringify({ done: host.journal.head })}\n`);
