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
        '-B',
        '-q',
        '-f',
        join(work, 'pom.xml'),
        // Named explicitly: Maven 3.8 otherwise resolves an ancient dependency plugin.
        'org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${join(work, 'libs')}`,
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

/**
 * The client listener's security. CONTROLLER and the inter-broker listener stay PLAINTEXT (a second,
 * internal port on 127.0.0.1) so the broker never needs client credentials of its own.
 * - plaintext: PLAINTEXT (the default);
 * - sasl-scram: SASL_PLAINTEXT with SCRAM-SHA-512, the credentials added when the storage is formatted;
 * - tls: SSL with a self-signed certificate (SAN 127.0.0.1 and localhost) in a PKCS12 keystore made by keytool.
 */
export type BrokerSecurity = 'plaintext' | 'sasl-scram' | 'tls';

export interface ScramCredentials {
  readonly mechanism: 'scram-sha-512';
  readonly username: string;
  readonly password: string;
}

/** What a kafkajs client needs to reach the broker. */
export interface BrokerClientConfig {
  readonly brokers: string[];
  /** TLS: the PEM to trust (the broker's self-signed certificate is its own CA). */
  readonly ssl?: { readonly ca: string };
  readonly sasl?: ScramCredentials;
}

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
  /** The client listener's security (default 'plaintext'). Restart a broker with the same value. */
  readonly security?: BrokerSecurity;
  /** The SCRAM user for 'sasl-scram' (default: user 'dualdesk' with a random password kept in `dir`). */
  readonly scram?: { readonly username: string; readonly password: string };
  /** The internal PLAINTEXT port for 'sasl-scram' and 'tls' (inter-broker only); reuse it to restart on the same `dir`. */
  readonly internalPort?: number;
}

export interface KafkaBroker {
  readonly brokers: string[];
  readonly security: BrokerSecurity;
  /** brokers, ssl and sasl, ready for `new Kafka({ ...broker.client })`. */
  readonly client: BrokerClientConfig;
  /** The internal PLAINTEXT listener of a secured broker (undefined for 'plaintext'). */
  readonly internalPort: number | undefined;
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

  const security = options.security ?? 'plaintext';
  const internalPort = security === 'plaintext' ? undefined : (options.internalPort ?? (await freePort()));
  const secured = securityFor(security, dir, port, internalPort, options.scram);

