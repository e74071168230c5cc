// The share dialog in Chromium, on the trader's desk (`dualdesk serve --demo`, sharing off at start):
// turn sharing on, make a viewer link, open it in a second page (a viewer over TLS), watch the viewer
// appear in the dialog, revoke the link there, and the viewer says it was revoked.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeskHealth, ShareStatus } from '../../src/shared';
import { launchChromium } from '../support/browser';
import { serveCommand, startServe, stopServe, type ServeProcess } from '../support/serve';
import { untilAsync } from '../support/wait';

const dataDir = mkdtempSync(join(tmpdir(), 'dualdesk-share-dialog-'));
// `npm run screenshots` points this at docs/screenshots; otherwise they go to a temporary folder.
const SHOTS = process.env['DUALDESK_SCREENSHOTS'] ?? join(dataDir, 'screenshots');
let browser: Browser;
let context: BrowserContext;
let serve: ServeProcess;
let sharePort: number;
let desk: Page;
let viewer: Page;
let link: string;
const problems: string[] = [];

const command = <T>(name: string, args: object = {}) => serveCommand<T>(serve, name, args);
const on = (page: Page) => (id: string) => page.locator(`[data-testid="${id}"]`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  sharePort = await freePort();
  // Sharing is off until the dialog turns it on; where it will listen is the configuration's.
  writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ share: { host: '127.0.0.1', port: sharePort, connectionsPerSecond: 1_000, maxConnectionsPerAddress: 100 } }));
  browser = await launchChromium();
  context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1500, height: 1000 } });
  serve = await startServe(['--demo', '--data-dir', dataDir, '--port', '0', '--log-level', 'warn'], {}, { suite: true });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: serve.url.origin });
  desk = await context.newPage();
  desk.setDefaultTimeout(15_000);
  desk.on('pageerror', (e) => problems.push(e.message));
  await desk.goto(serve.url.href);
  await untilAsync(() => command<DeskHealth>('getHealth').then((h) => h.venue?.state === 'connected' && h.venue.synced), 'the demo venue in sync');
});

afterAll(async () => {
  await browser?.close();
  await stopServe(serve);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the share dialog', () => {
  it('turns sharing on and shows the certificate’s fingerprint', async () => {
    const $ = on(desk);
    expect((await command<ShareStatus>('getShareStatus')).enabled).toBe(false);
    await $('share-open').click();
    await expect.poll(() => $('share-state').getAttribute('data-enabled')).toBe('false');
    expect(await $('share-state').textContent()).toContain('Off');
    await $('share-on').click();
    await expect.poll(() => $('share-state').getAttribute('data-enabled')).toBe('true');
    expect(await $('share-state').textContent()).toContain(`https://127.0.0.1:${sharePort}/`);
    const status = await command<ShareStatus>('getShareStatus');
    expect(status.enabled).toBe(true);
    expect(await $('share-fingerprint').textContent()).toBe(status.fingerprint);
    expect(status.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it('makes a viewer link with the chosen scope and expiry, shown once with a Copy button', async () => {
    const $ = on(desk);
    // A label is needed before a link can be made.
    expect(await $('share-create').isDisabled()).toBe(true);
    await $('share-label').fill('e2e viewer');
    expect(await $('share-scope-market').isChecked()).toBe(true);
    await $('share-scope-positions').check();
    await $('share-expiry').selectOption({ label: '1 h' });
    await $('share-create').click();
    link = (await $('share-link').inputValue()) ?? '';
    expect(link).toMatch(new RegExp(`^https://127\\.0\\.0\\.1:${sharePort}/#token=[A-Za-z0-9_.-]+$`));
    await $('share-copy').click();
    await expect.poll(() => $('share-copy').textContent()).toBe('Copied');
    expect(await desk.evaluate('navigator.clipboard.readText()')).toBe(link);

    const row = desk.locator('[data-testid^="share-token-"]').first();
    expect(await row.textContent()).toContain('e2e viewer');
    expect(await row.textContent()).toContain('Market data, Positions');
    // 1 h: 59 or 60 minutes left, depending on the second it was made in.
    expect(await row.textContent()).toMatch(/in (59 min|1 h)/);

    // Closed and opened again: the token is not shown a second time.
    await $('share-close').click();
    await $('share-open').click();
    await expect.poll(() => $('share-state').getAttribute('data-enabled')).toBe('true');
    expect(await $('share-created').count()).toBe(0);
  });

  it('the link opens a viewer that shows the desk’s data, and the dialog lists it', async () => {
    await command('subscribe', { instrument: { symbol: 'AAPL', secType: 'STK' } });
    viewer = await context.newPage();
    viewer.setDefaultTimeout(15_000);
    viewer.on('pageerror', (e) => problems.push(e.message));
    await viewer.goto(link);
    const v = on(viewer);
    await expect.poll(() => v('view-state').getAttribute('data-state'), { timeout: 20_000 }).toBe('live');
    expect(await v('view-scope').textContent()).toContain('Sees: Market data, Positions');
    await expect.poll(() => viewer.locator('[data-testid="watch-row-AAPL"] [data-testid="bid"]').textContent(), { timeout: 20_000 }).toMatch(/^\d/);
    expect(await v('positions').count()).toBe(1);

    const row = desk.locator('[data-testid="share-viewer"]');
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
    expect(await row.textContent()).toContain('e2e viewer');
    expect(await row.textContent()).toContain('127.0.0.1');
    expect(await row.textContent()).toContain('Market data, Positions');
    await desk.screenshot({ path: join(SHOTS, 'share-dialog.png') });
    await viewer.setViewportSize({ width: 1400, height: 900 });
    await viewer.screenshot({ path: join(SHOTS, 'viewer.png') });
  });

  it('revoking the link in the dialog closes the viewer, which says it was revoked', async () => {
    const $ = on(desk);
    await desk.locator('[data-testid^="share-token-"] [data-testid="share-revoke"]').first().click();
    const v = on(viewer);
    await expect.poll(() => v('view-state').getAttribute('data-state'), { timeout: 10_000 }).toBe('ended');
    expect(await v('view-detail').getAttribute('data-kind')).toBe('revoked');
    expect(await v('view-detail').textContent()).toContain('revoked');
    await expect.poll(() => desk.locator('[data-testid^="share-token-"]').first().getAttribute('data-state')).toBe('revoked');
    expect(await desk.locator('[data-testid^="share-token-"] [data-testid="share-revoke"]').count()).toBe(0);
    await expect.poll(() => desk.locator('[data-testid="share-viewer"]').count()).toBe(0);

    await $('share-off').click();
    await expect.poll(() => $('share-state').getAttribute('data-enabled')).toBe('false');
    expect((await command<ShareStatus>('getShareStatus')).enabled).toBe(false);
    expect(problems).toEqual([]);
  });
});
