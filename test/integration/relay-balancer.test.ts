// Two relays behind the real load balancer (Debian's haproxy on the documented configuration, TCP
// passthrough: TLS ends on the relays, which share one certificate): a desk (`serve --demo`, the
// built CLI) publishing to the shared Kafka broker, viewers connecting through the balancer only.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Order, ViewerScope } from '../../src/shared';
import { encodeFrame } from '../../src/shared/stream';
import { loadShareCertificate, SHARE_CERT_FILE, SHARE_CERT_KEY_FILE } from '../../src/main/share';
import { startBalancer, type Balancer } from '../support/balancer';
import { startRelayProcess, stopRelayProcess, type RelayProcess } from '../support/relay';
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
  relayViewerCount,
  revokeToken,
  snapshotOf,
  viewerAt,
  type StreamClient,
} from '../support/relay-viewer';
import { serveCommand, startServe, stopServe, type ServeProcess } from '../support/serve';
import { until, untilAsync } from '../support/wait';

const brokers = inject('kafkaBrokers');
const AAPL = { symbol: 'AAPL', secType: 'STK' as const };

const suiteDirs: string[] = [];
function suiteDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dualdesk-relay-balancer-'));
  suiteDirs.push(dir);
  return dir;
}
const deskDir = suiteDir();
const topicBase = `relay-balancer-${randomUUID()}`;
const certDir = suiteDir();
const publicKeyFile = join(suiteDir(), 'desk-public-key.pem');

let desk: ServeProcess | undefined;
let deskStream: StreamClient | undefined;
const relays: RelayProcess[] = [];
let balancer: Balancer | undefined;
/** The relays' one certificate, which every viewer trusts whichever relay it lands on. */
let ca = '';

beforeAll(async () => {
  writeFileSync(join(deskDir, 'config.json'), JSON.stringify({ kafka: { brokers, topic: topicBase } }));
  writeFileSync(publicKeyFile, await deskPublicKey(deskDir));
  ca = (await loadShareCertificate({ dataDir: certDir })).cert;
  desk = await startServe(['--demo', '--data-dir', deskDir, '--config', join(deskDir, 'config.json'), '--port', '0', '--log-level', 'warn'], {}, { suite: true });
  deskStream = deskClient(desk);
  for (let i = 0; i < 2; i++) {
    const args = ['--kafka', brokers.join(','), '--topic', `${topicBase}.paper`, '--host', '127.0.0.1', '--port', '0', '--public-key', publicKeyFile, '--data-dir', suiteDir()];
    const tls = ['--tls-cert', join(certDir, SHARE_CERT_FILE), '--tls-key', join(certDir, SHARE_CERT_KEY_FILE)];
    relays.push(await startRelayProcess([...args, ...tls, '--ops-port', '0', '--log-level', 'warn'], { suite: true }));
  }
  for (const r of relays) await untilAsync(async () => (await relayOps(r, '/ready')).status === 200, `relay ${r.url.port} ready`, 60_000);
  balancer = await startBalancer({ backends: relays.map((r) => ({ port: Number(r.url.port), opsPort: Number(new URL(r.opsUrl).port) })), maxLifetimeSeconds: 600 });
  await until(() => snapshotOf(deskStream!) !== undefined, 'the desk stream joined');
});

afterAll(async () => {
  deskStream?.ws.terminate();
  await balancer?.stop();
  await Promise.all(relays.map((r) => stopRelayProcess(r)));
  await stopServe(desk);
  for (const dir of suiteDirs) rmSync(dir, { recursive: true, force: true });
});

const mint = async (scope: ViewerScope[]) => (await mintToken(deskDir, scope)).token;
const throughBalancer = (token: string, hello?: object) => viewerAt(balancer!.port, ca, token, hello);
const alive = () => relays.filter((r) => r.proc.exitCode === null && r.proc.signalCode === null);
const viewerCounts = () => Promise.all(alive().map((r) => relayViewerCount(r)));

/** The relay serving the one viewer connected now (the others count none). */
async function servingRelay(): Promise<RelayProcess> {
  await untilAsync(async () => (await viewerCounts()).reduce((a, b) => a + b, 0) === 1, 'one viewer on the relays');
  const counts = await viewerCounts();
  return alive()[counts.indexOf(1)]!;
}