  const props: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: `${secured.listeners},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': secured.listeners,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': `${secured.protocolMap},CONTROLLER:PLAINTEXT`,
    'log.dirs': join(dir, 'data'),
    'num.partitions': '1',
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'group.initial.rebalance.delay.ms': '0',
    'auto.create.topics.enable': 'false',
    ...secured.properties,
    ...options.properties,
  };
  const propsFile = join(dir, 'server.properties');
  writeFileSync(
    propsFile,
    Object.entries(props)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
  );
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
    const scram = secured.client.sasl ? ['--add-scram', `SCRAM-SHA-512=[name=${secured.client.sasl.username},password=${secured.client.sasl.password}]`] : [];
    const r = spawnSync('java', [...jvm, ...classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', propsFile, '--ignore-formatted', ...scram], {
      encoding: 'utf8',
    });
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
  const client: BrokerClientConfig = { brokers, ...secured.client };
  try {
    await waitForBroker(client, port, exited, options.startTimeoutMs ?? 90_000);
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
    security,
    client,
    internalPort,
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

async function waitForBroker(client: BrokerClientConfig, port: number, exited: Promise<number | null>, timeoutMs: number): Promise<void> {
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
  const admin = new Kafka({
    clientId: 'dualdesk-broker-check',
    brokers: client.brokers,
    ...(client.ssl ? { ssl: { ca: [client.ssl.ca] } } : {}),
    ...(client.sasl ? { sasl: client.sasl } : {}),
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  }).admin();
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

interface SecuredListeners {
  /** The broker listeners (client and, when secured, the internal PLAINTEXT one). */
  readonly listeners: string;
  readonly protocolMap: string;
  readonly properties: Record<string, string>;
  readonly client: Omit<BrokerClientConfig, 'brokers'>;
}

function securityFor(security: BrokerSecurity, dir: string, port: number, internalPort: number | undefined, scram: BrokerOptions['scram']): SecuredListeners {
  const internal = `PLAINTEXT://127.0.0.1:${internalPort ?? 0}`;
  switch (security) {
    case 'plaintext':
      return { listeners: `PLAINTEXT://127.0.0.1:${port}`, protocolMap: 'PLAINTEXT:PLAINTEXT', properties: {}, client: {} };
    case 'sasl-scram': {
      const credentials = scram ?? savedSecret(join(dir, 'scram-credentials.json'), () => ({ username: 'dualdesk', password: randomBytes(18).toString('base64url') }));
      if (!/^[A-Za-z0-9_.-]+$/.test(credentials.username) || !/^[A-Za-z0-9_.~-]+$/.test(credentials.password)) {
        // The format tool's --add-scram syntax has no escaping for ',', '=', ']' and the like.
        throw new Error('test-broker SCRAM usernames and passwords must be letters, digits, . _ - (and ~ in passwords)');
      }
      return {
        listeners: `SASL_PLAINTEXT://127.0.0.1:${port},${internal}`,
        protocolMap: 'SASL_PLAINTEXT:SASL_PLAINTEXT,PLAINTEXT:PLAINTEXT',
        properties: {
          'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
          'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
        },
        client: { sasl: { mechanism: 'scram-sha-512', username: credentials.username, password: credentials.password } },
      };
    }
    case 'tls': {
      const tls = ensureKeystore(join(dir, 'tls'));
      return {
        listeners: `SSL://127.0.0.1:${port},${internal}`,
        protocolMap: 'SSL:SSL,PLAINTEXT:PLAINTEXT',
        properties: {
          'ssl.keystore.type': 'PKCS12',
          'ssl.keystore.location': tls.keystore,
          'ssl.keystore.password': tls.password,
          'ssl.key.password': tls.password,
          'ssl.client.auth': 'none',
        },
        client: { ssl: { ca: tls.pem } },
      };
    }
  }
}

/** A secret generated once per broker folder and reused when the broker restarts on it. */
function savedSecret<T>(file: string, create: () => T): T {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as T;
  const value = create();
  writeFileSync(file, JSON.stringify(value), { mode: 0o600 });
  return value;
}

/** A self-signed certificate for 127.0.0.1 and localhost in a PKCS12 keystore (kept in `dir` for restarts), and its PEM. */
function ensureKeystore(dir: string): { keystore: string; password: string; pem: string } {
  const keystore = join(dir, 'broker.p12');
  const pemFile = join(dir, 'broker.pem');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { password } = savedSecret(join(dir, 'password.json'), () => ({ password: randomBytes(18).toString('base64url') }));
  if (existsSync(keystore) && existsSync(pemFile)) return { keystore, password, pem: readFileSync(pemFile, 'utf8') };
  requireTool('keytool', ['-help'], "install a JDK's keytool (apt-get install -y openjdk-17-jre-headless)");
  rmSync(keystore, { force: true });
  const run = (args: string[]): string => {
    const r = spawnSync('keytool', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`keytool ${args[0] ?? ''} failed:\n${(r.stdout + r.stderr).slice(-2000)}`);
    return r.stdout;
  };
  const store = ['-keystore', keystore, '-storetype', 'PKCS12', '-storepass', password];
  run([
    '-genkeypair',
    '-alias',
    'broker',
    '-keyalg',
    'EC',
    '-groupname',
    'secp256r1',
    '-validity',
    '30',
    '-dname',
    'CN=localhost',
    '-ext',
    'SAN=dns:localhost,ip:127.0.0.1',
    '-keypass',
    password,
    ...store,
  ]);
  const pem = run(['-exportcert', '-rfc', '-alias', 'broker', ...store]);
  writeFileSync(pemFile, pem);
  return { keystore, password, pem };
}
