// Relays (issue 15): the desk publishes once (journal → Kafka outbox → one real broker), a relay
// (bench/lib/relay-server.ts, startRelay alone in its own process) reads the topic and serves TLS
// viewers (bench/lib/viewer-swarm.ts, their own process); the desk's own share server serves the same
// frames in the same run, as the baseline. (1) Throughput: a fixed count published as fast as the
// desk's publisher goes; delivered msg/s = messages × viewers / (mark → last arrival at any viewer),
// to 1 and to 1,000 viewers. (2) Latency desk publish → viewer at 100 msg/s with 1 viewer (the
// path's own latency), then with 1,000 viewers, relay and share server alternated. (3) Resident memory per idle viewer, each server alone in a
// fresh process. (4) The target: a relay serves 1,000 viewers at 100 msg/s with p99 < 100 ms.
//
// BENCH_RELAY_SECONDS (20; --quick 6) per latency round, BENCH_RELAY_ROUNDS (2; --quick 1) of each
// server, BENCH_RELAY_COUNT_1 (100,000; --quick 30,000) and BENCH_RELAY_COUNT_1000 (10,000; --quick
// 3,000) messages for the throughput runs. BENCH_RELAY_WINDOW="minMs:busyShare": the relay's viewer window
// (default VIEWER_WINDOW, as the share server baseline).
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { systemClock } from '../src/main/clock';
import { loadShareCertificate, RevocationPublisher, ViewerTokens } from '../src/main/share';
import { KafkaOutbox, parseKafkaSettings } from '../src/main/transport';
import { ensureKafkaLibs, startKafkaBroker } from '../scripts/kafka/broker';
import { builtScript } from './lib/built';
import { knob, report } from './lib/report';
import type { RelayServerArgs, RelayServerReply } from './lib/relay-server';
import { parseViewerWindow, startBenchShare, SWARM_COLUMNS, swarmCells, ViewerSwarm, type SwarmReport } from './lib/share-rig';
import { fmt, median, table } from './lib/stats';
import { now, paced, publishCount, silent, sleep, startDeskStream } from './lib/stream-rig';

const SECONDS = knob('BENCH_RELAY_SECONDS', 20, 6);
const ROUNDS = knob('BENCH_RELAY_ROUNDS', 2, 1);
const COUNT: Record<number, number> = { 1: knob('BENCH_RELAY_COUNT_1', 100_000, 30_000), 1_000: knob('BENCH_RELAY_COUNT_1000', 10_000, 3_000) };
const RATE = 100;
const VIEWERS = 1_000;
const TARGET_P99_MS = 100;
const RELAY_WINDOW = process.env['BENCH_RELAY_WINDOW'] ? parseViewerWindow(process.env['BENCH_RELAY_WINDOW'], 'BENCH_RELAY_WINDOW') : undefined;

type Server = 'relay' | 'share';
const NAMES: Record<Server, string> = { relay: 'relay (Kafka → relay process → viewers)', share: "desk's share server (baseline)" };

/** A server child (the relay, or the share server's memory child): forked, its replies awaited by type. */
class ServerChild {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly token: string | undefined,
  ) {}

  static async fork(script: string, arg: string): Promise<ServerChild> {
    const profile = process.env['BENCH_RELAY_PROFILE'];
    const execArgv = profile ? ['--cpu-prof', '--cpu-prof-dir', profile] : [];
    const child = fork(await builtScript(new URL(script, import.meta.url)), [arg], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const { url, token } = await next(child, 'listening');
    return new ServerChild(child, url, token);
  }

  async ask<T extends 'rss' | 'cpu'>(what: T extends 'rss' ? 'measure' : 'cpu', type: T): Promise<Extract<RelayServerReply, { type: T }>> {
    const reply = next(this.child, type);
    this.child.send(what);
    return reply;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    if (this.child.connected) this.child.disconnect();
    await exited;
  }
}

function next<T extends RelayServerReply['type']>(child: ChildProcess, type: T): Promise<Extract<RelayServerReply, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`a server child exited (${code}) before answering ${type}`));
    const on = (m: RelayServerReply) => {
      if (m.type !== type) return;
      child.off('message', on);
      child.off('exit', onExit);
      resolve(m as Extract<RelayServerReply, { type: T }>);
    };
    child.on('message', on);
    child.once('exit', onExit);
  });
}

