// The share server over real TLS against a real desk (demo venue, real SQLite journal, real token
// register): TLS 1.3 only, token refusals with their close codes, revocation and expiry closing open
// viewers, scope isolation while the trader trades, and no way from a viewer to a command.
import { execFile } from 'node:child_process';
import { request } from 'node:https';
import { connect } from 'node:tls';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { REDACTED_ACCOUNT, VIEWER_TOKEN_PROTOCOL_PREFIX, type Order, type ViewerScope } from '../../src/shared';
import { STREAM_PROTOCOL, decodeFrames, encodeFrame, type DataFrame, type ServerFrame } from '../../src/shared/stream';
import { systemClock } from '../../src/main/clock';
import { createLogger } from '../../src/main/ops';
import type { StreamServer } from '../../src/main/transport';
import {
  loadShareCertificate,
  RelayAuthority,
  REVOCATIONS_TOPIC,
  ShareServer,
  ViewerTokens,
  type ShareCertificate,
  type ShareLimits,
  type ViewerAuthority,
} from '../../src/main/share';
import { startStreamDesk, type TestStream } from '../support/stream';
import { until, untilAsync } from '../support/wait';
import { binDualdesk } from '../support/paths';

const AAPL = { symbol: 'AAPL', secType: 'STK' as const };

interface Share {
  readonly s: TestStream;
  readonly tokens: ViewerTokens;
  readonly server: ShareServer;
  readonly certificate: ShareCertificate;
  readonly dataDir: string;
}

async function startShare(
  options: { demo?: boolean; now?: () => number; limits?: Partial<ShareLimits>; authority?: (tokens: ViewerTokens) => ViewerAuthority; viewerFragmentBytes?: number } = {},
): Promise<Share> {
  const s = await startStreamDesk({ demo: options.demo === true });
  const dataDir = s.dataDir;
  const tokens = await ViewerTokens.open(dataDir, { pollMs: 50, ...(options.now ? { now: options.now } : {}) });
  onTestFinished(() => tokens.close());
  const certificate = await loadShareCertificate({ dataDir });
  const server = new ShareServer({
    host: '127.0.0.1',
    port: 0,
    certificate,
    authority: options.authority ? options.authority(tokens) : tokens,
    logger: createLogger({ level: 'silent' }),
    metrics: s.desk.metrics,
    clock: systemClock,
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.viewerFragmentBytes !== undefined ? { viewerFragmentBytes: options.viewerFragmentBytes } : {}),
  });
  server.setSource(s.desk.stream);
  await server.start();
  onTestFinished(() => server.stop());
  return { s, tokens, server, certificate, dataDir };
}

interface Viewer {
  readonly ws: WebSocket;
  readonly frames: ServerFrame[];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<void>;
  readonly protocol: () => string;
}

function viewer(share: Share, token: string | undefined, options: { via?: 'protocol' | 'header'; hello?: boolean } = {}): Viewer {
  const { port } = share.server.address();
  const protocols = [STREAM_PROTOCOL, ...(token !== undefined && options.via !== 'header' ? [`${VIEWER_TOKEN_PROTOCOL_PREFIX}${token}`] : [])];
  const ws = new WebSocket(`wss://127.0.0.1:${port}/stream`, protocols, {
    ca: share.certificate.cert,
    ...(token !== undefined && options.via === 'header' ? { headers: { authorization: `Bearer ${token}` } } : {}),
  });
  const frames: ServerFrame[] = [];
  ws.on('message', (data: Buffer) => frames.push(...(decodeFrames(data) as ServerFrame[])));
  ws.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })));
  const opened = new Promise<void>((resolve) => ws.once('open', () => resolve()));
  if (options.hello !== false) void opened.then(() => ws.send(encodeFrame({ op: 'hello' })));
  return { ws, frames, closed, opened, protocol: () => ws.protocol };
}

const dataFrames = (v: Viewer) => v.frames.filter((f): f is DataFrame => f.op === 'data');

async function mint(share: Share, scope: ViewerScope[], ttlMs = 3_600_000) {
  return share.tokens.create({ scope, ttlMs, label: `test ${scope.join('+')}` });
}

