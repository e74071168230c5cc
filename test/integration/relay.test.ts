// `dualdesk relay` end to end: a desk (`serve --demo`, the built CLI) publishing its stream to a real
// Kafka broker, relays (the built CLI) reading it, TLS viewers with tokens the desk minted.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { Order, ViewerScope } from '../../src/shared';
import { encodeFrame } from '../../src/shared/stream';
import { freePort } from '../../scripts/kafka/broker';
import { tempDir } from '../support/fs';
import {
  ALL_SCOPES,
  chained,
  dataOf,
  deskClient,
  deskPublicKey,
  deskSeqsFor,
  lastSeq,
  mintToken,
  relayOps,
  relayViewer,
  revokeToken,
  snapshotOf,
  type StreamClient,
} from '../support/relay-viewer';
import { relayUntilExit, startRelayProcess, stopRelayProcess, type RelayProcess } from '../support/relay';
import { serveCommand, startServe, stopServe, type ServeProcess } from '../support/serve';
import { until, untilAsync } from '../support/wait';

const brokers = inject('kafkaBrokers');
const AAPL = { symbol: 'AAPL', secType: 'STK' as const };

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
let deskStream: StreamClient | undefined;

afterAll(async () => {
  deskStream?.ws.terminate();
  await Promise.all([stopRelayProcess(relayA), stopRelayProcess(relayB)]);
  await stopServe(desk);
  for (const dir of suiteDirs) rmSync(dir, { recursive: true, force: true });
});

const mintWithId = (scope: ViewerScope[]) => mintToken(deskDir, scope);
const mint = async (scope: ViewerScope[]) => (await mintToken(deskDir, scope)).token;

function startDesk(): Promise<ServeProcess> {
  return startServe(['--demo', '--data-dir', deskDir, '--config', join(deskDir, 'config.json'), '--port', '0', '--log-level', 'warn'], {}, { suite: true });
}

function relayArgs(dataDir: string, extra: string[] = []): string[] {
  return [
    '--kafka',
    brokers.join(','),
    '--topic',
    topic,
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--public-key',
    publicKeyFile,
    '--data-dir',
    dataDir,
    '--ops-port',
    '0',
    '--log-level',
    'warn',
    ...extra,
  ];
}

