// A real single-node Apache Kafka broker (KRaft) for tests, benchmarks and development.
// Jars come from Maven Central through `mvn` and are cached; the broker runs on the machine's Java
// on 127.0.0.1 only, and dies with the process that started it (see WATCHDOG below).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';

export const KAFKA_VERSION = '3.9.1';

/** Where fetched jars are kept between runs (DUALDESK_CACHE_DIR overrides). */
export function cacheDir(): string {
  return process.env['DUALDESK_CACHE_DIR'] ?? join(homedir(), '.cache', 'dualdesk');
}

const POM = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dualdesk</groupId>
  <artifactId>kafka-broker-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>${KAFKA_VERSION}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
    <dependency><groupId>ch.qos.reload4j</groupId><artifactId>reload4j</artifactId><version>1.2.25</version></dependency>
  </dependencies>
</project>
`;

function requireTool(cmd: string, args: string[], hint: string): void {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  if (r.error || r.status !== 0) throw new Error(`${cmd} is required but not usable here: ${hint}`);
}

/** Fetches Kafka's runtime jars once (with `mvn`) and returns the folder holding them. */
export function ensureKafkaLibs(log: (line: string) => void = () => undefined): string {
  const base = join(cacheDir(), `kafka_2.13-${KAFKA_VERSION}`);
  const libs = join(base, 'libs');
  if (existsSync(join(base, '.complete'))) return libs;

  requireTool('mvn', ['-v'], 'install Maven (apt-get install -y maven) to fetch Kafka from Maven Central');
  mkdirSync(base, { recursive: true });
  const work = mkdtempSync(join(base, 'fetch-'));
  try {
    writeFileSync(join(work, 'pom.xml'), POM);
    log(`fetching Apache Kafka ${KAFKA_VERSION} from Maven Central into ${libs}`);
    const r = spawnSync(
      'mvn',
      [
        '-B', '-q', '-f', join(work, 'pom.xml'),
        // Named explicitly: Maven 3.8 otherwise resolves an ancient dependency plugin.
        'org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies',
        '-DincludeScope=runtime', `-DoutputDirectory=${join(work, 'libs')}`,
      ],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    if (r.status !== 0) {
      throw new Error(`mvn could not fetch Kafka ${KAFKA_VERSION} (exit ${r.status ?? r.signal}):\n${(r.stdout + r.stderr).slice(-4000)}`);
    }
    rmSync(libs, { recursive: true, force: true });
    renameSync(join(work, 'libs'), libs);
    writeFileSync(join(base, '.complete'), `${new Date().toISOString()}\n`);
    return libs;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** A Kafka cluster id: 16 random bytes, base64url, never starting with '-' (Kafka's own rule). */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

// Runs the JVM under a shell that keeps our end of a pipe on fd 3. When this Node process dies for
// any reason the pipe closes, `read` returns, and the broker gets SIGTERM. `timeout` bounds its life.
const WATCHDOG =
  'exec 3<&0 </dev/null; timeout -k 10 "$0" "$@" & child=$!; ' +
  '{ read -r _ <&3; kill -TERM "$child" 2>/dev/null; } & watcher=$!; ' +
  'wait "$child"; code=$?; kill "$watcher" 2>/dev/null; exit "$code"';

export interface BrokerOptions {
  /** The folder of jars from ensureKafkaLibs(). */
  readonly libs: string;
  /** Broker state (config, logs, data); a fresh temporary folder when absent. Reuse it to restart with data kept. */
  readonly dir?: string;
  readonly port?: number;
  readonly controllerPort?: number;
  /** JVM heap, e.g. '512m' for tests, '1g' for benchmarks. */
  readonly heap?: string;
  /** Hard bound on the broker's life, in seconds (default 2 h). */
  readonly maxLifetimeSeconds?: number;
  /** Extra server.properties lines. */
  readonly properties?: Readonly<Record<string, string>>;
  readonly startTimeoutMs?: number;
}

export interface KafkaBroker {
  readonly brokers: string[];
  readonly port: number;
  readonly controllerPort: number;
  readonly dir: string;
  /** Graceful stop (SIGTERM, then SIGKILL after 20 s). Data stays in `dir`. */
  stop(): Promise<void>;
  /** Stop and delete the broker's folder if it was a temporary one. */
  destroy(): Promise<void>;
}

export async function startKafkaBroker(options: BrokerOptions): Promise<KafkaBroker> {
  requireTool('java', ['-version'], 'install a Java 17 runtime (apt-get install -y openjdk-17-jre-headless)');
  const temporary = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'dualdesk-kafka-'));
  const port = options.port ?? (await freePort());
  const controllerPort = options.controllerPort ?? (await freePort());
  const heap = options.heap ?? '512m';
  mkdirSync(join(dir, 'data'), { recursive: true });

  const props: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': join(dir, 'data'),
    'num.partitions': '1',
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'group.initial.rebalance.delay.ms': '0',
    'auto.create.topics.enable': 'false',
    ...options.properties,
  };
  const propsFile = join(dir, 'server.properties');
  writeFileSync(propsFile, Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  const log4j = join(dir, 'log4j.properties');
  writeFileSync(
    log4j,
    [
      'log4j.rootLogger=WARN, stdout',
      'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
      'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
    ].join('\n') + '\n',
  );
  const jvm = [`-Xms${heap}`, `-Xmx${heap}`, '-XX:+UseSerialGC', '-Djava.awt.headless=true', `-Dlog4j.configuration=file:${log4j}`];
  const classpath = ['-cp', `${options.libs}/*`];

  const metaFile = join(dir, 'data', 'meta.properties');
  if (!existsSync(metaFile)) {
    const r = spawnSync('java', [...jvm, ...classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', propsFile, '--ignore-formatted'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`Kafka storage format failed:\n${(r.stdout + r.stderr).slice(-4000)}`);
  }

  const logFile = join(dir, 'broker.log');
  const logFd = openSync(logFile, 'a');
  const lifetime = String(options.maxLifetimeSeconds ?? 7200);
  const child: ChildProcess = spawn('sh', ['-c', WATCHDOG, lifetime, 'java', ...jvm, ...classpath, 'kafka.Kafka', propsFile], {
    stdio: ['pipe', logFd, logFd],
    detached: true,
  });
  closeSync(logFd);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const brokers = [`127.0.0.1:${port}`];
  try {
    await waitForBroker(brokers, port, exited, options.startTimeoutMs ?? 90_000);
  } catch (err) {
    killGroup(child, 'SIGKILL');
    const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-4000) : '';
    throw new Error(`${(err as Error).message}\n--- broker log (${logFile}) ---\n${tail}`, { cause: err });
  }

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin?.end(); // the watchdog turns this into SIGTERM
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    })();
    return stopped;
  };
  return {
    brokers,
    port,
    controllerPort,
    dir,
    stop,
    async destroy() {
      await stop();
      if (temporary) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

async function waitForBroker(brokers: string[], port: number, exited: Promise<number | null>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dead = false;
  void exited.then(() => (dead = true));
  const check = (what: string) => {
    if (dead) throw new Error(`Kafka broker exited during startup (${what})`);
    if (Date.now() > deadline) throw new Error(`Kafka broker not ready within ${timeoutMs} ms (${what})`);
  };
  while (!(await canConnect(port))) {
    check('waiting for its port');
    await new Promise((r) => setTimeout(r, 200));
  }
  const admin = new Kafka({ clientId: 'dualdesk-broker-check', brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
  for (;;) {
    try {
      await admin.connect();
      await admin.describeCluster();
      await admin.disconnect();
      return;
    } catch {
      await admin.disconnect().catch(() => undefined);
      check('waiting for the cluster metadata');
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