function get(share: Share, path: string): Promise<{ status: number; body: string }> {
  const { port } = share.server.address();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca: share.certificate.cert }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the share server (real TLS, real desk)', () => {
  it('serves TLS 1.3 only: a TLS 1.2 client is refused', async () => {
    const share = await startShare();
    const { port } = share.server.address();
    const tls12 = await new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, maxVersion: 'TLSv1.2', ca: share.certificate.cert });
      socket.once('secureConnect', () => resolve(`connected ${socket.getProtocol()}`));
      socket.once('error', (err: NodeJS.ErrnoException) => resolve(`refused ${err.code ?? err.message}`));
    });
    expect(tls12).toMatch(/^refused/);
    const tls13 = await new Promise<string | null>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, ca: share.certificate.cert });
      socket.once('secureConnect', () => {
        resolve(socket.getProtocol());
        socket.destroy();
      });
      socket.once('error', reject);
    });
    expect(tls13).toBe('TLSv1.3');
    expect(share.server.status()).toMatchObject({ enabled: true, port, fingerprint: share.certificate.fingerprint, viewers: [] });
  });

  it('refuses no token and a bad signature (4001), an expired token (4003) and a revoked one (4004)', async () => {
    let now = Date.now();
    const share = await startShare({ now: () => now });
    expect(await viewer(share, undefined).closed).toMatchObject({ code: 4001 });
    const good = await mint(share, ['market']);
    const [h, p, sig] = good.token.split('.') as [string, string, string];
    const forged = `${h}.${p}.${sig.slice(0, -4)}${sig.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    expect(await viewer(share, forged).closed).toMatchObject({ code: 4001 });
    expect(await viewer(share, 'not-a-jwt', { via: 'header' }).closed).toMatchObject({ code: 4001 });

    const revoked = await mint(share, ['market']);
    share.tokens.revoke(revoked.id);
    expect(await viewer(share, revoked.token).closed).toMatchObject({ code: 4004 });

    const expiring = await mint(share, ['market'], 60_000);
    now += 120_000;
    expect(await viewer(share, expiring.token).closed).toMatchObject({ code: 4003 });

    // The refused viewers were told why in an error frame, then closed; a good token is served.
    now = Date.now();
    const ok = viewer(share, good.token);
    await ok.opened;
    expect(ok.protocol()).toBe(STREAM_PROTOCOL);
    await until(() => ok.frames.some((f) => f.op === 'snapshot'), 'the snapshot');
    const metrics = await share.s.desk.metrics.metrics();
    expect(metrics).toMatch(/dualdesk_share_refusals_total\{reason="unauthorized"\} 3/);
    expect(metrics).not.toContain(good.token);
    expect(metrics).not.toContain('test market');
  });

  it('closes a connected viewer within a second of its token being revoked, here or by the CLI', async () => {
    const share = await startShare();
    const a = await mint(share, ['market']);
    const b = await mint(share, ['market']);
    const va = viewer(share, a.token);
    const vb = viewer(share, b.token);
    await until(() => va.frames.some((f) => f.op === 'snapshot') && vb.frames.some((f) => f.op === 'snapshot'), 'both viewers joined');
    expect(
      share.server
        .status()
        .viewers.map((v) => v.tokenId)
        .sort(),
    ).toEqual([a.id, b.id].sort());

    let started = performance.now();
    share.tokens.revoke(a.id);
    expect(await va.closed).toMatchObject({ code: 4004 });
    expect(performance.now() - started).toBeLessThan(1_000);

    // The CLI is another process writing the same register; the desk notices through its poll.
    started = performance.now();
    await promisify(execFile)(process.execPath, [binDualdesk, 'token', 'revoke', b.id, '--data-dir', share.dataDir], { env: { ...process.env, DUALDESK_DATA_DIR: '' } });
    const afterCli = performance.now();
    expect(await vb.closed).toMatchObject({ code: 4004 });
    expect(performance.now() - afterCli).toBeLessThan(1_000);
    expect(started).toBeLessThan(afterCli);
  });

  it('a viewer revoked while its snapshot goes out in fragments gets the whole snapshot, then the error and 4004', async () => {
    // 64 KiB pieces: the 8 MB goes out in 128 fragments, quick to drain on a loaded machine once the viewer reads.
    const share = await startShare({ viewerFragmentBytes: 64 * 1024 });
    const { publisher } = share.s.desk.stream!;
    // An 8 MB snapshot to a viewer that does not read: more than the sockets' buffers hold, so it is still going out.
    for (let i = 0; i < 400; i++) publisher.publish(`md.quote.S${i}`, { note: 'x'.repeat(20_000), i });
    await publisher.flush();
    const made = await mint(share, ['market']);
    const v = viewer(share, made.token, { hello: false });
    await v.opened;
    v.ws.pause();
    v.ws.send(encodeFrame({ op: 'hello' }));
    await until(() => share.server.status().viewers.some((x) => x.state === 'live'), 'the viewer welcomed');
    // The snapshot is still going out (held bytes count as buffered): the revocation lands in its middle.
    const stream = (share.server as unknown as { stream: StreamServer }).stream;
    await until(() => (stream.stats()[0]?.bufferedBytes ?? 0) > 0 && share.server.status().viewers.length === 1, 'the snapshot held back');
    expect(stream.stats()[0]?.bufferedBytes).toBeGreaterThan(0);
    share.tokens.revoke(made.id);
    // Refused while the snapshot is still going out (the viewer reads nothing yet).
    await untilAsync(async () => /dualdesk_share_refusals_total\{reason="revoked"\} 1/.test(await share.s.desk.metrics.metrics()), 'the revocation refused');
    v.ws.resume();
    expect(await v.closed).toMatchObject({ code: 4004 });
    expect(v.frames.map((f) => f.op)).toEqual(['welcome', 'snapshot', 'error']);
    expect(v.frames[2]).toMatchObject({ op: 'error', code: 'revoked' });
    expect(Object.keys((v.frames[1] as Extract<ServerFrame, { op: 'snapshot' }>).state).filter((t) => t.startsWith('md.quote.S'))).toHaveLength(400);
  }, 60_000);

  it('refuses a viewer fragment size below 1 with a clear error', async () => {
    await expect(startShare({ viewerFragmentBytes: 0 })).rejects.toThrow(/viewerFragmentBytes must be at least 1/);
  });

  it('closes open viewers when whether their token is revoked cannot be told (fails closed)', async () => {
    const share = await startShare({
      authority: (tokens) => ({
        verify: (token) => tokens.verify(token),
        isRevoked: () => {
          throw new Error('the token register cannot be read');
        },
        onRevocation: (listener) => tokens.onRevocation(listener),
      }),
    });
    const a = viewer(share, (await mint(share, ['market'])).token);
    const b = viewer(share, (await mint(share, ['market'])).token);
    await until(() => [a, b].every((v) => v.frames.some((f) => f.op === 'snapshot')), 'both viewers joined');
    // Any revocation makes the server check its open viewers; a check that throws must not keep them open.
    share.tokens.revoke((await mint(share, ['market'])).id);
    expect(await a.closed).toMatchObject({ code: 1013 });
    expect(await b.closed).toMatchObject({ code: 1013 });
    expect(share.server.status().viewers).toEqual([]);
  });

  it("on a relay's authority: a valid token is refused with 1013 (not 4001/4004) until revocations are known, then served, and closed by a list revoking it", async () => {
    let relay: RelayAuthority | undefined;
    const share = await startShare({
      authority: (tokens) => (relay = new RelayAuthority({ publicKeyPem: tokens.publicKeyPem(), clock: systemClock, logger: createLogger({ level: 'silent' }) })),
    });
    const made = await mint(share, ['market']);
    const early = viewer(share, made.token);
    expect(await early.closed).toEqual({ code: 1013, reason: 'the relay is catching up; try again shortly' });
    expect(early.frames).toContainEqual({ op: 'error', code: 'catching-up', message: 'the relay is catching up; try again shortly' });
    // A bad token is still told it is bad, not to come back.
    expect(await viewer(share, 'not-a-jwt').closed).toMatchObject({ code: 4001 });

    relay!.setCurrent(true);
    const served = viewer(share, made.token);
    await until(() => served.frames.some((f) => f.op === 'snapshot'), 'the snapshot');
    relay!.apply({ revoked: [{ id: made.id, expiresAt: made.expiresAt }] });
    expect(await served.closed).toMatchObject({ code: 4004 });
    expect(await share.s.desk.metrics.metrics()).toMatch(/dualdesk_share_refusals_total\{reason="catching-up"\} 1/);
  });

  it('cuts a client that completes TLS and then trickles its request headers (slowloris) within a few seconds', async () => {
    const share = await startShare({ limits: { handshakeTimeoutMs: 500 } });
    const { port } = share.server.address();
    const socket = connect({ host: '127.0.0.1', port, ca: share.certificate.cert });
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
    const started = performance.now();
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    let n = 0;
    // A header line every 100 ms keeps the socket busy, so only the headers timeout can end it.
    const trickle = setInterval(() => socket.writable && socket.write(`X-Slow-${n++}: x\r\n`), 100);
    onTestFinished(() => clearInterval(trickle));
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    clearInterval(trickle);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('closes a viewer within a second of its token expiring', async () => {
    const share = await startShare();
    // Tokens live at least a minute: mint one that expires 1.5 s from now by moving the issuer's clock back.
    const issuer = await ViewerTokens.open(share.dataDir, { now: () => Date.now() - 60_000 + 1_500 });
    onTestFinished(() => issuer.close());
    const token = await issuer.create({ scope: ['market'], ttlMs: 60_000, label: 'short' });
    const v = viewer(share, token.token);
    await v.opened;
    const closed = await v.closed;
    expect(closed.code).toBe(4003);
    expect(Date.now() - token.expiresAt).toBeLessThan(1_000);
  });

  it('keeps a market viewer from orders, fills, positions and equity while the trader trades; an orders viewer sees them', async () => {
    const share = await startShare({ demo: true });
    const s = share.s;
    await until(() => s.desk.core?.execution?.lastReconciliation !== undefined, 'the venue in sync');
    const market = viewer(share, (await mint(share, ['market'])).token);
    const orders = viewer(share, (await mint(share, ['orders'])).token);
    await until(() => market.frames.some((f) => f.op === 'snapshot') && orders.frames.some((f) => f.op === 'snapshot'), 'both joined');
    const placed: Order[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await s.desk.command('placeOrder', { ticket: { instrument: AAPL, side: i % 2 ? 'SELL' : 'BUY', quantity: 10 + i, type: 'MKT' } });
      if (!r.ok) throw new Error(r.error.message);
      placed.push(r.value as Order);
    }
    const last = placed[placed.length - 1]!;
    await until(() => dataFrames(orders).some((f) => f.topic === `order.${last.id}` && (f.data as Order).state === 'filled'), 'the last fill reaches the orders viewer');
    await s.desk.stream!.publisher.flush();
    const head = s.desk.stream!.publisher.head;
    // Both are at the head before what the market viewer lacks is judged: a heartbeat says so (its head is
    // the viewer's own position), or, for a viewer just sent data (no heartbeat then), a frame past the head.
    const atHead = (v: Viewer) => v.frames.some((f) => (f.op === 'hb' && f.head >= 0) || (f.op === 'data' && f.seq >= head));
    await until(() => [market, orders].every(atHead), 'both viewers at the head');

    // A whitelist: anything new on the stream stays away from a market viewer until a scope names it.
    const allowed = /^(md\.|workspace$|venue\.status$)/;
    const marketTopics = [...dataFrames(market).map((f) => f.topic), ...market.frames.flatMap((f) => (f.op === 'snapshot' ? Object.keys(f.state) : []))];
    expect(marketTopics.length).toBeGreaterThan(0);
    expect(marketTopics.filter((t) => !allowed.test(t))).toEqual([]);
    expect(dataFrames(orders).some((f) => f.topic === 'fill')).toBe(true);
    expect(dataFrames(orders).every((f) => /^(order\.|fill$|venue\.status$)/.test(f.topic))).toBe(true);
    // prev is exact under each viewer's filter.
    for (const v of [market, orders]) {
      const frames = dataFrames(v);
      const snap = v.frames.find((f) => f.op === 'snapshot');
      let prev = snap && snap.op === 'snapshot' ? snap.seq : 0;
      for (const f of frames) {
        expect(f.prev).toBe(prev);
        prev = f.seq;
      }
    }
    expect(head).toBeGreaterThan(0);
    // No account id reaches a viewer without the account scope.
    const text = JSON.stringify([...orders.frames, ...market.frames]);
    const accounts = s.desk.venue?.status().accounts ?? [];
    expect(accounts.length).toBeGreaterThan(0);
    for (const a of accounts) expect(text).not.toContain(a);
    expect(text).toContain(REDACTED_ACCOUNT);
  });

  it('shows no viewer the gateway, account ids or free text of venue.status, nor what another scope owns', async () => {
    const share = await startShare();
    const s = share.s;
    const market = viewer(share, (await mint(share, ['market'])).token);
    const withAccount = viewer(share, (await mint(share, ['market', 'account'])).token);
    const alerts = viewer(share, (await mint(share, ['alerts'])).token);
    const positions = viewer(share, (await mint(share, ['positions'])).token);
    const all = [market, withAccount, alerts, positions];
    await until(() => all.every((v) => v.frames.some((f) => f.op === 'snapshot')), 'all joined');
    const publisher = s.desk.stream!.publisher;
    publisher.publish('venue.status', {
      state: 'connected',
      since: 1,
      mode: 'paper',
      host: 'gw.internal.example',
      port: 4917,
      clientId: 8123,
      accounts: ['DU1234567', 'DU7654321'],
      synced: true,
      armed: false,
      attempts: 2,
      trading: { allowed: false, reason: 'This login has several accounts (DU1234567, DU7654321): choose one' },
      lastError: 'ECONNRESET from gw.internal.example',
    });
    publisher.publish('risk.killswitch', {
      phase: 'waiting',
      reason: 'x',
      message: 'kill switch: 10 ZZTOP still held',
      remaining: [{ conId: 1, symbol: 'ZZTOP', quantity: 10 }],
      attempt: 1,
      at: 1,
    });
    publisher.publish('risk.challenge', { previous: 'ACTIVE', status: 'FAILED', reason: 'MAX_DRAWDOWN', startEquity: 123457, equity: 98765.25, at: 1 });
    publisher.publish('venue.alert', { kind: 'order-warning', orderId: 777001, orderRef: 'dd-secret-ref', code: 399, message: 'held' });
    publisher.publish('portfolio.discrepancy', {
      kind: 'equity',
      desk: 123457,
      venue: 98765.25,
      difference: -1,
      action: 'flagged',
      source: 'account-update',
      at: 1,
      message: 'equity differs',
    });
    publisher.publish('workspace', { marker: 'last' });
    await publisher.flush();
    await until(() => all.every((v) => dataFrames(v).some((f) => f.topic === 'venue.status' && (f.data as { since?: number }).since === 1)), 'the status reaches every viewer');
    await until(() => [market, withAccount].every((v) => dataFrames(v).some((f) => f.topic === 'workspace')), 'the market viewers at the last message');
    for (const v of all) {
      const text = JSON.stringify(v.frames);
      for (const secret of ['DU1234567', 'DU7654321', 'gw.internal.example', '4917', '8123', 'several accounts', 'ECONNRESET']) expect(text).not.toContain(secret);
    }
    // What alerts and positions viewers do not own: positions, equity, orders.
    await until(() => dataFrames(alerts).some((f) => f.topic === 'venue.alert'), 'the alerts viewer at the venue alert');
    await until(() => dataFrames(positions).some((f) => f.topic === 'portfolio.discrepancy'), 'the positions viewer at the discrepancy');
    for (const v of [alerts, positions]) {
      const text = JSON.stringify(v.frames);
      for (const secret of ['ZZTOP', '123457', '98765', '777001', 'dd-secret-ref']) expect(text).not.toContain(secret);
    }
    expect(dataFrames(alerts).find((f) => f.topic === 'risk.challenge')?.data).toMatchObject({ status: 'FAILED' });
  });

  it('never shows a viewer with every scope share.revocations (the desk publishes it for relays): not live, not in snapshots, not in resumes or replays', async () => {
    const share = await startShare();
    const every: ViewerScope[] = ['market', 'positions', 'orders', 'pnl', 'alerts', 'account'];
    const publisher = share.s.desk.stream!.publisher;
    const live = viewer(share, (await mint(share, every)).token);
    await until(() => live.frames.some((f) => f.op === 'snapshot'), 'joined');
    const before = publisher.head;

    // Revoked through another handle on the register, as the CLI does: the desk's poll notices and publishes.
    const revoked = await mint(share, ['market']);
    share.tokens.revoke(revoked.id);
    // The empty list went out at the stream's start: wait for the one with the revocation.
    await until(() => (publisher.snapshot().state[REVOCATIONS_TOPIC] as { revoked?: unknown[] } | undefined)?.revoked?.length === 1, 'the desk published its revocations');
    expect(publisher.snapshot().state[REVOCATIONS_TOPIC]).toEqual({ revoked: [{ id: revoked.id, expiresAt: revoked.expiresAt }] });
    publisher.publish('md.quote.ZZZ', { symbol: 'ZZZ', bid: 1, ask: 2 });
    await until(() => dataFrames(live).some((f) => f.topic === 'md.quote.ZZZ'), 'the marker after the revocations');
    const head = publisher.head;

    const joined = viewer(share, (await mint(share, every)).token, { hello: false });
    await joined.opened;
    joined.ws.send(Buffer.from(encodeFrame({ op: 'hello', topics: ['>'] })));
    await until(() => joined.frames.some((f) => f.op === 'snapshot'), 'the snapshot');
    joined.ws.send(Buffer.from(encodeFrame({ op: 'replay', from: before + 1, to: head })));
    await until(() => dataFrames(joined).some((f) => f.topic === 'md.quote.ZZZ'), 'the replay');

    const resumed = viewer(share, (await mint(share, every)).token, { hello: false });
    await resumed.opened;
    resumed.ws.send(Buffer.from(encodeFrame({ op: 'hello', resume: { epoch: publisher.epoch, seq: before } })));
    await until(() => dataFrames(resumed).some((f) => f.topic === 'md.quote.ZZZ'), 'the resume');

    const snapshot = joined.frames.find((f) => f.op === 'snapshot');
    expect(snapshot && 'state' in snapshot ? Object.keys(snapshot.state) : []).toContain('md.quote.ZZZ');
    expect(snapshot && 'state' in snapshot ? Object.keys(snapshot.state) : ['none']).not.toContain(REVOCATIONS_TOPIC);
    for (const v of [live, joined, resumed]) {
      expect(dataFrames(v).map((f) => f.topic)).not.toContain(REVOCATIONS_TOPIC);
      expect(JSON.stringify(v.frames)).not.toContain(revoked.id);
    }
  });

  it('closes a viewer that sends anything but hello and replay, and has no command API', async () => {
    const share = await startShare();
    const v = viewer(share, (await mint(share, ['market'])).token);
    await until(() => v.frames.some((f) => f.op === 'snapshot'), 'joined');
    v.ws.send(Buffer.from(encodeFrame({ op: 'command', name: 'placeOrder', args: {} })));
    const closed = await v.closed;
    expect(closed.code).toBe(4000);
    expect(v.frames.some((f) => f.op === 'error')).toBe(true);

    for (const path of ['/api/commands/placeOrder', '/api/info', '/api']) expect((await get(share, path)).status).toBe(404);
    const marker = await get(share, '/viewer.json');
    expect(marker.status).toBe(200);
    expect(JSON.parse(marker.body)).toMatchObject({ viewer: true });
  });

  it('closes a viewer that never says hello (4010) and refuses viewers past the limit (4009)', async () => {
    const share = await startShare({ limits: { idleTimeoutMs: 300, maxViewers: 2 } });
    const token = (await mint(share, ['market'])).token;
    const silent = viewer(share, token, { hello: false });
    expect(await silent.closed).toMatchObject({ code: 4010 });
    const a = viewer(share, token);
    const b = viewer(share, token);
    await until(() => [a, b].every((v) => v.frames.some((f) => f.op === 'snapshot')), 'two viewers');
    expect(await viewer(share, token).closed).toMatchObject({ code: 4009 });
    expect(a.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('counts viewers from one address apart from its page fetches', async () => {
    const share = await startShare({ limits: { maxViewersPerAddress: 1 } });
    const token = (await mint(share, ['market'])).token;
    const a = viewer(share, token);
    await until(() => a.frames.some((f) => f.op === 'snapshot'), 'the first viewer');
    expect(await viewer(share, token).closed).toMatchObject({ code: 4009 });
    // The same address still fetches the page (here its marker) while its one viewer is open.
    for (let i = 0; i < 3; i++) expect((await get(share, '/viewer.json')).status).toBe(200);
    expect(share.server.status().viewers.map((v) => v.address)).toEqual(['127.0.0.1']);
  });
});
