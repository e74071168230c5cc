// The chart's 5-second view, the risk bars in money and closed positions, in Debian's Chromium against
// `dualdesk serve --demo` (the simulator over real TCP), on one page of its own.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EquitySnapshot, RiskStatus } from '../../src/shared';
import { launchChromium } from '../support/browser';
import { serveCommand, startServe, stopServe, type ServeProcess } from '../support/serve';

// `npm run screenshots` points this at docs/screenshots; otherwise they go to a temporary folder.
const dataDir = mkdtempSync(join(tmpdir(), 'dualdesk-chart-'));
const SHOTS = process.env['DUALDESK_SCREENSHOTS'] ?? join(dataDir, 'screenshots');
mkdirSync(SHOTS, { recursive: true });
let browser: Browser;
let serve: ServeProcess;
let page: Page;
let openedAt = 0;
const problems: string[] = [];

const serveArgs = (port: number) => ['--demo', '--data-dir', dataDir, '--port', String(port), '--log-level', 'warn'];
const byTest = (id: string) => page.locator(`[data-testid="${id}"]`);
const text = async (id: string) => (await byTest(id).first().textContent()) ?? '';
const money = (n: number) => new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(n);

/** A command straight to the server (what the page shows is checked against it). */
const serverCommand = <T>(name: string, args: object = {}) => serveCommand<T>(serve, name, args);

/** The chart element's attribute as a number (NaN when absent). */
async function chartNumber(name: string): Promise<number> {
  const v = await byTest('chart-canvas').getAttribute(`data-${name}`);
  return v === null ? Number.NaN : Number(v);
}

/** A market order from the ticket, awaited until the ticket reports it. */
async function marketOrder(side: 'BUY' | 'SELL', quantity: number) {
  await byTest(`side-${side}`).click();
  await byTest('ticket-quantity').fill(String(quantity));
  await byTest('ticket-type').selectOption('MKT');
  await expect.poll(() => text('risk-verdict')).toContain('passes every check');
  await byTest('ticket-send').click();
  await expect.poll(() => text('ticket-result'), { timeout: 15_000 }).toMatch(new RegExp(`${side} ${quantity} AAPL MKT`));
}

beforeAll(async () => {
  browser = await launchChromium();
  serve = await startServe(serveArgs(0), {}, { suite: true });
  page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.setDefaultTimeout(15_000);
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  openedAt = Date.now();
  await page.goto(serve.url.href);
});

