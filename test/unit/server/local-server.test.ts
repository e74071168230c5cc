import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CONTROL_TOKEN_FILE, createDesk, loadConfig, type Desk } from '../../../src/main/app';
import { tempDir } from '../../support/fs';
import { httpRequest } from '../../support/http';
import { memoryLogger } from '../../support/logs';

let desk: Desk | undefined;
afterEach(async () => {
  await desk?.stop();
  desk = undefined;
});

async function startDesk(uiDir?: string) {
  const dataDir = tempDir();
  const config = loadConfig({ flags: { dataDir, 'server.port': 0 }, defaults: { server: { enabled: true, ...(uiDir ? { uiDir } : {}) } } });
  const log = memoryLogger();
  desk = createDesk(config, { logger: log.logger });
  await desk.start();
  const { port } = desk.server!.address();
  const token = readFileSync(join(dataDir, CONTROL_TOKEN_FILE), 'utf8').trim();
  return { base: `http://127.0.0.1:${port}`, port, token, log };
}

describe('local server', () => {
  it('answers /health with 200 and /ready with 503 naming the venue as not configured', async () => {
    const { base } = await startDesk();
    const health = await httpRequest(`${base}/health`);
    expect(health.status).toBe(200);
    expect(health.json()).toMatchObject({ status: 'ok' });

    const ready = await httpRequest(`${base}/ready`);
    expect(ready.status).toBe(503);
    expect(ready.json()).toEqual({
      ready: false,
      dependencies: {
        venue: { ok: false, reason: 'not configured' },
        stream: { ok: true, detail: expect.stringMatching(/^epoch \S+, head \d+; 0 WebSocket subscriber\(s\), 0 catching up$/) as unknown },
        kafka: { ok: true, detail: 'not configured: the stream runs on the WebSocket and the journal alone' },
        journal: { ok: true },
      },
    });
  });

  it('serves Prometheus metrics with process, event-loop lag and request counters', async () => {
    const { base } = await startDesk();
    await httpRequest(`${base}/health`);
    const metrics = await httpRequest(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(metrics.body).toMatch(/^process_cpu_user_seconds_total /m);
    expect(metrics.body).toMatch(/^nodejs_eventloop_lag_p99_seconds /m);
    expect(metrics.body).toMatch(/^dualdesk_build_info\{version="[^"]+"\} 1$/m);
    expect(metrics.body).toMatch(/^dualdesk_trading_mode\{mode="paper"\} 1$/m);
    expect(metrics.body).toMatch(/^dualdesk_http_requests_total\{route="health",status="200"\} 1$/m);
  });

  it('requires the control token for the API, by header or query parameter, and never logs it', async () => {
    const { base, token, log } = await startDesk();
    expect((await httpRequest(`${base}/api/info`)).status).toBe(401);
    expect((await httpRequest(`${base}/api/info`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await httpRequest(`${base}/api/info?token=${token.slice(0, -1)}x`)).status).toBe(401);

    const byHeader = await httpRequest(`${base}/api/info`, { headers: { authorization: `Bearer ${token}` } });
    expect(byHeader.status).toBe(200);
    expect(byHeader.json()).toMatchObject({ product: 'DualDesk', mode: 'paper' });
    const byQuery = await httpRequest(`${base}/api/info?token=${token}`);
    expect(byQuery.status).toBe(200);

    expect(log.text()).toContain('/api/info');
    expect(log.text()).not.toContain(token);
  });

  it('refuses requests that name another host (DNS rebinding)', async () => {
    const { base, port } = await startDesk();
    const evil = await httpRequest(`${base}/health`, { headers: { host: `evil.example:${port}` } });
    expect(evil.status).toBe(403);
    expect(evil.json()).toMatchObject({ error: { code: 'host_not_allowed' } });
    const wrongPort = await httpRequest(`${base}/health`, { headers: { host: `localhost:${port + 1}` } });
    expect(wrongPort.status).toBe(403);
    expect((await httpRequest(`${base}/health`, { headers: { host: `localhost:${port}` } })).status).toBe(200);
  });

  it('answers unknown paths and methods with JSON errors and keeps serving', async () => {
    const { base, token } = await startDesk();
    const post = await httpRequest(`${base}/health`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers['allow']).toBe('GET, HEAD');
    expect((await httpRequest(`${base}/api/nope?token=${token}`)).status).toBe(404);
    const noUi = await httpRequest(`${base}/`);
    expect(noUi.status).toBe(404);
    expect(noUi.json<{ error: { message: string } }>().error.message).toContain('npm run build');
    const head = await httpRequest(`${base}/health`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect((await httpRequest(`${base}/health`)).status).toBe(200);
  });

  it('sets security headers on every response', async () => {
    const { base } = await startDesk();
    const res = await httpRequest(`${base}/health`);
    expect(res.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'cache-control': 'no-store',
    });
  });

  it('serves the web UI from its folder with the UI content-security-policy', async () => {
    const ui = tempDir();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(ui, 'index.html'), '<!doctype html><title>ui</title>');
    const { base } = await startDesk(ui);
    const res = await httpRequest(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.body).toContain('<title>ui</title>');
    expect(String(res.headers['content-security-policy'])).toContain("script-src 'self'");
    expect((await httpRequest(`${base}/../../etc/passwd`)).status).toBe(404);
    expect((await httpRequest(`${base}/missing.js`)).status).toBe(404);
  });

  it('stops accepting connections on stop', async () => {
    const { base } = await startDesk();
    await desk!.stop();
    await expect(httpRequest(`${base}/health`)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('runs commands at POST /api/commands/<name>: token, JSON only, typed results and errors', async () => {
    const { base, token } = await startDesk();
    const post = (name: string, body: string | Buffer, headers: Record<string, string> = {}) =>
      httpRequest(`${base}/api/commands/${name}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers }, body });
    expect((await httpRequest(`${base}/api/commands/getRiskStatus`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(401);
    expect((await post('getRiskStatus', '{}', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await post('nope', '{}')).status).toBe(404);
    expect((await post('getRiskStatus', '{not json')).json()).toMatchObject({ error: { code: 'bad_request' } });
    expect((await post('getRiskStatus', Buffer.alloc(70 * 1024, 32))).status).toBe(413);
    const status = await post('getRiskStatus', '');
    expect(status.status).toBe(200);
    expect(status.json()).toMatchObject({ ok: true, value: { state: 'ACTIVE' } });
    const invalid = await post('cancelOrder', '{"orderId": 5}');
    expect(invalid.status).toBe(400);
    expect(invalid.json()).toMatchObject({ ok: false, error: { code: 'invalid-arguments', message: expect.stringMatching(/Order id must be a string/) as unknown } });
    const refused = await post('placeOrder', JSON.stringify({ ticket: { instrument: { symbol: 'AAPL', secType: 'STK' }, side: 'BUY', quantity: 1, type: 'MKT' } }));
    expect(refused.status).toBe(409);
    expect(refused.json()).toMatchObject({ ok: false, error: { code: 'no-venue' } });
    expect((await httpRequest(`${base}/api/commands/getRiskStatus`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(405);
  });
});
