// A relay (the built CLI) against a broker of its own: stopped for 10 s while a viewer reads (the relay
// not ready meanwhile, the viewer given everything after), and an hour of stream read from Kafka for a
// resume older than the relay's window.
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { ensureKafkaLibs, startKafkaBroker, type KafkaBroker } from '../../scripts/kafka/broker';
import { tempDir } from '../support/fs';
import { publishMany, settingsFor } from '../support/kafka';
import { startRelayProcess, stopRelayProcess } from '../support/relay';
import { ALL_SCOPES, chained, dataOf, deskClient, deskPublicKey, deskSeqsFor, lastSeq, mintToken, relayOps, relayViewer, snapshotOf } from '../support/relay-viewer';
import { startServe, stopServe } from '../support/serve';
import { startStreamHost } from '../support/stream-host';
import { until, untilAsync } from '../support/wait';

let broker: KafkaBroker;
const libs = ensureKafkaLibs();

beforeAll(async () => {
  broker = await startKafkaBroker({ libs, maxLifetimeSeconds: 900 });
});
afterAll(() => broker.destroy());

/** A relay of `topic`, trusting the tokens of the desk whose data dir is `deskDir`. */
async function startRelay(deskDir: string, topic: string, relay: object = {}) {
  const dir = tempDir();
  writeFileSync(join(dir, 'public-key.pem'), await deskPublicKey(deskDir));
  // Short Kafka timeouts: the outage is noticed in a second or two rather than tens.
  writeFileSync(join(dir, 'relay.json'), JSON.stringify({ kafka: { brokers: broker.brokers, connectionTimeoutMs: 1_000, requestTimeoutMs: 5_000 }, relay }));
  const args = ['--config', join(dir, 'relay.json'), '--topic', topic, '--host', '127.0.0.1', '--port', '0', '--public-key', join(dir, 'public-key.pem'), '--data-dir', dir];
  const r = await startRelayProcess([...args, '--ops-port', '0', '--log-level', 'warn']);
  onTestFinished(async () => void (await stopRelayProcess(r)));
  return r;
}

const readyOf = async (r: Awaited<ReturnType<typeof startRelay>>) => {
  const res = await relayOps(r, '/ready');
  return { status: res.status, ...(JSON.parse(res.body) as { checks: Record<string, { ok: boolean; detail: string }> }) };
};