describe('relays behind haproxy (a desk publishing to real Kafka, two relays, TLS passthrough)', () => {
  it('a viewer through the balancer reads a long run with no gap, in the desk’s epoch and seqs', async () => {
    const v = throughBalancer(await mint(ALL_SCOPES));
    await until(() => snapshotOf(v) !== undefined, 'the snapshot through the balancer');
    const snap = snapshotOf(v)!;
    expect(snap.epoch).toBe(snapshotOf(deskStream!)!.epoch);
    const target = snap.seq + 300;
    await until(() => lastSeq(v) >= target && lastSeq(deskStream!) >= target, `the run to seq ${target}`, 60_000);
    const frames = dataOf(v).filter((f) => f.seq <= target);
    expect(frames.every((f) => f.epoch === snap.epoch)).toBe(true);
    expect(chained(frames, snap.seq)).toBe(true);
    expect(frames.map((f) => f.seq)).toEqual(deskSeqsFor(deskStream!, ALL_SCOPES, snap.seq, target));
    v.ws.close();
    await v.closed;
  });

  it('a token revoked at the desk closes its viewers on both relays (4004) within a second of the revocation', async () => {
    const { id, token } = await mintToken(deskDir, ['market']);
    await untilAsync(async () => (await viewerCounts()).every((n) => n === 0), 'no viewers left from before');
    // Viewers of the one token, through the balancer, until each relay serves at least one.
    const viewers: StreamClient[] = [];
    while (viewers.length < 6 && (await viewerCounts()).some((n) => n === 0)) {
      const v = throughBalancer(token);
      viewers.push(v);
      await until(() => snapshotOf(v) !== undefined, 'joined');
      await untilAsync(async () => (await viewerCounts()).reduce((a, b) => a + b, 0) === viewers.length, 'counted');
    }
    expect((await viewerCounts()).every((n) => n >= 1)).toBe(true);

    await revokeToken(deskDir, id);
    const revokedAt = performance.now();
    const closes = await Promise.all(viewers.map((v) => v.closed));
    for (const c of closes) {
      expect(c.code).toBe(4004);
      // The requirement (revocation reaches every relay within a second), a generous bound: not a benchmark.
      expect(c.at - revokedAt).toBeLessThanOrEqual(1_000);
    }
    expect((await throughBalancer(token).closed).code).toBe(4004);
  });

  it('scopes hold through the balancer: a market viewer never sees orders, fills, positions or equity; an orders viewer sees them', async () => {
    const market = throughBalancer(await mint(['market']));
    const orders = throughBalancer(await mint(['orders']));
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
    const leaked = [...dataOf(market).map((f) => f.topic), ...Object.keys(snapshotOf(market)!.state)].filter((t) => /^(order\.|fill$|position\.|equity$|share\.)/.test(t));
    expect(leaked).toEqual([]);
    expect(dataOf(market).some((f) => f.topic.startsWith('md.'))).toBe(true);
    market.ws.close();
    orders.ws.close();
    await Promise.all([market.closed, orders.closed]);
  });

  it('a viewer’s command frame through the balancer closes it (4000), as on the share server', async () => {
    const v = throughBalancer(await mint(['market']));
    await until(() => snapshotOf(v) !== undefined, 'joined');
    v.ws.send(encodeFrame({ op: 'command', name: 'placeOrder', args: { ticket: { instrument: AAPL, side: 'BUY', quantity: 1, type: 'MKT' } } }));
    expect(await v.closed).toMatchObject({ code: 4000 });
    expect(v.frames.find((f) => f.op === 'error')).toMatchObject({ code: 'bad-frame' });
  });

  it('the relay serving a viewer is SIGKILLed: the viewer resumes through the balancer on the other, no gap, no reset, every seq once', async () => {
    const token = await mint(ALL_SCOPES);
    await untilAsync(async () => (await viewerCounts()).every((n) => n === 0), 'no viewers left from before');
    const first = throughBalancer(token);
    await until(() => snapshotOf(first) !== undefined, 'joined');
    const snap = snapshotOf(first)!;
    const serving = await servingRelay();
    const other = alive().find((r) => r !== serving)!;
    await until(() => lastSeq(first) >= snap.seq + 50, 'a run on the first relay', 60_000);

    serving.proc.kill('SIGKILL');
    expect(await serving.exited).toBe('SIGKILL');
    await first.closed;
    const position = lastSeq(first);
    const resumed = throughBalancer(token, { op: 'hello', resume: { epoch: snap.epoch, seq: position } });
    const target = position + 200;
    await until(() => lastSeq(resumed) >= target && lastSeq(deskStream!) >= target, `the resume to seq ${target}`, 60_000);
    expect(await relayViewerCount(other)).toBe(1);
    expect(resumed.frames[0]).toMatchObject({ op: 'welcome', resumed: true, epoch: snap.epoch });
    expect(resumed.frames.some((f) => f.op === 'reset' || f.op === 'snapshot')).toBe(false);
    const after = dataOf(resumed).filter((f) => f.seq <= target);
    expect(after.every((f) => f.epoch === snap.epoch)).toBe(true);
    expect(chained(after, position)).toBe(true);
    const seen = [...dataOf(first), ...after].map((f) => f.seq);
    expect(seen).toEqual(deskSeqsFor(deskStream!, ALL_SCOPES, snap.seq, target));
    resumed.ws.close();
  });
});
