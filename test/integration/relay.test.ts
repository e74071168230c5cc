// `dualdesk relay` end to end: a desk (`serve --demo`, the built CLI) publishing its stream to a real
// Kafka broker, relays (the built CLI) reading it, TLS viewers with tokens the desk minted.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';
import WebSocket from 'ws';
import { VIEWER_TOKEN_PROTOCOL_PREFIX, type Order, type ViewerScope } from '../../src/shared';
import { decodeFrames, encodeFrame, STREAM_PROTOCOL, topicMatcher, type DataFrame, type ServerFrame } from '../../src/shared/stream';
import { viewOf } from '../../src/main/share';
import { freePort } from '../../scripts/kafka/broker';
import { tempDir } from '../support/fs';
import { binDualdesk } from '../support/paths';
import { relayUntilExit, startRelayProcess, stopRelayProcess, type RelayProcess } from '../support/relay';
import { serveCommand, startServe, stopServe, type ServeProcess } from '../support/serve';
import { until, untilAsync } from '../support/wait';

const brokers = inject('kafkaBrokers');
const run = promisify(execFile);
const AAPL = { symbol: 'AAPL', secType: 'STK' as const };
const ALL: ViewerScope[] = ['market', 'positions', 'orders', 'pnl', 'alerts', 'account'];

/** Directories that outlive a test (the desk's and the relays', which run through the suite). */
const suiteDirs: string[] = [];
function suiteDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dualdesk-relay-'));
  suiteDirs.push(dir);
  return dir;
}
const deskDir = suiteDir();
const topicBase = `relay-${randomUUID()}`;
const topic = `${topicBase}.paper`;
writeFileSync(join(deskDir, 'config.json'), JSON.stringify({ kafka: { brokers, topic: topicBase } }));
const publicKeyFile = join(suiteDir(), 'desk-public-key.pem');

let desk: ServeProcess | undefined;
let relayA: RelayProcess | undefined;
let relayB: RelayProcess | undefined;
/** The desk's own stream (the control token, every topic), read all along. */
let deskStream: Client | undefined;

afterAll(async () => {
  deskStream?.ws.terminate();
  await Promise.all([stopRelayProcess(relayA), stopRelayProcess(relayB)]);
  await stopServe(desk);
  for (const dir of suiteDirs) rmSync(dir, { recursive: true, force: true });
});

interface Client {
  readonly ws: WebSocket;
  readonly frames: ServerFrame[];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<void>;
}

function client(url: string, options: WebSocket.ClientOptions, protocols: string[], hello: object | undefined = { op: 'hello' }): Client {
  const ws = new WebSocket(url, protocols, options);
  const frames: ServerFrame[] = [];
  ws.on('message', (data: Buffer) => frames.push(...(decodeFrames(data) as ServerFrame[])));
  ws.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })));
  const opened = new Promise<void>((resolve) => ws.once('open', () => resolve()));
  if (hello) void opened.then(() => ws.send(encodeFrame(hello)));
  return { ws, frames, closed, opened };
}

function viewer(relay: RelayProcess, token: string, hello: object | undefined = { op: 'hello' }): Client {
  return client(`wss://127.0.0.1:${relay.url.port}/stream`, { ca: relay.ca }, [STREAM_PROTOCOL, `${VIEWER_TOKEN_PROTOCOL_PREFIX}${token}`], hello);
}

function deskClient(serve: ServeProcess): Client {
  return client(`ws://127.0.0.1:${serve.url.port}/stream`, { headers: { authorization: `Bearer ${serve.url.searchParams.get('token') ?? ''}` } }, [STREAM_PROTOCOL]);
}

const dataOf = (c: Client) => c.frames.filter((f): f is DataFrame => f.op === 'data');
const snapshotOf = (c: Client) => c.frames.find((f): f is Extract<ServerFrame, { op: 'snapshot' }> => f.op === 'snapshot');
const lastSeq = (c: Client) => dataOf(c).at(-1)?.seq ?? 0;

async function mintWithId(scope: ViewerScope[]): Promise<{ id: string; token: string }> {
  const { stdout } = await run(process.execPath, [binDualdesk, 'token', 'create', '--data-dir', deskDir, '--scope', scope.join(','), '--ttl', '1h', '--label', `relay ${scope.join('+')}`, '--json']);
  return JSON.parse(stdout) as { id: string; token: string };
}

async function mint(scope: ViewerScope[]): Promise<string> {
  return (await mintWithId(scope)).token;
}