afterAll(async () => {
  await browser?.close();
  await stopServe(serve);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the chart, the risk bars and closed positions in Chromium against the demo venue', () => {
  it('the 5-second view draws an hour of 5-second history with its own EMAs and crossovers; 1m keeps its own', async () => {
    const chart = byTest('chart-canvas');
    await expect.poll(() => chart.getAttribute('data-state'), { timeout: 20_000 }).toBe('ready');
    await byTest('interval-5s').click();
    await expect.poll(() => chart.getAttribute('data-interval')).toBe('5s');
    await expect.poll(() => chart.getAttribute('data-state'), { timeout: 20_000 }).toBe('ready');

    // History: far more bars than the few 5-second bars since the page opened, reaching back before it.
    expect(await chartNumber('bars')).toBeGreaterThan(100);
    expect(await chartNumber('first-bar')).toBeLessThan(openedAt / 1000 - 10 * 60);
    // Consecutive bars 5 s apart (the usual gap and the smallest).
    expect(await chartNumber('spacing')).toBe(5);
    expect(await chartNumber('min-spacing')).toBe(5);
    // Two EMA lines, their points 5 s apart and each at a 5-second bar.
    expect(await chartNumber('emas')).toBe(2);
    expect(await chartNumber('ema-spacing')).toBe(5);
    expect(await chartNumber('ema-off-bar')).toBe(0);
    expect(await chartNumber('ema-first')).toBeLessThan(openedAt / 1000 - 5 * 60);
    // Crossovers of the 5-second EMAs over an hour: some, each on a 5-second bar, never piled up.
    expect(await chartNumber('markers')).toBeGreaterThan(0);
    expect(await chartNumber('markers-off-bar')).toBe(0);
    expect(await chartNumber('markers-per-bar')).toBe(1);

    // Live: a new 5-second bar arrives and the EMAs follow it, still 5 s apart and on bars.
    const last = await chartNumber('last-bar');
    await expect.poll(() => chartNumber('last-bar'), { timeout: 20_000 }).toBeGreaterThan(last);
    await expect.poll(() => chartNumber('ema-last'), { timeout: 20_000 }).toBeGreaterThan(last);
    expect(await chartNumber('min-spacing')).toBe(5);
    expect(await chartNumber('ema-off-bar')).toBe(0);
    await page.screenshot({ path: join(SHOTS, 'chart-5s.png') });

    await byTest('interval-1m').click();
    await expect.poll(() => chart.getAttribute('data-interval')).toBe('1m');
    await expect.poll(() => chart.getAttribute('data-state'), { timeout: 20_000 }).toBe('ready');
    expect(await chartNumber('bars')).toBeGreaterThan(20);
    expect(await chartNumber('spacing')).toBe(60);
    expect(await chartNumber('emas')).toBe(2);
    expect(await chartNumber('ema-spacing')).toBe(60);
    expect(await chartNumber('ema-off-bar')).toBe(0);
    expect(await chartNumber('markers-off-bar')).toBe(0);
    // Live on 1m: the 5-second EMAs that keep coming are not drawn on the 1-minute lines.
    const updates = await chartNumber('updates');
    await expect.poll(() => chartNumber('updates'), { timeout: 20_000 }).toBeGreaterThan(updates + 1);
    expect(await chartNumber('ema-spacing')).toBe(60);
    expect(await chartNumber('ema-off-bar')).toBe(0);
    expect(problems).toEqual([]);
  });

  it('a position bought and sold back to flat shows a dash for its average cost', async () => {
    await page.locator('[data-testid="watch-row-AAPL"]').click();
    await marketOrder('BUY', 100);
    await byTest('tab-positions').click();
    const row = page.locator('[data-testid="position-AAPL"]');
    await expect.poll(() => row.locator('[data-testid="position-qty"]').textContent(), { timeout: 15_000 }).toBe('100');
    // Open: the average cost is a price.
    expect(await row.locator('[data-testid="position-avg"]').textContent()).toMatch(/^\d[\d,]*\.\d+$/);
    await marketOrder('SELL', 100);
    await expect.poll(() => row.locator('[data-testid="position-qty"]').textContent(), { timeout: 15_000 }).toBe('0');
    await expect.poll(() => row.locator('[data-testid="position-avg"]').textContent()).toBe('—');
  });

  it('the daily-loss bar and its alert show the loss in money beside the percent, with a small limit', async () => {
    // The round trip above lost the spread and commissions.
    const equity = await serverCommand<EquitySnapshot>('getEquity');
    const loss = equity.dailyStartEquity - equity.equity;
    expect(loss).toBeGreaterThan(0);
    const lossPct = (loss / equity.dailyStartEquity) * 100;
    // A limit the loss is 95% of: past both warnings (0.8, 0.9), short of the limit.
    const status = await serverCommand<RiskStatus>('getRiskStatus');
    const limitPct = lossPct / 0.95;
    await serverCommand('setRiskLimits', { limits: { ...status.limits, dailyLossPct: limitPct } });

    const bar = byTest('limit-daily');
    await expect.poll(() => bar.getAttribute('data-level'), { timeout: 15_000 }).toBe('red');
    const barText = (await bar.textContent()) ?? '';
    expect(barText).toContain(money(loss));
    expect(barText).toContain(money((limitPct / 100) * equity.dailyStartEquity));
    // The percent is written with enough decimals not to read 0.00% for a loss.
    expect(barText).not.toMatch(/(^|[^\d.])0\.00%/);

    await byTest('tab-alerts').click();
    const log = byTest('alert-log');
    await expect.poll(() => log.textContent(), { timeout: 15_000 }).toContain('Daily loss warning');
    const row = log.locator('tr', { hasText: 'Daily loss warning' }).first();
    expect(await row.textContent()).toContain(money(loss));
    expect(await row.textContent()).not.toMatch(/(^|[^\d.])0\.00%/);
    await byTest('tab-positions').click();
    expect(problems).toEqual([]);
  });
});
