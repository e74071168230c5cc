// Provisions what the test command needs on a fresh machine, loudly: Kafka's jars (mvn, cached),
// Debian's Chromium and haproxy, and a Java runtime. Nothing is skipped when missing; it is installed or the run fails.
import { spawnSync } from 'node:child_process';
import { ensureChromium } from './chromium';
import { ensureHaproxy } from './haproxy';
import { ensureKafkaLibs } from './kafka/broker';

const say = (line: string) => process.stdout.write(`provision: ${line}\n`);

try {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.status !== 0) throw new Error('Java is required to run the Kafka broker: apt-get install -y openjdk-17-jre-headless');
  say(`java: ${java.stderr.split('\n')[0] ?? ''}`);
  say(`kafka jars: ${ensureKafkaLibs(say)}`);
  say(`chromium: ${ensureChromium(say)}`);
  say(`haproxy: ${ensureHaproxy(say)}`);
} catch (err) {
  process.stderr.write(`provision failed: ${(err as Error).message}\n`);
  process.exit(1);
}