describe('a relay through Kafka faults (a broker of its own)', () => {
  it('the broker stopped for 10 s while a viewer reads: /ready 503 (kafka) meanwhile, then everything published meanwhile with no gap, /ready 200', async () => {
    const deskDir = tempDir();
    const topicBase = `faults-${Date.now()}`;
    writeFileSync(join(deskDir, 'config.json'), JSON.stringify({ kafka: { brokers: broker.brokers, topic: topicBase, connectionTimeoutMs: 1_000, requestTimeoutMs: 5_000 } }));
    const token = (await mintToken(deskDir, ALL_SCOPES)).token;
    const desk = await startServe(['--demo', '--data-dir', deskDir, '--config', join(deskDir, 'config.json'), '--port', '0', '--log-level', 'warn']);
    onTestFinished(async () => void (await stopServe(desk)));
    const deskStream = deskClient(desk);
    onTestFinished(() => deskStream.ws.terminate());
    const relay = await startRelay(deskDir, `${topicBase}.paper`);
    await untilAsync(async () => (await readyOf(relay)).status === 200, 'the relay ready', 60_000);

    const v = relayViewer(relay, token);
    let closedEarly = false;
    void v.closed.then(() => (closedEarly = true));
    await until(() => snapshotOf(v) !== undefined, 'joined');
    const snap = snapshotOf(v)!;
    await until(() => lastSeq(v) >= snap.seq + 20, 'reading');

    await broker.stop();
    const stoppedAt = performance.now();
    const headAtStop = lastSeq(deskStream);
    await untilAsync(async () => (await readyOf(relay)).status === 503, 'the relay not ready', 30_000);
    expect((await readyOf(relay)).checks['kafka']?.ok).toBe(false);
    // The outage lasts 10 s (the scenario's length, not a synchronization); the desk goes on meanwhile.
    await new Promise((r) => setTimeout(r, Math.max(0, 10_000 - (performance.now() - stoppedAt))));
    const headDuring = lastSeq(deskStream);
    expect(headDuring).toBeGreaterThan(headAtStop);
    expect((await readyOf(relay)).status).toBe(503);
    // Revocations may be missed meanwhile: a new viewer is refused for now (1013), the connected one stays.
    expect(await relayViewer(relay, token).closed).toMatchObject({ code: 1013 });
    expect(closedEarly).toBe(false);

    broker = await startKafkaBroker({ libs, dir: broker.dir, port: broker.port, controllerPort: broker.controllerPort, maxLifetimeSeconds: 900 });
    await until(() => lastSeq(v) >= headDuring, `the viewer given what was published during the outage (to seq ${headDuring})`, 90_000);
    await untilAsync(async () => (await readyOf(relay)).status === 200, 'the relay ready again', 60_000);
    expect(closedEarly).toBe(false);
    const target = lastSeq(v);
    await until(() => lastSeq(deskStream) >= target, 'the desk stream there');
    const frames = dataOf(v).filter((f) => f.seq <= target);
    expect(frames.every((f) => f.epoch === snap.epoch)).toBe(true);
    expect(chained(frames, snap.seq)).toBe(true);
    expect(frames.map((f) => f.seq)).toEqual(deskSeqsFor(deskStream, ALL_SCOPES, snap.seq, target));
    v.ws.close();
  });

  it('a relay admits no one until it has read a revocation list in the epoch (1013), then admits', async () => {
    const settings = settingsFor(broker.brokers);
    const host = await startStreamHost({ dir: tempDir(), kafka: settings });
    onTestFinished(() => host.close());
    await publishMany(host.publisher, 50);
    await host.outbox!.whenAcked(50);
    const tokens = tempDir();
    const token = (await mintToken(tokens, ['market'])).token;
    const relay = await startRelay(tokens, settings.topic);
    await untilAsync(async () => (await readyOf(relay)).checks['caught-up']?.ok === true, 'the relay caught up', 60_000);
    // Caught up, but not ready: a balancer sends no one to a relay that would refuse them.
    const ready = await readyOf(relay);
    expect(ready.status).toBe(503);
    expect(ready.checks['admitting']).toEqual({ ok: false, detail: 'refusing new viewers: no revocation list read in this epoch yet' });
    expect(await relayViewer(relay, token).closed).toMatchObject({ code: 1013 });

    host.publisher.publish('share.revocations', { revoked: [] });
    await host.outbox!.whenAcked(51);
    await untilAsync(async () => (await readyOf(relay)).status === 200, 'the relay ready', 30_000);
    await untilAsync(
      async () => {
        const v = relayViewer(relay, token);
        const admitted = await Promise.race([
          v.closed.then(() => false),
          new Promise<boolean>(
            (r) =>
              void until(() => snapshotOf(v) !== undefined, 'joined', 10_000).then(
                () => r(true),
                () => r(false),
              ),
          ),
        ]);
        v.ws.terminate();
        return admitted;
      },
      'a viewer admitted once the list is read',
      30_000,
    );
  });

  it('a relay started after an hour of stream (360,000 messages), its window 1,000, serves a resume through 360 recalls from early in that hour with no gap', async () => {
    // An hour at 100 msg/s, published through the desk's publisher and outbox as fast as they go (not at 100 msg/s).
    const HOUR = 360_000;
    const settings = settingsFor(broker.brokers);
    const host = await startStreamHost({ dir: tempDir(), kafka: settings });
    onTestFinished(() => host.close());
    host.publisher.publish('share.revocations', { revoked: [] });
    await publishMany(host.publisher, HOUR - 1);
    await host.outbox!.whenAcked(HOUR);
    const tokens = tempDir();
    const token = (await mintToken(tokens, ['market'])).token;

    // Recalls of 1,000 (360 of them): together longer than the 30 s a viewer may be behind, which the time
    // the relay spends reading Kafka for the viewer must not count against it. The recall depth is the default.
    const relay = await startRelay(tokens, settings.topic, { windowMessages: 1_000, recallMessages: 1_000 });
    await untilAsync(async () => (await readyOf(relay)).status === 200, 'the relay ready', 120_000);
    const metrics = (await relayOps(relay, '/metrics')).body;
    expect(metrics).toMatch(new RegExp(`^dualdesk_relay_head ${HOUR}$`, 'm'));
    expect(Number(/^dualdesk_relay_window_messages (\d+)$/m.exec(metrics)?.[1])).toBeLessThanOrEqual(1_000);

    const position = 1_000;
    const v = relayViewer(relay, token, { op: 'hello', resume: { epoch: host.journal.epoch, seq: position } });
    let closed: { code: number; reason: string } | undefined;
    void v.closed.then((c) => (closed = c));
    await until(
      () => lastSeq(v) >= HOUR || closed !== undefined,
      () =>
        `the resume to the hour’s end (at ${lastSeq(v)}; ${closed ? `closed ${closed.code} ${closed.reason} at ${lastSeq(v)}` : 'open'}; ${v.frames
          .filter((f) => f.op !== 'data')
          .map((f) => JSON.stringify(f).slice(0, 200))
          .slice(-3)
          .join(' ')})`,
      240_000,
    );
    expect(closed, `the viewer at seq ${lastSeq(v)}`).toBeUndefined();
    expect(v.frames[0]).toMatchObject({ op: 'welcome', resumed: true, epoch: host.journal.epoch });
    expect(v.frames.some((f) => f.op === 'reset' || f.op === 'snapshot')).toBe(false);
    const frames = dataOf(v);
    expect(frames).toHaveLength(HOUR - position);
    expect(chained(frames, position)).toBe(true);
    v.ws.close();
  }, 600_000);
});
