// A stream publisher host without the rest of the desk: journal + publisher + WebSocket server on a
// loopback port (+ the Kafka outbox when given settings). Its WebSocket side can be taken away and
// brought back on the same port, and it runs as a child process where a test needs to SIGKILL it.
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { systemClock } from '../../src/main/clock';
import { createLogger, type Logger } from '../../src/main/ops';
import { createStreamMetrics, KafkaOutbox, StreamJournal, StreamPublisher, StreamServer, type KafkaOutboxOptions, type KafkaSettings } from '../../src/main/transport';
import { streamFaults } from './faults';

export const HOST_TOKEN = 'stream-host-test-token';

export interface StreamHost {
  readonly journal: StreamJournal;
  readonly publisher: StreamPublisher;
  readonly server: StreamServer;
  /** The server's fault drill: drops, lost frames, stalls, unanswered replays on demand. */
  readonly faults: ReturnType<typeof streamFaults>;
  readonly outbox: KafkaOutbox | undefined;
  readonly metrics: Registry;
  readonly port: number;
  readonly url: string;
  readonly token: string;
  /** Closes every WebSocket and stops listening: connections to the port are refused. */
  stopWebSocket(): Promise<void>;
  /** Listens on the same port again. */
  startWebSocket(): Promise<void>;
  close(): Promise<void>;
}

export interface StreamHostOptions {
  readonly dir: string;
  readonly port?: number;
  readonly kafka?: KafkaSettings;
  /** Outbox tuning (e.g. shorter retries in tests). */
  readonly outbox?: Pick<KafkaOutboxOptions, 'backoff' | 'breaker'>;
  readonly logger?: Logger;
  /** Stamps messages this much in the past, as a publisher whose messages reach subscribers late would look. */
  readonly lateByMs?: number;
}

export async function startStreamHost(options: StreamHostOptions): Promise<StreamHost> {
  const logger = options.logger ?? createLogger({ level: 'silent' });
  const metrics = new Registry();
  const journal = await StreamJournal.open(join(options.dir, 'stream.db'));
  const lateBy = options.lateByMs ?? 0;
  const clock = lateBy === 0 ? systemClock : { ...systemClock, now: () => Date.now() - lateBy };
  const publisher = new StreamPublisher({ journal, clock, logger, metrics: createStreamMetrics(metrics) });
  const faults = streamFaults();
  const server = new StreamServer({ logger, metrics, clock: systemClock, authorize: (t) => (t === HOST_TOKEN ? { who: 'test' } : undefined), faults });
  server.setSource({ journal, publisher });
  const outbox = options.kafka
    ? new KafkaOutbox({ journal, onCommitted: (l) => publisher.onCommitted(l), settings: options.kafka, logger, metrics, ...options.outbox })
    : undefined;
  await outbox?.start();

  let http: Server | undefined;
  let port = options.port ?? 0;
  const listen = async () => {
    const s = createServer((_req, res) => res.writeHead(404).end());
    s.on('upgrade', (req, socket, head) => {
      socket.on('error', () => undefined);
      const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
      server.handleUpgrade(req, socket, head, bearer);
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.address() as { port: number }).port;
    http = s;
  };
  const unlisten = async () => {
    const s = http;
    http = undefined;
    if (!s) return;
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    await server.closeConnections();
    s.closeAllConnections();
    await closed;
  };
  await listen();

  return {
    journal,
    publisher,
    server,
    faults,
    outbox,
    metrics,
    get port() {
      return port;
    },
    get url() {
      return `ws://127.0.0.1:${port}/stream`;
    },
    token: HOST_TOKEN,
    stopWebSocket: unlisten,
    startWebSocket: listen,
    async close() {
      await unlisten();
      await server.close();
      await publisher.close();
      await outbox?.stop();
      await journal.close();
    },
  };
}
