// The web viewer in Chromium, served by the share server of `dualdesk serve --demo --share-port`
// over TLS 1.3 (its self-signed certificate): read-only, driven by the stream alone; it resumes after
// the desk restarts, says why it was refused (revoked, expired) and retries when the desk is full.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ViewerTokens } from '../../src/main/share';
import type { CreatedViewerToken, DeskHealth, Order, ShareStatus, ViewerScope } from '../../src/shared';
import { launchChromium } from '../support/browser';
import { serveCommand, startServe, stopServe, type ServeProcess } from '../support/serve';
import { untilAsync } from '../support/wait';

const dataDir = mkdtempSync(join(tmpdir(), 'dualdesk-viewer-'));
// One viewer at a time, so the second one meets the limit (4009); loopback's connection rate is not what is tested here.
writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ share: { maxViewers: 1, connectionsPerSecond: 1_000, maxConnectionsPerAddress: 100 } }));
const AAPL = { symbol: 'AAPL', secType: 'STK' } as const;
const ALL: ViewerScope[] = ['market', 'positions', 'orders', 'pnl', 'alerts'];

let browser: Browser;
let context: BrowserContext;
let serve: ServeProcess;
let sharePort: number;
let first: Page;
let second: Page;
let secondToken: CreatedViewerToken;
const problems: string[] = [];

const command = <T>(name: string, args: object = {}) => serveCommand<T>(serve, name, args);
const within = (page: Page) => (id: string) => page.locator(`[data-testid="${id}"]`);

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

async function startDesk(): Promise<void> {
  serve = await startServe(
    ['--demo', '--data-dir', dataDir, '--port', '0', '--share-port', String(sharePort), '--share-host', '127.0.0.1', '--log-level', 'warn'],
    {},
    { suite: true },
  );
  // A headless desk streams an instrument's market data once something subscribes it (once its venue is in sync).
  await untilAsync(() => command<DeskHealth>('getHealth').then((h) => h.venue?.state === 'connected' && h.venue.synced), 'the demo venue in sync');
  await command('subscribe', { instrument: AAPL });
}

async function openViewer(url: string): Promise<Page> {
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(url);
  return page;
}

beforeAll(async () => {
  sharePort = await freePort();
  browser = await launchChromium();
  // The share server's certificate is self-signed (the trader hands out its fingerprint).
  context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1400, height: 900 } });
  await startDesk();
});

