// The workstation in Debian's Chromium against `dualdesk serve --demo` (the simulator over real TCP):
// what a trader does in a session, in order, on one page.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser';
import { serveCommand, startServe, stopServe, type ServeProcess } from '../support/serve';

// `npm run screenshots` points this at docs/screenshots; otherwise they go to a temporary folder.
const dataDir = mkdtempSync(join(tmpdir(), 'dualdesk-ui-'));
const SHOTS = process.env['DUALDESK_SCREENSHOTS'] ?? join(dataDir, 'screenshots');
mkdirSync(SHOTS, { recursive: true });
let browser: Browser;
let serve: ServeProcess;
let page: Page;
const problems: string[] = [];

const serveArgs = (port: number) => ['--demo', '--data-dir', dataDir, '--port', String(port), '--log-level', 'warn'];
const byTest = (id: string) => page.locator(`[data-testid="${id}"]`);
const text = async (id: string) => (await byTest(id).first().textContent()) ?? '';

/** A command straight to the server (what the page shows is checked against it). */
const serverCommand = <T>(name: string, args: object = {}) => serveCommand<T>(serve, name, args);

async function shot(name: string) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

beforeAll(async () => {
  browser = await launchChromium();
  serve = await startServe(serveArgs(0), {}, { suite: true });
  page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  // A click that cannot happen fails with what blocked it, well inside the test's time.
  page.setDefaultTimeout(15_000);
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(serve.url.href);
});

