import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ViewerTokens } from '../../src/main/share';
import { decodeFrames, type ServerFrame } from '../../src/shared/stream';
import { launchChromium } from '../support/browser';
import { tempDir } from '../support/fs';
import { startServe } from '../support/serve';

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe('the web UI in Chromium, served by dualdesk serve', () => {
  it('renders the shell with the mode badge, takes the token out of the address bar, and breaks no CSP rule', async () => {
    // A revoked viewer token: the desk's stream carries share.revocations (for relays), which the trader's UI receives and must ignore.
    const dataDir = tempDir();
    const register = await ViewerTokens.open(dataDir);
    register.revoke((await register.create({ scope: ['market'], ttlMs: 3_600_000, label: 'gone' })).id);
    register.close();
    const serve = await startServe(['--data-dir', dataDir, '--port', '0', '--log-level', 'warn']);
    const page = await browser.newPage();
    const topics = new Set<string>();
    page.on('websocket', (ws) =>
      ws.on('framereceived', ({ payload }) => {
        if (typeof payload === 'string') return;
        for (const f of decodeFrames(payload) as ServerFrame[]) {
          if (f.op === 'data') topics.add(f.topic);
          if (f.op === 'snapshot') for (const t of Object.keys(f.state)) topics.add(t);
        }
      }),
    );
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));

    await page.goto(serve.url.href);
    await expect.poll(() => page.locator('[data-testid=core-status]').getAttribute('class')).toContain('core-ready');
    expect(await page.locator('[data-testid=topbar] .brand').textContent()).toBe('DualDesk');
    expect(await page.locator('[data-testid=mode-badge]').textContent()).toBe('PAPER');
    expect(new URL(page.url()).searchParams.has('token')).toBe(false);
    await expect.poll(() => topics.has('share.revocations')).toBe(true);
    expect(problems).toEqual([]);

    await page.close();
    serve.proc.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
  });

  it('says what is wrong when opened without the control token', async () => {
    const serve = await startServe(['--data-dir', tempDir(), '--port', '0', '--log-level', 'warn']);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${serve.url.origin}/`);
    const status = page.locator('[data-testid=core-status]');
    await expect.poll(() => status.getAttribute('class')).toContain('core-error');
    expect(await status.textContent()).toContain('No control token');
    await context.close();
    serve.proc.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
  });
});