/** Waits until the viewers have `expected` messages since the mark, or nothing arrived for 5 s. */
async function drained(swarm: ViewerSwarm, expected: number): Promise<SwarmReport> {
  let last = await swarm.report();
  let since = now();
  for (;;) {
    if (last.delivered >= expected || now() - since > 5_000) return last;
    await sleep(50);
    const r = await swarm.report();
    if (r.delivered > last.delivered) since = now();
    last = r;
  }
}

interface ThroughputRun {
  readonly server: Server;
  readonly viewers: number;
  readonly published: number;
  readonly report: SwarmReport;
  /** Delivered msg/s at the viewers: messages × viewers / (mark → last arrival). */
  readonly delivered: number;
  /** Messages per second out of the desk's publisher (publish of the first → the last issued). */
  readonly publishRate: number;
  /** The relay process's CPU over the run, ms (NaN for the share server, which shares the desk's process). */
  readonly relayCpuMs: number;
}

interface LatencyRound {
  readonly server: Server;
  readonly viewers: number;
  readonly report: SwarmReport;
  readonly published: number;
  /** The relay process's CPU over the round, in cores (NaN for the share server). */
  readonly relayCpu: number;
  /** The whole machine's busy cores over the round (every process: desk, broker, relay, viewers). */
  readonly machineCpu: number;
}

