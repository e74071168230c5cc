// A child process for the relay benchmark: one relay (startRelay, TLS 1.3, the desk's public key)
// reading the stream's topic, alone in its process as it runs in production. Argument: the JSON of
// RelayServerArgs. It sends {url} once caught up (viewers are admitted), answers 'measure' with its
// resident set after full collections (as ./share-memory-server.ts does) and 'cpu' with its CPU time
// so far; it stops when the IPC channel closes. BENCH_RELAY_PROFILE=<dir>: the parent runs it with --cpu-prof.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Registry } from 'prom-client';
import { startRelay, type ViewerWindow } from '../../src/main/share';
import { parseKafkaSettings } from '../../src/main/transport';
import type { MemoryServerReply } from './share-memory-server';
import { silent, sleep } from './stream-rig';

export interface RelayServerArgs {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly publicKeyPem: string;
  /** The relay's viewer window (default VIEWER_WINDOW). */
  readonly viewerWindow?: ViewerWindow;
}

export type RelayServerReply = MemoryServerReply | { readonly type: 'cpu'; readonly ms: number };

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const args = JSON.parse(process.argv[2] ?? '{}') as RelayServerArgs;
const dir = mkdtempSync(join(tmpdir(), 'dualdesk-bench-relay-'));
const send = (m: RelayServerReply) => process.send?.(m);

const relay = await startRelay({
  kafka: parseKafkaSettings({ brokers: args.brokers, topic: args.topic }),
  topic: args.topic,
  host: '127.0.0.1',
  port: 0,
  publicKeyPem: args.publicKeyPem,
  dataDir: dir,
  opsPort: 0,
  limits: { maxConnectionsPerAddress: 5_000, connectionsPerSecond: 10_000 },
  logger: silent,
  metrics: new Registry(),
  ...(args.viewerWindow ? { viewerWindow: args.viewerWindow } : {}),
});
// Viewers are admitted once the relay is ready: caught up with the topic and holding the epoch's revocation list.
while ((await fetch(`${relay.opsUrl}/ready`)).status !== 200) await sleep(50);
send({ type: 'listening', url: `${relay.url.replace(/^https:/, 'wss:').replace(/\/$/, '')}/stream` });

process.on('message', (m: string) => {
  if (m === 'cpu') {
    const { user, system } = process.cpuUsage();
    send({ type: 'cpu', ms: (user + system) / 1000 });
    return;
  }
  if (m !== 'measure') return;
  void (async () => {
    for (let i = 0; i < 3; i++) {
      gc();
      await sleep(200);
    }
    const u = process.memoryUsage();
    send({ type: 'rss', rss: u.rss, heap: u.heapUsed, external: u.external });
  })();
});
process.on('disconnect', () => {
  void relay.stop().finally(() => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
});