afterAll(async () => {
  await browser?.close();
  await stopServe(serve);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the workstation in Chromium against the demo venue', () => {
  it('shows ticking quotes and a chart with candles and both EMAs, with no CSP or script error', async () => {
    const bid = page.locator('[data-testid="watch-row-AAPL"] [data-testid="bid"]');
    await expect.poll(() => bid.textContent(), { timeout: 20_000 }).toMatch(/^\d[\d,]*\.\d+$/);
    const first = await bid.textContent();
    // Quotes tick: the bid moves within a few seconds.
    await expect.poll(async () => (await bid.textContent()) !== first, { timeout: 15_000 }).toBe(true);

    const chart = byTest('chart-canvas');
    await expect.poll(() => chart.getAttribute('data-state'), { timeout: 20_000 }).toBe('ready');
    expect(Number(await chart.getAttribute('data-bars'))).toBeGreaterThan(20);
    expect(Number(await chart.getAttribute('data-emas'))).toBe(2);
    expect(await page.locator('[data-testid="chart"] canvas').count()).toBeGreaterThan(0);
    expect(await byTest('mode-badge').textContent()).toBe('PAPER');
    expect(await text('account-id')).toMatch(/^DU\d+/);
    await expect.poll(() => byTest('status-venue').getAttribute('data-state')).toBe('ok');
    await expect.poll(() => byTest('status-ws').getAttribute('data-state')).toBe('ok');
    expect(await byTest('status-journal').getAttribute('data-state')).toBe('ok');
    await shot('workstation');
    expect(problems).toEqual([]);
  });

  it('adding an unknown symbol shows the venue’s error where the trader typed it', async () => {
    await byTest('add-symbol').fill('ZZZZQ');
    await byTest('add-symbol-button').click();
    await expect.poll(() => text('add-symbol-error'), { timeout: 15_000 }).toContain('No security definition');
    expect(await page.locator('[data-testid="watch-row-ZZZZQ"]').count()).toBe(0);
  });

  it('a paper market order fills and appears in fills (with commission) and positions (with P&L)', async () => {
    await page.locator('[data-testid="watch-row-AAPL"]').click();
    await byTest('side-BUY').click();
    await byTest('ticket-quantity').fill('50');
    await byTest('ticket-type').selectOption('MKT');
    await expect.poll(() => text('risk-verdict')).toContain('passes every check');
    await byTest('ticket-send').click();
    await expect.poll(() => text('ticket-result'), { timeout: 15_000 }).toMatch(/BUY 50 AAPL MKT/);

    await byTest('tab-fills').click();
    const fill = page.locator('[data-testid="fill-AAPL"]').first();
    await expect.poll(() => fill.count(), { timeout: 15_000 }).toBe(1);
    await expect.poll(async () => Number((await fill.locator('[data-testid="fill-commission"]').textContent())?.replace(/,/g, '')), { timeout: 15_000 }).toBeGreaterThan(0);

    await byTest('tab-positions').click();
    const position = page.locator('[data-testid="position-AAPL"]');
    await expect.poll(() => position.locator('[data-testid="position-qty"]').textContent(), { timeout: 15_000 }).toBe('50');
    await expect.poll(() => position.locator('[data-testid="position-upnl"]').textContent(), { timeout: 15_000 }).toMatch(/^[+-]?[\d,]+\.\d\d$/);
    await shot('order-filled');
  });

  it('a limit order rests, is cancelled, and moves to done', async () => {
    const last = Number((await page.locator('[data-testid="watch-row-AAPL"] [data-testid="bid"]').textContent())?.replace(/,/g, ''));
    const limit = (Math.floor(last * 0.97 * 100) / 100).toFixed(2);
    await byTest('ticket-type').selectOption('LMT');
    await byTest('ticket-quantity').fill('7');
    await byTest('ticket-limit').fill(limit);
    await expect.poll(() => text('risk-verdict')).toContain('passes every check');
    await byTest('ticket-send').click();
    await expect.poll(() => text('ticket-result'), { timeout: 15_000 }).toMatch(/BUY 7 AAPL LMT/);

    await byTest('tab-orders').click();
    await byTest('orders-working').click();
    const row = page.locator('[data-testid^="order-"][data-state="submitted"]');
    await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(1);
    await shot('orders-working');
    await row.locator('[data-testid="order-cancel"]').click();
    await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(0);
    await byTest('orders-done').click();
    await expect.poll(() => page.locator('[data-testid^="order-"][data-state="cancelled"]').count(), { timeout: 15_000 }).toBe(1);
  });

  it('an order the risk gate refuses shows the reason and Send waits', async () => {
    await byTest('ticket-type').selectOption('MKT');
    await byTest('ticket-quantity').fill('20000');
    await expect.poll(() => text('risk-verdict')).toMatch(/Risk: .*20,000.*(maximum|limit|exceeds)/i);
    // Send waits while the gate refuses, the reason beside it.
    expect(await byTest('ticket-send').isDisabled()).toBe(true);
    expect(await byTest('ticket-send').getAttribute('title')).toMatch(/20,000/);
    await shot('risk-rejected');
  });

  it('the kill switch ends flat and latched until re-armed', async () => {
    await byTest('kill-switch').click();
    await byTest('kill-confirm').click();
    await expect.poll(() => text('kill-result'), { timeout: 30_000 }).toContain('Flat and halted');
    await expect.poll(() => text('risk-state'), { timeout: 10_000 }).toContain('HALTED (latched)');
    await byTest('tab-positions').click();
    await expect.poll(() => page.locator('[data-testid="position-AAPL"] [data-testid="position-qty"]').textContent(), { timeout: 15_000 }).toBe('0');
    // Halted: a new order is refused with the reason.
    await byTest('ticket-quantity').fill('5');
    await expect.poll(() => text('risk-verdict')).toMatch(/halt/i);
    await shot('kill-switch');
    await byTest('rearm').click();
    await expect.poll(() => text('risk-state'), { timeout: 10_000 }).toBe('ACTIVE');
    await byTest('kill-result').click();
  });

  it('switching to LIVE asks for a typed confirmation and, against a paper account, refuses to trade and says why', async () => {
    await byTest('switch-live').click();
    const confirm = byTest('live-confirm');
    expect(await confirm.isDisabled()).toBe(true);
    await byTest('live-confirm-input').fill('live');
    expect(await confirm.isDisabled()).toBe(true);
    await byTest('live-confirm-input').fill('LIVE');
    await shot('live-confirm');
    await confirm.click();
    await expect.poll(() => text('mode-badge'), { timeout: 30_000 }).toBe('LIVE');
    await expect.poll(() => text('trading-refused'), { timeout: 20_000 }).toMatch(/paper account .* orders are refused/);
    await byTest('arm-live').click();
    await byTest('arm-confirm').click();
    await expect.poll(() => text('arm-error'), { timeout: 10_000 }).toMatch(/LIVE mode is connected to paper account/);
    await page.locator('[data-testid="arm-dialog"] button', { hasText: 'Cancel' }).click();
    await expect.poll(() => page.locator('[data-testid="watch-row-AAPL"]').count(), { timeout: 20_000 }).toBe(1);
    await page.locator('[data-testid="watch-row-AAPL"]').click();
    await byTest('ticket-quantity').fill('3');
    // The ticket says so before sending, from the venue's own status.
    await expect.poll(() => text('risk-verdict'), { timeout: 10_000 }).toMatch(/paper account/);
    // Send is off while trading is not allowed, with the venue's reason beside it.
    await expect.poll(() => byTest('ticket-send').isDisabled(), { timeout: 10_000 }).toBe(true);
    expect(await text('send-blocked')).toMatch(/paper account/);
    await shot('live-refused');
    await byTest('switch-paper').click();
    await expect.poll(() => text('mode-badge'), { timeout: 30_000 }).toBe('PAPER');
  });

  it('after the server restarts, the stream reconnects and resumes from its position without a gap', async () => {
    const seq = async () => Number(await text('stream-seq'));
    // The page is on the paper stream again after the mode switches (its epoch is the server's).
    // (The switch back may still be finishing: the server's stream is there once it has.)
    const epoch = async () => (await serverCommand<{ stream: { epoch: string } | null }>('getHealth')).stream?.epoch;
    await expect.poll(epoch, { timeout: 15_000 }).toBeTruthy();
    const serverEpoch = await epoch();
    await expect.poll(() => byTest('stream-epoch').getAttribute('data-epoch'), { timeout: 15_000 }).toBe(serverEpoch);
    await expect.poll(seq, { timeout: 10_000 }).toBeGreaterThan(0);
    const before = await seq();
    await byTest('tab-alerts').click();
    const resets = async () => ((await byTest('alert-log').textContent()) ?? '').split('Stream reset').length - 1;
    // The mode switches before reset the position (each mode has its own stream); a restart must not.
    const resetsBefore = await resets();
    const port = serve.url.port;
    serve.proc.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
    await expect.poll(() => byTest('status-ws').getAttribute('data-state'), { timeout: 10_000 }).toBe('bad');
    serve = await startServe(serveArgs(Number(port)), {}, { suite: true });
    await expect.poll(() => byTest('status-ws').getAttribute('data-state'), { timeout: 30_000 }).toBe('ok');
    await expect.poll(seq, { timeout: 20_000 }).toBeGreaterThan(before);
    expect(Number(await text('stream-reconnects'))).toBeGreaterThan(0);
    // Every gap seen was filled, and the position was kept (no new 'Stream reset').
    const [detected, filled] = (await text('stream-gaps')).split(' / ').map(Number);
    expect(filled).toBe(detected);
    expect(await resets(), (await byTest('alert-log').textContent()) ?? '').toBe(resetsBefore);
    // The restarted core is asked again for this window's market data: quotes move again.
    const bid = page.locator('[data-testid="watch-row-AAPL"] [data-testid="bid"]');
    const stale = await bid.textContent();
    await expect.poll(() => bid.textContent(), { timeout: 20_000 }).not.toBe(stale);
    expect(problems.filter((p) => !/WebSocket connection .* failed|ERR_CONNECTION_REFUSED|Failed to load resource/.test(p))).toEqual([]);
  });
});