const started = now();
const dir = mkdtempSync(join(tmpdir(), 'dualdesk-bench-relay-'));
const libs = ensureKafkaLibs((line) => process.stderr.write(`${line}\n`));
const broker = await startKafkaBroker({ libs, heap: '1g', maxLifetimeSeconds: 1_200 });
const brokerSeconds = (now() - started) / 1000;
const swarm = await ViewerSwarm.start();
const throughput: ThroughputRun[] = [];
const latency: LatencyRound[] = [];
const kibPerViewer: Record<Server, number> = { relay: Number.NaN, share: Number.NaN };
const topic = `bench-relay-${randomBytes(4).toString('hex')}`;
try {
  const certificate = await loadShareCertificate({ dataDir: dir });
  const tokens = await ViewerTokens.open(dir);
  const { token } = await tokens.create({ scope: ['market'], ttlMs: 3_600_000, label: 'bench' });
  const publicKeyPem = tokens.publicKeyPem();
  const desk = await startDeskStream(join(dir, 'paper-stream.db'));
  // As the desk does: the epoch carries the revocation list (empty here), or no relay admits viewers.
  const revocations = new RevocationPublisher(tokens, silent, systemClock);
  revocations.setSource({ journal: desk.journal, publisher: desk.publisher });
  const share = await startBenchShare(certificate, tokens, { journal: desk.journal, publisher: desk.publisher });
  const outbox = new KafkaOutbox({
    journal: desk.journal,
    onCommitted: (l) => desk.publisher.onCommitted(l),
    settings: parseKafkaSettings({ brokers: broker.brokers, topic }),
    logger: silent,
    metrics: new Registry(),
  });
  await outbox.start();
  // Warm-up: the topic exists and holds an epoch before the relay starts (a fresh JVM is slow at first).
  await publishCount(desk.sink, 20_000);
  await outbox.whenAcked(desk.sink.issued);
  const relay = await ServerChild.fork(
    './lib/relay-server.ts',
    JSON.stringify({ brokers: broker.brokers, topic, publicKeyPem, ...(RELAY_WINDOW ? { viewerWindow: RELAY_WINDOW } : {}) } satisfies RelayServerArgs),
  );
  const urls: Record<Server, string> = { relay: relay.url, share: `wss://127.0.0.1:${share.address().port}/stream` };
  try {
    // (1) Throughput, relay then share server at each viewer count, the same count of messages.
    for (const viewers of [1, VIEWERS]) {
      for (const server of ['relay', 'share'] as const) {
        await swarm.connect(urls[server], viewers, { token, dualdesk: true });
        const cpu0 = (await relay.ask('cpu', 'cpu')).ms;
        await swarm.mark();
        const t0 = now();
        const n = COUNT[viewers] as number;
        await publishCount(desk.sink, n);
        const publishRate = (n / (now() - t0)) * 1000;
        const r = await drained(swarm, n * viewers);
        const cpu1 = (await relay.ask('cpu', 'cpu')).ms;
        await outbox.whenAcked(desk.sink.issued);
        throughput.push({
          server,
          viewers,
          published: n,
          report: r,
          delivered: (r.delivered / r.lastMs) * 1000,
          publishRate,
          relayCpuMs: server === 'relay' ? cpu1 - cpu0 : Number.NaN,
        });
        await swarm.disconnect();
      }
    }
    // (2) Latency at 100 msg/s: 1 viewer (the path's own latency: outbox, Kafka, the relay's fetch), then 1,000, alternated.
    for (const viewers of [1, ...Array<number>(ROUNDS).fill(VIEWERS)]) {
      for (const server of ['relay', 'share'] as const) {
        await swarm.connect(urls[server], viewers, { token, dualdesk: true });
        await sleep(500); // the last snapshots sent
        const cpu0 = (await relay.ask('cpu', 'cpu')).ms;
        const machine0 = busyCoreMs();
        await swarm.mark();
        const t0 = now();
        const published = await paced(desk.sink, RATE, SECONDS * 1_000);
        const r = await drained(swarm, published * viewers);
        const relayCpu = ((await relay.ask('cpu', 'cpu')).ms - cpu0) / (now() - t0);
        const machineCpu = (busyCoreMs() - machine0) / (now() - t0);
        latency.push({ server, viewers, report: r, published, relayCpu: server === 'relay' ? relayCpu : Number.NaN, machineCpu });
        await swarm.disconnect();
      }
    }
  } finally {
    await relay.stop();
  }
  // (3) Memory per idle viewer: a fresh relay process (on the same topic), then the share server's memory child.
  const idle = async (child: ServerChild): Promise<number> => {
    try {
      const before = (await child.ask('measure', 'rss')).rss;
      await swarm.connect(child.url, VIEWERS, { dualdesk: true, token: child.token ?? token });
      const after = (await child.ask('measure', 'rss')).rss;
      await swarm.disconnect();
      return (after - before) / VIEWERS;
    } finally {
      await child.stop();
    }
  };
  kibPerViewer.relay =
    (await idle(await ServerChild.fork('./lib/relay-server.ts', JSON.stringify({ brokers: broker.brokers, topic, publicKeyPem } satisfies RelayServerArgs)))) / 1024;
  kibPerViewer.share = (await idle(await ServerChild.fork('./lib/share-memory-server.ts', 'dualdesk'))) / 1024;
  await outbox.stop();
  await share.stop();
  revocations.close();
  await desk.close();
  tokens.close();
} finally {
  swarm.stop();
  await broker.destroy();
  rmSync(dir, { recursive: true, force: true });
}

/** CPU time every core has spent busy since boot, ms (the machine's load, whatever the process). */
function busyCoreMs(): number {
  return cpus().reduce((sum, c) => sum + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0);
}

// --- report ---------------------------------------------------------------------------------------

const tp = (server: Server, viewers: number) => throughput.find((t) => t.server === server && t.viewers === viewers) as ThroughputRun;
const lat = (server: Server, f: (r: SwarmReport) => number, viewers = VIEWERS) =>
  median(latency.filter((l) => l.server === server && l.viewers === viewers).map((l) => f(l.report)));
const relayRounds = latency.filter((l) => l.server === 'relay' && l.viewers === VIEWERS);
for (const viewers of [1, VIEWERS])
  report({ figure: `relay.throughput.${viewers}`, unit: 'msg/s delivered', value: tp('relay', viewers).delivered, baseline: tp('share', viewers).delivered });