describe('dualdesk relay (a desk publishing to real Kafka, relays and TLS viewers as processes)', () => {
  it('/ready is 503 until the relay has read the topic to its head, then 200; metrics under dualdesk_relay_*', async () => {
    // The desk's key and tokens exist before it first runs (the token register lives in its data dir).
    writeFileSync(publicKeyFile, await deskPublicKey(deskDir));
    relayA = await startRelayProcess(relayArgs(suiteDir()), { suite: true });
    expect(relayA.url.protocol).toBe('https:');
    expect(relayA.stdout()).not.toMatch(/token/i);
    const before = await relayOps(relayA, '/ready');
    expect(before.status).toBe(503);
    expect(JSON.parse(before.body)).toMatchObject({ ready: false, checks: { kafka: { ok: false }, 'caught-up': { ok: false } } });

    desk = await startDesk();
    deskStream = deskClient(desk);
    await untilAsync(async () => (await relayOps(relayA!, '/ready')).status === 200, 'the relay ready', 60_000);
    const ready = JSON.parse((await relayOps(relayA, '/ready')).body) as { checks: Record<string, { ok: boolean; detail: string }> };
    expect(ready.checks['kafka']?.ok).toBe(true);
    expect(ready.checks['caught-up']?.detail).toMatch(/^\d+ record\(s\) behind the topic's head; epoch \S+, head \d+, oldest \d+$/);
    const metrics = (await relayOps(relayA, '/metrics')).body;
    for (const name of ['dualdesk_relay_caught_up 1', 'dualdesk_relay_kafka_up 1', 'dualdesk_relay_viewers 0', 'dualdesk_relay_lag_records']) expect(metrics).toContain(name);
  });

  it('a TLS viewer on the relay reads a long run with no gap, in the epoch and seqs of the desk’s own stream', async () => {
    await until(() => snapshotOf(deskStream!) !== undefined, 'the desk stream joined');
    const v = relayViewer(relayA!, await mint(ALL_SCOPES));
    await until(() => snapshotOf(v) !== undefined, 'the relay snapshot');
    const snap = snapshotOf(v)!;
    expect(snap.epoch).toBe(snapshotOf(deskStream!)!.epoch);
    const target = snap.seq + 300;
    await until(() => lastSeq(v) >= target && lastSeq(deskStream!) >= target, `the run to seq ${target}`, 60_000);
    const frames = dataOf(v).filter((f) => f.seq <= target);
    expect(frames.every((f) => f.epoch === snap.epoch)).toBe(true);
    expect(chained(frames, snap.seq)).toBe(true);
    expect(frames.map((f) => f.seq)).toEqual(deskSeqsFor(deskStream!, ALL_SCOPES, snap.seq, target));
    expect(frames.map((f) => f.topic)).toEqual(
      dataOf(deskStream!)
        .filter((f) => frames.some((g) => g.seq === f.seq))
        .map((f) => f.topic),
    );
    expect(frames.some((f) => f.topic === 'share.revocations')).toBe(false);
    v.ws.close();
  });

  it('keeps a market viewer from orders, fills, positions and equity while the trader trades; an orders viewer sees them', async () => {
    const market = relayViewer(relayA!, await mint(['market']));
    const orders = relayViewer(relayA!, await mint(['orders']));
    await until(() => snapshotOf(market) !== undefined && snapshotOf(orders) !== undefined, 'both joined');
    const synced = (c: StreamClient) =>
      [
        snapshotOf(c)?.state['venue.status'],
        ...dataOf(c)
          .filter((f) => f.topic === 'venue.status')
          .map((f) => f.data),
      ].some((s) => (s as { synced?: boolean } | undefined)?.synced === true);
    await until(() => synced(orders), 'the venue in sync', 60_000);
    const placed: Order[] = [];
    for (let i = 0; i < 3; i++)
      placed.push(await serveCommand<Order>(desk!, 'placeOrder', { ticket: { instrument: AAPL, side: i % 2 ? 'SELL' : 'BUY', quantity: 10 + i, type: 'MKT' } }));
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
    const v = relayViewer(relayA!, await mint(['market']));
    await until(() => snapshotOf(v) !== undefined, 'joined');
    v.ws.send(encodeFrame({ op: 'command', name: 'placeOrder', args: { ticket: { instrument: AAPL, side: 'BUY', quantity: 1, type: 'MKT' } } }));
    expect(await v.closed).toMatchObject({ code: 4000 });
    expect(v.frames.find((f) => f.op === 'error')).toMatchObject({ code: 'bad-frame' });
  });

  it('a token revoked at the desk closes its viewers on the relay (4004) and is refused there after', async () => {
    const { id, token } = await mintWithId(['market']);
    const v = relayViewer(relayA!, token);
    await until(() => snapshotOf(v) !== undefined, 'joined');
    await revokeToken(deskDir, id);
    expect(await v.closed).toMatchObject({ code: 4004 });
    expect(await relayViewer(relayA!, token).closed).toMatchObject({ code: 4004 });
  });

  it('a relay started after the stream has run, its window smaller than the history, serves an older resume from Kafka with no gap', async () => {
    const token = await mint(['market']);
    const first = relayViewer(relayA!, token);
    await until(() => dataOf(first).length >= 5, 'a position on relay A');
    const position = lastSeq(first);
    first.ws.close();
    await until(() => lastSeq(deskStream!) >= position + 200, 'the stream moving 200 past it', 60_000);
    const dir = suiteDir();
    writeFileSync(join(dir, 'relay.json'), JSON.stringify({ relay: { windowMessages: 50 } }));
    relayB = await startRelayProcess(relayArgs(dir, ['--config', join(dir, 'relay.json'), '--ops-host', '127.0.0.1']), { suite: true });
    expect(relayB.opsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await untilAsync(async () => (await relayOps(relayB!, '/ready')).status === 200, 'relay B ready', 60_000);
    const metrics = (await relayOps(relayB, '/metrics')).body;
    expect(metrics).toMatch(/^dualdesk_relay_window_messages 50$/m);
    const head = Number(/^dualdesk_relay_head (\d+)$/m.exec(metrics)?.[1]);
    expect(head - 50).toBeGreaterThan(position);

    const epoch = snapshotOf(deskStream!)!.epoch;
    const resumed = relayViewer(relayB, token, { op: 'hello', resume: { epoch, seq: position } });
    await until(() => lastSeq(resumed) >= head, 'the resume up to relay B’s head at start', 60_000);
    expect(resumed.frames[0]).toMatchObject({ op: 'welcome', resumed: true, epoch });
    expect(resumed.frames.some((f) => f.op === 'reset' || f.op === 'snapshot')).toBe(false);
    const frames = dataOf(resumed).filter((f) => f.seq <= head);
    expect(chained(frames, position)).toBe(true);
    expect(frames.map((f) => f.seq)).toEqual(deskSeqsFor(deskStream!, ['market'], position, head));
    resumed.ws.close();
  });

  it('a resume further behind the window than relay.maxRecallMessages is reset with a snapshot, and Kafka is not read back', async () => {
    await until(() => lastSeq(deskStream!) >= 200, 'a stream of 200', 60_000);
    const dir = suiteDir();
    writeFileSync(join(dir, 'relay.json'), JSON.stringify({ relay: { windowMessages: 20, maxRecallMessages: 50 } }));
    const relayC = await startRelayProcess(relayArgs(dir, ['--config', join(dir, 'relay.json')]), { suite: true });
    try {
      await untilAsync(async () => (await relayOps(relayC, '/ready')).status === 200, 'relay C ready', 60_000);
      const epoch = snapshotOf(deskStream!)!.epoch;
      const viewer = relayViewer(relayC, await mint(['market']), { op: 'hello', resume: { epoch, seq: 1 } });
      await until(() => snapshotOf(viewer) !== undefined, 'the snapshot after the reset', 30_000);
      expect(viewer.frames[0]).toMatchObject({ op: 'reset', epoch, reason: 'that position is no longer in the journal' });
      expect(viewer.frames[1]).toMatchObject({ op: 'welcome', resumed: false, epoch });
      viewer.ws.close();
      const metrics = (await relayOps(relayC, '/metrics')).body;
      expect(metrics).toMatch(/^dualdesk_relay_recalls_total\{result="too-deep"\} 1$/m);
      expect(metrics).toMatch(/^dualdesk_relay_recalls_total\{result="read"\} 0$/m);
      expect(metrics).toMatch(/^dualdesk_relay_recalled_messages_total 0$/m);
    } finally {
      await stopRelayProcess(relayC);
    }
  });

  it('a new epoch at the desk (its stream journal removed, the desk restarted) resets the relay’s viewers, who rejoin the new epoch', async () => {
    const token = await mint(['market']);
    const v = relayViewer(relayA!, token);
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
    const again = relayViewer(relayA!, token);
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
    const oneLine = (r: { code: number | string; stderr: string; stdout: string }) => {
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
      return r.stderr.trim();
    };
    expect(oneLine(await relayUntilExit(base))).toMatch(/^error: .*public key: --public-key/);
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, 'not a key');
    expect(oneLine(await relayUntilExit([...base, '--public-key', garbage]))).toMatch(/^error: the relay failed to start: not a public key in PEM form/);
    expect(oneLine(await relayUntilExit([...base, '--public-key', join(dir, 'absent.pem')]))).toMatch(/^error: cannot read the public key .*ENOENT/);

    const pem = await deskPublicKey(tempDir());
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
    for (const all of ['0.0.0.0', '::'])
      expect(oneLine(await relayUntilExit([...base, '--public-key', key, '--ops-host', all]))).toMatch(/^error: invalid relay settings: .*every interface/);

    const unreachable = await startRelayProcess([
      '--kafka',
      `127.0.0.1:${await freePort()}`,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--data-dir',
      dir,
      '--ops-port',
      '0',
      '--public-key',
      key,
      '--log-level',
      'silent',
    ]);
    const ready = await fetch(`${unreachable.opsUrl}/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: { kafka: { ok: boolean } } }).checks.kafka.ok).toBe(false);
    expect(await stopRelayProcess(unreachable)).toBe(0);
  });
});