afterAll(async () => {
  await browser?.close();
  await stopServe(serve);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the web viewer', () => {
  it('loads read-only from the link, with the token out of the address bar, and shows quotes, the chart and positions', async () => {
    const status = await command<ShareStatus>('getShareStatus');
    expect(status.enabled).toBe(true);
    const created = await command<CreatedViewerToken>('createViewerToken', { scope: ALL, ttlMinutes: 60, label: 'e2e first' });
    expect(created.url).toBe(`https://127.0.0.1:${sharePort}/#token=${encodeURIComponent(created.token)}`);
    first = await openViewer(created.url as string);
    const $ = within(first);

    await expect.poll(() => $('view-state').getAttribute('data-state'), { timeout: 20_000 }).toBe('live');
    // The token left the address bar (and was never in a request URL: it is in the fragment).
    expect(first.url()).toBe(`https://127.0.0.1:${sharePort}/`);
    expect(await $('view-badge').textContent()).toBe('VIEW ONLY');
    expect(await $('view-scope').textContent()).toContain('Sees: Market data, Positions, Orders & fills, P&L, Risk alerts');
    // Nothing that acts: no ticket, no kill switch, no mode switch, no share dialog.
    for (const id of ['ticket', 'kill-switch', 'switch-live', 'switch-paper', 'share-open', 'add-symbol']) expect(await $(id).count(), id).toBe(0);
    expect(await first.locator('.ticket, button.kill').count()).toBe(0);

    const bid = first.locator('[data-testid="watch-row-AAPL"] [data-testid="bid"]');
    await expect.poll(() => bid.textContent(), { timeout: 20_000 }).toMatch(/^\d[\d,]*\.\d+$/);
    await expect.poll(async () => Number(await $('chart-canvas').getAttribute('data-bars')), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await first.locator('[data-testid="chart"] canvas').count()).toBeGreaterThan(0);

    const order = await command<Order>('placeOrder', { ticket: { instrument: AAPL, side: 'BUY', quantity: 7, type: 'MKT' } });
    await expect.poll(() => first.locator('[data-testid="position-AAPL"] [data-testid="position-qty"]').textContent(), { timeout: 20_000 }).toBe('7');
    await expect.poll(() => first.locator(`[data-testid="order-${order.id}"]`).getAttribute('data-state'), { timeout: 20_000 }).toBe('filled');
    await expect.poll(() => $('pnl-equity').textContent()).toMatch(/^\d[\d,]*\.\d\d$/);
    // The desk counts it among its viewers.
    await expect.poll(async () => (await command<ShareStatus>('getShareStatus')).viewers.map((v) => v.label)).toEqual(['e2e first']);
    expect(problems).toEqual([]);
  });

  it('resumes where it was after the desk restarts: same stream, no second snapshot, nothing missed', async () => {
    const $ = within(first);
    const epoch = await $('view-state').getAttribute('data-epoch');
    const seq = Number(await $('view-state').getAttribute('data-seq'));
    expect(epoch).not.toBe('');
    await stopServe(serve);
    await expect.poll(() => $('view-state').getAttribute('data-state'), { timeout: 10_000 }).toBe('disconnected');
    expect(await $('view-state').textContent()).toBe('Disconnected');

    await startDesk();
    await expect.poll(() => $('view-state').getAttribute('data-state'), { timeout: 30_000 }).toBe('live');
    expect(await $('view-state').getAttribute('data-epoch')).toBe(epoch);
    expect(Number(await $('view-state').getAttribute('data-snapshots'))).toBe(1);
    await expect.poll(async () => Number(await $('view-state').getAttribute('data-seq')), { timeout: 20_000 }).toBeGreaterThan(seq);
    // The position from before the restart is still shown, and a new fill moves it.
    await command('placeOrder', { ticket: { instrument: AAPL, side: 'BUY', quantity: 3, type: 'MKT' } });
    await expect.poll(() => first.locator('[data-testid="position-AAPL"] [data-testid="position-qty"]').textContent(), { timeout: 20_000 }).toBe('10');
  });

  it('a viewer over the desk’s limit is told so and gets in once a place is free (4009, retried)', async () => {
    secondToken = await command<CreatedViewerToken>('createViewerToken', { scope: ['market'], ttlMinutes: 60, label: 'e2e second' });
    second = await openViewer(secondToken.url as string);
    const $ = within(second);
    await expect.poll(() => $('view-detail').getAttribute('data-kind'), { timeout: 15_000 }).toBe('limit');
    expect(await $('view-state').getAttribute('data-state')).toBe('disconnected');
    expect(await $('view-detail').textContent()).toContain('Too many viewers on this desk right now');

    await first.close();
    await expect.poll(() => $('view-state').getAttribute('data-state'), { timeout: 30_000 }).toBe('live');
    expect(await $('view-detail').count()).toBe(0);
    // Market data only: no positions, no P&L, no orders in its page.
    expect(await $('view-scope').textContent()).toContain('Sees: Market data');
    for (const id of ['positions', 'pnl', 'orders', 'fills']) expect(await $(id).count(), id).toBe(0);
    await expect.poll(() => second.locator('[data-testid="watch-row-AAPL"] [data-testid="bid"]').textContent(), { timeout: 20_000 }).toMatch(/^\d/);
  });

  it('says revoked, and stops trying, when the trader revokes its link', async () => {
    const $ = within(second);
    await command('revokeViewerToken', { id: secondToken.id });
    await expect.poll(() => $('view-state').getAttribute('data-state'), { timeout: 10_000 }).toBe('ended');
    expect(await $('view-detail').getAttribute('data-kind')).toBe('revoked');
    expect(await $('view-detail').textContent()).toContain('The trader revoked this viewer link');
    // It does not come back: the desk counts no viewer.
    expect((await command<ShareStatus>('getShareStatus')).viewers).toEqual([]);
    expect(await $('view-state').getAttribute('data-retry')).toBe('no');
    const reconnects = await $('view-state').getAttribute('data-reconnects');
    const attempts = await $('view-state').getAttribute('data-attempts');
    // Three of the page's own half-second polls later (a retry loop's first retry is due within 100 ms): no new attempt.
    const polls = Number(await $('view-state').getAttribute('data-polls'));
    await expect.poll(async () => Number(await $('view-state').getAttribute('data-polls')), { timeout: 10_000 }).toBeGreaterThanOrEqual(polls + 3);
    expect(await $('view-state').getAttribute('data-attempts')).toBe(attempts);
    expect(await $('view-state').getAttribute('data-reconnects')).toBe(reconnects);
    expect((await command<ShareStatus>('getShareStatus')).viewers).toEqual([]);
    // The dead token is forgotten by the tab: a reload does not try it again.
    expect(await second.evaluate("sessionStorage.getItem('dualdesk.viewer-token')")).toBeNull();
  });

  it('says expired for a link that has expired', async () => {
    // A token this desk signed, an hour past its expiry (minted with the register's clock set back).
    const tokens = await ViewerTokens.open(dataDir, { now: () => Date.now() - 2 * 3_600_000 });
    let token: string;
    try {
      token = (await tokens.create({ scope: ['market'], ttlMs: 3_600_000, label: 'e2e expired' })).token;
    } finally {
      tokens.close();
    }
    const page = await openViewer(`https://127.0.0.1:${sharePort}/#token=${encodeURIComponent(token)}`);
    const $ = within(page);
    await expect.poll(() => $('view-state').getAttribute('data-state'), { timeout: 15_000 }).toBe('ended');
    expect(await $('view-detail').getAttribute('data-kind')).toBe('expired');
    expect(await $('view-detail').textContent()).toContain('This viewer link has expired');
    expect(await $('view-scope').textContent()).toContain('link expires expired');
    expect(await page.evaluate("sessionStorage.getItem('dualdesk.viewer-token')")).toBeNull();
    expect(problems).toEqual([]);
  });

  it('without a link, the page says it needs one', async () => {
    const page = await openViewer(`https://127.0.0.1:${sharePort}/`);
    await expect.poll(() => page.locator('[data-testid="viewer-no-link"]').count()).toBe(1);
  });
});