report({ figure: 'relay.latency.1.p50', unit: 'ms', value: lat('relay', (r) => r.p50, 1), baseline: lat('share', (r) => r.p50, 1) });
report({ figure: 'relay.latency.1000.p50', unit: 'ms', value: lat('relay', (r) => r.p50), baseline: lat('share', (r) => r.p50) });
report({ figure: 'relay.latency.1000.p99', unit: 'ms', value: lat('relay', (r) => r.p99), baseline: lat('share', (r) => r.p99) });
report({ figure: 'relay.cpu.1000', unit: 'cores', value: median(relayRounds.map((l) => l.relayCpu)) });
report({ figure: 'relay.kib_per_idle_viewer', unit: 'KiB', value: kibPerViewer.relay, baseline: kibPerViewer.share });

// The target holds only if it holds in every round: the worst round's p99, not a middle one.
const relayP99 = Math.max(...relayRounds.map((l) => l.report.p99));
const relayGaps = relayRounds.reduce((n, l) => n + l.report.gaps, 0);
const allDelivered = relayRounds.every((l) => l.report.delivered >= l.published * VIEWERS);
const met = relayP99 < TARGET_P99_MS && relayGaps === 0 && allDelivered;
const closes = (r: SwarmReport) =>
  Object.entries(r.closeCodes)
    .map(([c, n]) => `${n} × ${c}`)
    .join(', ') || 'none';

process.stdout.write(
  `## relay throughput: a fixed count published as fast as the desk's publisher goes (journal → Kafka outbox → relay → viewers; the share server from the same journal)\n\n` +
    table(
      ['server', 'viewers', 'messages', 'desk publish msg/s', 'delivered', 'delivered msg/s (× viewers)', 'relay CPU s', 'latency p50 / p99 ms', 'gaps', 'closed'],
      throughput.map((t) => [
        NAMES[t.server],
        t.viewers,
        t.published,
        Math.round(t.publishRate),
        `${t.report.delivered} / ${t.published * t.viewers}`,
        Math.round(t.delivered),
        Number.isNaN(t.relayCpuMs) ? '—' : fmt(t.relayCpuMs / 1000, 2),
        `${fmt(t.report.p50, 0)} / ${fmt(t.report.p99, 0)}`,
        t.report.gaps,
        closes(t.report),
      ]),
    ) +
    `\n\n## relay latency: desk publish → TLS viewer at ${RATE} msg/s for ${SECONDS} s, 1 viewer then ${VIEWERS.toLocaleString('en')} viewers (${ROUNDS} round(s) each, alternated; the same frames)\n\n` +
    table(
      ['server', 'viewers', ...SWARM_COLUMNS, 'relay CPU % of a core', "viewers' process CPU % of a core", `machine busy cores (of ${cpus().length})`],
      latency.map((l) => [
        NAMES[l.server],
        l.viewers,
        ...swarmCells(l.report, l.published * l.viewers),
        Number.isNaN(l.relayCpu) ? '—' : fmt(l.relayCpu * 100, 1),
        fmt((l.report.cpuMs / l.report.elapsedMs) * 100, 1),
        fmt(l.machineCpu, 2),
      ]),
    ) +
    `\n\n## relay: resident memory per idle viewer (${VIEWERS.toLocaleString('en')} viewers, each server alone in a fresh process)\n\n` +
    table(
      ['server', 'KiB / idle viewer'],
      [
        ['relay', fmt(kibPerViewer.relay, 1)],
        ["desk's share server (baseline)", fmt(kibPerViewer.share, 1)],
      ],
    ) +
    `\n\nTarget: a relay serves ${VIEWERS.toLocaleString('en')} viewers at ${RATE} msg/s with p99 < ${TARGET_P99_MS} ms from the desk's publish, no gap, all delivered: ` +
    `**${met ? 'met' : 'not met'}** (p99 ${fmt(relayP99, 1)} ms in the worst of ${relayRounds.length} round(s); ${relayGaps} gaps; ${allDelivered ? 'all delivered' : 'not all delivered'}).\n\n` +
    `One broker (Kafka 3.9.1, KRaft, 1 GiB heap) started in ${fmt(brokerSeconds, 1)} s; desk, share server and outbox in this process, the relay and the viewers each in their own, all on the same cores. Machine load (1-minute average) at the end: ${loadavg()[0]?.toFixed(2)}.\n`,
);
