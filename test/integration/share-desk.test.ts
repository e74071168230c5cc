// `dualdesk serve --share-port`: the built CLI shares the stream over TLS 1.3, says where and with which
// certificate fingerprint, answers the share commands, and refuses a share port in use with one line.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { VIEWER_TOKEN_PROTOCOL_PREFIX, type CreatedViewerToken, type ShareStatus, type ViewerToken } from '../../src/shared';
import { STREAM_PROTOCOL, decodeFrames, encodeFrame, type ServerFrame } from '../../src/shared/stream';
import { UI_CSP } from '../../src/shared/csp';
import { createDesk, loadConfig } from '../../src/main/app';
import { createLogger } from '../../src/main/ops';
import { fingerprintOf, SHARE_CERT_FILE } from '../../src/main/share';
import { tempDir } from '../support/fs';
import { serveCommand, serveUntilExit, startServe } from '../support/serve';
import { until } from '../support/wait';

async function busyPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port };
}

function httpsGet(port: number, path: string, ca: string): Promise<{ status: number; type: string; csp: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), csp: String(res.headers['content-security-policy'] ?? ''), body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('dualdesk serve --share-port', () => {
  it('shares the stream over TLS 1.3, with the certificate fingerprint in the startup line, the status and /ready', async () => {
    const dataDir = tempDir();
    const serve = await startServe(['--data-dir', dataDir, '--port', '0', '--demo', '--log-level', 'warn', '--share-port', '0', '--share-host', '127.0.0.1']);
    await until(() => /Sharing with viewers at/.test(serve.stderr()), 'the share line');
    const line = /Sharing with viewers at (https:\/\/\S+) \(TLS 1\.3, certificate SHA-256 ([0-9A-F:]+)\)/.exec(serve.stderr());
    expect(line).not.toBeNull();
    const cert = readFileSync(join(dataDir, SHARE_CERT_FILE), 'utf8');
    expect(line![2]).toBe(fingerprintOf(cert));

    const status = await serveCommand<ShareStatus>(serve, 'getShareStatus');
    expect(status).toMatchObject({ enabled: true, host: '127.0.0.1', fingerprint: fingerprintOf(cert), viewers: [], maxViewers: 1_000 });
    const ready = (await (await fetch(new URL('/ready', serve.url.origin))).json()) as { dependencies: Record<string, { ok: boolean; detail?: string }> };
    expect(ready.dependencies['share']).toMatchObject({ ok: true });

    // The viewer page is the built web UI, with the UI's CSP; the page learns it is a viewer from /viewer.json.
    const page = await httpsGet(status.port!, '/', cert);
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/text\/html/);
    expect(page.csp).toBe(UI_CSP);
    expect(JSON.parse((await httpsGet(status.port!, '/viewer.json', cert)).body)).toMatchObject({ viewer: true });
    expect((await httpsGet(status.port!, '/api/commands/placeOrder', cert)).status).toBe(404);

    const created = await serveCommand<CreatedViewerToken>(serve, 'createViewerToken', { scope: ['market'], ttlMinutes: 10, label: 'Alice' });
    expect(created.url).toBe(`https://127.0.0.1:${status.port}/#token=${encodeURIComponent(created.token)}`);
    const frames: ServerFrame[] = [];
    const ws = new WebSocket(`wss://127.0.0.1:${status.port}/stream`, [STREAM_PROTOCOL, `${VIEWER_TOKEN_PROTOCOL_PREFIX}${created.token}`], { ca: cert });
    ws.on('message', (d: Buffer) => frames.push(...(decodeFrames(d) as ServerFrame[])));
    const closed = new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(encodeFrame({ op: 'hello' }));
    await until(() => frames.some((f) => f.op === 'snapshot'), 'the viewer’s snapshot');
    const during = await serveCommand<ShareStatus>(serve, 'getShareStatus');
    expect(during.viewers).toMatchObject([{ tokenId: created.id, label: 'Alice', scope: ['market'], address: '127.0.0.1' }]);

    const listed = await serveCommand<ViewerToken[]>(serve, 'listViewerTokens');
    expect(listed.map((t) => t.id)).toEqual([created.id]);
    await serveCommand<ViewerToken>(serve, 'revokeViewerToken', { id: created.id });
    expect(await closed).toBe(4004);
    // The token is never logged.
    expect(serve.stdout() + serve.stderr()).not.toContain(created.token);

    const off = await serveCommand<ShareStatus>(serve, 'setSharing', { enabled: false });
    expect(off.enabled).toBe(false);
    const busy = await busyPort();
    const refused = await serveCommand<ShareStatus>(serve, 'setSharing', { enabled: true, port: busy.port, host: '127.0.0.1' });
    expect(refused).toMatchObject({ enabled: false, error: expect.stringMatching(new RegExp(`port ${busy.port} .*in use`)) as unknown });
    const on = await serveCommand<ShareStatus>(serve, 'setSharing', { enabled: true, port: 0, host: '127.0.0.1' });
    expect(on).toMatchObject({ enabled: true, host: '127.0.0.1' });
    expect(on.error).toBeUndefined();
  });

  it('exits 1 with one clear line when the share port is in use', async () => {
    const busy = await busyPort();
    const run = await serveUntilExit(['--data-dir', tempDir(), '--port', '0', '--log-level', 'silent', '--share-port', String(busy.port), '--share-host', '127.0.0.1']);
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`port ${busy.port} on 127\\.0\\.0\\.1 is in use`));
  });
});

describe('sharing follows the trading mode', () => {
  it('moves viewers to the new mode’s stream: closed as the stream changed (1012), and served the new epoch on reconnecting', async () => {
    const dataDir = tempDir();
    const desk = createDesk(loadConfig({ flags: { dataDir, demo: true, 'share.enabled': true, 'share.port': 0, 'share.host': '127.0.0.1' } }), {
      logger: createLogger({ level: 'silent' }),
    });
    onTestFinished(() => desk.stop());
    await desk.start();
    const status = desk.sharing.status();
    expect(status.enabled).toBe(true);
    const cert = readFileSync(join(dataDir, SHARE_CERT_FILE), 'utf8');
    const created = await desk.command('createViewerToken', { scope: ['market'], ttlMinutes: 10, label: 'Bob' });
    if (!created.ok) throw new Error(created.error.message);
    const { token } = created.value as CreatedViewerToken;
    const join1 = async () => {
      const frames: ServerFrame[] = [];
      const ws = new WebSocket(`wss://127.0.0.1:${status.port}/stream`, [STREAM_PROTOCOL, `${VIEWER_TOKEN_PROTOCOL_PREFIX}${token}`], { ca: cert });
      ws.on('message', (d: Buffer) => frames.push(...(decodeFrames(d) as ServerFrame[])));
      const closed = new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code)));
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      ws.send(encodeFrame({ op: 'hello' }));
      await until(() => frames.some((f) => f.op === 'welcome'), 'the welcome');
      onTestFinished(() => ws.terminate());
      return { frames, closed, epoch: (frames.find((f) => f.op === 'welcome') as { epoch: string }).epoch };
    };
    const before = await join1();
    expect(before.epoch).toBe(desk.stream!.publisher.epoch);
    await desk.switchMode('live');
    expect(await before.closed).toBe(1012);
    const after = await join1();
    expect(after.epoch).toBe(desk.stream!.publisher.epoch);
    expect(after.epoch).not.toBe(before.epoch);
  });
});