async function ops(relay: RelayProcess, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${relay.opsUrl}${path}`);
  return { status: res.status, body: await res.text() };
}

function startDesk(): Promise<ServeProcess> {
  return startServe(['--demo', '--data-dir', deskDir, '--config', join(deskDir, 'config.json'), '--port', '0', '--log-level', 'warn'], {}, { suite: true });
}

function relayArgs(dataDir: string, extra: string[] = []): string[] {
  return ['--kafka', brokers.join(','), '--topic', topic, '--host', '127.0.0.1', '--port', '0', '--public-key', publicKeyFile, '--data-dir', dataDir, '--ops-port', '0', '--log-level', 'warn', ...extra];
}

/** The viewer's frames chain with no gap: each `prev` is the seq before it, from `from`. */
function chained(frames: readonly DataFrame[], from: number): boolean {
  let prev = from;
  for (const f of frames) {
    if (f.prev !== prev || f.seq <= prev) return false;
    prev = f.seq;
  }
  return true;
}

/** The seqs in (after, upTo] of the desk's own stream that a viewer of `scope` may see. */
function deskSeqsFor(scope: ViewerScope[], after: number, upTo: number): number[] {
  const allowed = topicMatcher(viewOf(scope).topics)!;
  return dataOf(deskStream!).filter((f) => f.seq > after && f.seq <= upTo && allowed(f.topic)).map((f) => f.seq);
}

describe('dualdesk relay (a desk publishing to real Kafka, relays and TLS viewers as processes)', () => {
  it('/ready is 503 until the relay has read the topic to its head, then 200; metrics under dualdesk_relay_*', async () => {
    // The desk's key and tokens exist before it first runs (the token register lives in its data dir).
    const { stdout } = await run(process.execPath, [binDualdesk, 'token', 'public-key', '--data-dir', deskDir]);
    writeFileSync(publicKeyFile, stdout);
    relayA = await startRelayProcess(relayArgs(suiteDir()), { suite: true });
    expect(relayA.url.protocol).toBe('https:');
    expect(relayA.stdout()).not.toMatch(/token/i);
    const before = await ops(relayA, '/ready');
    expect(before.status).toBe(503);
    expect(JSON.parse(before.body)).toMatchObject({ ready: false, checks: { kafka: { ok: false }, 'caught-up': { ok: false } } });

    desk = await startDesk();
    deskStream = deskClient(desk);
    await untilAsync(async () => (await ops(relayA!, '/ready')).status === 200, 'the relay ready', 60_000);
    const ready = JSON.parse((await ops(relayA, '/ready')).body) as { checks: Record<string, { ok: boolean; detail: string }> };
    expect(ready.checks['kafka']?.ok).toBe(true);
    expect(ready.checks['caught-up']?.detail).toMatch(/^\d+ record\(s\) behind the topic's head; epoch \S+, head \d+, oldest \d+$/);
    const metrics = (await ops(relayA, '/metrics')).body;
    for (const name of ['dualdesk_relay_caught_up 1', 'dualdesk_relay_kafka_up 1', 'dualdesk_relay_viewers 0', 'dualdesk_relay_lag_records']) expect(metrics).toContain(name);
  });

  it('a TLS viewer on the relay reads a long run with no gap, in the epoch and seqs of the desk’s own stream', async () => {
    await until(() => snapshotOf(deskStream!) !== undefined, 'the desk stream joined');
    const v = viewer(relayA!, await mint(ALL));
    await until(() => snapshotOf(v) !== undefined, 'the relay snapshot');
    const snap = snapshotOf(v)!;
    expect(snap.epoch).toBe(snapshotOf(deskStream!)!.epoch);
    const target = snap.seq + 300;
    await until(() => lastSeq(v) >= target && lastSeq(deskStream!) >= target, `the run to seq ${target}`, 60_000);
    const frames = dataOf(v).filter((f) => f.seq <= target);
    expect(frames.every((f) => f.epoch === snap.epoch)).toBe(true);
    expect(chained(frames, snap.seq)).toBe(true);
    expect(frames.map((f) => f.seq)).toEqual(deskSeqsFor(ALL, snap.seq, target));
    expect(frames.map((f) => f.topic)).toEqual(dataOf(deskStream!).filter((f) => frames.some((g) => g.seq === f.seq)).map((f) => f.topic));
    expect(frames.some((f) => f.topic === 'share.revocations')).toBe(false);
    v.ws.close();
  });

  it('keeps a market viewer from orders, fills, positions and equity while the trader trades; an orders viewer sees them', async () => {
    const market = viewer(relayA!, await mint(['market']));
    const orders = viewer(relayA!, await mint(['orders']));
    await until(() => snapshotOf(market) !== undefined && snapshotOf(orders) !== undefined, 'both joined');
    const synced = (c: Client) =>
      [snapshotOf(c)?.state['venue.status'], ...dataOf(c).filter((f) => f.topic === 'venue.status').map((f) => f.data)].some((s) => (s as { synced?: boolean } | undefined)?.synced === true);
    await until(() => synced(orders), 'the venue in sync', 60_000);
    const placed: Order[] = [];
    for (let i = 0; i < 3; i++) placed.push(await serveCommand<Order>(desk!, 'placeOrder', { ticket: { instrument: AAPL, side: i % 2 ? 'SELL' : 'BUY', quantity: 10 + i, type: 'MKT' } }));
    const last = placed.at(-1)!;
    await until(() => dataOf(orders).some((f) => f.topic === `order.${last.id}` && (f.data as Order).state === 'filled'), 'the last fill reaches the orders viewer', 60_000);
    const head = lastSeq(orders);
    await until(() => lastSeq(market) >= head || market.frames.some((f) => f.op === 'hb' && f.head >= head), 'the market viewer past the fills');
    expect(dataOf(orders).some((f) => f.topic === 'fill')).toBe(true);
    const leaked = [...dataOf(market).map((f) => f.topic), ...Object.keys(snapshotOf(market)!.state)].filter((t) => /^(order\.|fill$|position\.|equity$)/.test(t));
    expect(leaked).toEqual([]);
    expect(dataOf(market).some((f) => f.topic.startsWith('md.'))).toBe(true);
    market.ws.close();
    orders.ws.close();
  });

  it('closes a viewer that sends a command-like frame (4000), as the share server does', async () => {
    const v = viewer(relayA!, await mint(['market']));
    await until(() => snapshotOf(v) !== undefined, 'joined');
    v.ws.send(encodeFrame({ op: 'command', name: 'placeOrder', args: { ticket: { instrument: AAPL, side: 'BUY', quantity: 1, type: 'MKT' } } }));
    expect(await v.closed).toMatchObject({ code: 4000 });
    expect(v.frames.find((f) => f.op === 'error')).toMatchObject({ code: 'bad-frame' });
  });

  it('a token revoked at the desk closes its viewers on the relay (4004) and is refused there after', async () => {
    const { id, token } = await mintWithId(['market']);
    const v = viewer(relayA!, token);
    await until(() => snapshotOf(v) !== undefined, 'joined');
    await run(process.execPath, [binDualdesk, 'token', 'revoke', id, '--data-dir', deskDir]);
    expect(await v.closed).toMatchObject({ code: 4004 });
    expect(await viewer(relayA!, token).closed).toMatchObject({ code: 4004 });
  });

  it('a relay started after the stream has run, its window smaller than the history, serves an older resume from Kafka with no gap', async () => {
    const token = await mint(['market']);
    const first = viewer(relayA!, token);
    await until(() => dataOf(first).length >= 5, 'a position on relay A');
    const position = lastSeq(first);
    first.ws.close();
    await until(() => lastSeq(deskStream!) >= position + 200, 'the stream moving 200 past it', 60_000);
    const dir = suiteDir();
    writeFileSync(join(dir, 'relay.json'), JSON.stringify({ relay: { windowMessages: 50 } }));
    relayB = await startRelayProcess(relayArgs(dir, ['--config', join(dir, 'relay.json'), '--ops-host', '127.0.0.1']), { suite: true });
    expect(relayB.opsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await untilAsync(async () => (await ops(relayB!, '/ready')).status === 200, 'relay B ready', 60_000);
    const metrics = (await ops(relayB, '/metrics')).body;
    expect(metrics).toMatch(/^dualdesk_relay_window_messages 50$/m);
    const head = Number(/^dualdesk_relay_head (\d+)$/m.exec(metrics)?.[1]);
    expect(head - 50).toBeGreaterThan(position);

    const epoch = snapshotOf(deskStream!)!.epoch;
    const resumed = viewer(relayB, token, { op: 'hello', resume: { epoch, seq: position } });
    await until(() => lastSeq(resumed) >= head, 'the resume up to relay B’s head at start', 60_000);
    expect(resumed.frames[0]).toMatchObject({ op: 'welcome', resumed: true, epoch });
    expect(resumed.frames.some((f) => f.op === 'reset' || f.op === 'snapshot')).toBe(false);
    const frames = dataOf(resumed).filter((f) => f.seq <= head);
    expect(chained(frames, position)).toBe(true);
    expect(frames.map((f) => f.seq)).toEqual(deskSeqsFor(['market'], position, head));
    resumed.ws.close();
  });

  it('a new epoch at the desk (its stream journal removed, the desk restarted) resets the relay’s viewers, who rejoin the new epoch', async () => {
    const token = await mint(['market']);
    const v = viewer(relayA!, token);
    await until(() => snapshotOf(v) !== undefined, 'joined');
    const oldEpoch = snapshotOf(v)!.epoch;
    deskStream!.ws.terminate();
    await stopServe(desk);
    for (const f of readdirSync(deskDir)) if (f.startsWith('paper-stream.db')) rmSync(join(deskDir, f));
    desk = await startDesk();
    deskStream = deskClient(desk);
    expect(await v.closed).toMatchObject({ code: 1012 });
    const reset = v.frames.find((f) => f.op === 'reset');
    expect(reset).toBeDefined();
    await until(() => snapshotOf(deskStream!) !== undefined, 'the new desk stream');
    const newEpoch = snapshotOf(deskStream)!.epoch;
    expect(newEpoch).not.toBe(oldEpoch);
    expect(reset).toMatchObject({ epoch: newEpoch });
    const again = viewer(relayA!, token);
    await until(() => snapshotOf(again) !== undefined, 'rejoined');
    expect(snapshotOf(again)!.epoch).toBe(newEpoch);
    again.ws.close();
  });

  it('stops cleanly on SIGTERM (exit 0)', async () => {
    expect(await stopRelayProcess(relayB)).toBe(0);
    relayB = undefined;
  });
});

describe('dualdesk relay start failures: exit 1, one line', () => {
  it('a missing or invalid public key, a port in use, a bad config; Kafka unreachable is not one', async () => {
    const dir = tempDir();
    const base = ['--kafka', brokers.join(','), '--host', '127.0.0.1', '--port', '0', '--data-dir', dir, '--ops-port', '0'];
    const oneLine = (r: { code: number | string; stderr: string }) => {
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      return r.stderr.trim();
    };
    expect(oneLine(await relayUntilExit(base))).toMatch(/^error: .*public key: --public-key/);
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, 'not a key');
    expect(oneLine(await relayUntilExit([...base, '--public-key', garbage]))).toMatch(/^error: the relay failed to start: not a public key in PEM form/);
    expect(oneLine(await relayUntilExit([...base, '--public-key', join(dir, 'absent.pem')]))).toMatch(/^error: cannot read the public key .*ENOENT/);

    const { stdout: pem } = await run(process.execPath, [binDualdesk, 'token', 'public-key', '--data-dir', tempDir()]);
    const key = join(dir, 'key.pem');
    writeFileSync(key, pem);
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const inUse = ['--kafka', brokers.join(','), '--host', '127.0.0.1', '--port', String(port), '--data-dir', dir, '--ops-port', '0', '--public-key', key];
      expect(oneLine(await relayUntilExit(inUse))).toMatch(new RegExp(`^error: the relay failed to start: port ${port} on 127\\.0\\.0\\.1 is in use$`));
    } finally {
      taken.close();
    }
    const config = join(dir, 'bad.json');
    writeFileSync(config, JSON.stringify({ relay: { windowMessages: 'lots' }, surprise: 1 }));
    expect(oneLine(await relayUntilExit([...base, '--public-key', key, '--config', config]))).toMatch(/^error: invalid relay settings: .*relay\.windowMessages.*/);
    expect(oneLine(await relayUntilExit(['--public-key', key, '--data-dir', dir]))).toMatch(/^error: invalid relay settings: kafka/);

    const unreachable = await startRelayProcess(['--kafka', `127.0.0.1:${await freePort()}`, '--host', '127.0.0.1', '--port', '0', '--data-dir', dir, '--ops-port', '0', '--public-key', key, '--log-level', 'silent']);
    const ready = await fetch(`${unreachable.opsUrl}/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: { kafka: { ok: boolean } } }).checks.kafka.ok).toBe(false);
    expect(await stopRelayProcess(unreachable)).toBe(0);
  });
});
