// The trader's workspace belongs to the desk: two pages on one `dualdesk serve --demo` (Debian's
// Chromium, the simulator over real TCP) show the same watchlist and chart, and an edit in one shows
// in the other; a watchlist this browser kept before moves to a desk never edited, once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../../src/shared';
import { launchChromium } from '../support/browser';
import { serveCommand, startServe, stopServe, type ServeProcess } from '../support/serve';

const dirs: string[] = [];
const serves: ServeProcess[] = [];
let browser: Browser;
const problems: string[] = [];

async function desk(): Promise<ServeProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dualdesk-workspace-'));
  dirs.push(dataDir);
  const serve = await startServe(['--demo', '--data-dir', dataDir, '--port', '0', '--log-level', 'warn'], {}, { suite: true });
  serves.push(serve);
  return serve;
}

async function open(serve: ServeProcess, before?: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => problems.push(e.message));
  // Runs before the page's own scripts: what this browser kept from an older DualDesk.
  if (before !== undefined) await page.addInitScript(before);
  await page.goto(serve.url.href);
  return page;
}

const row = (page: Page, word: string) => page.locator(`[data-testid="watch-row-${word}"]`);
/** The watchlist's rows as the page shows them, in order. */
const rows = (page: Page) => page.evaluate<string[]>(`[...document.querySelectorAll('[data-testid^="watch-row-"]')].map((e) => e.dataset.testid.slice('watch-row-'.length))`);

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  for (const s of serves) await stopServe(s);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the workspace shared by every window of one desk', () => {
  it('adds, charts and removes in one page, and the other follows', async () => {
    const serve = await desk();
    const [a, b] = [await open(serve), await open(serve)];
    for (const page of [a, b]) await expect.poll(() => rows(page), { timeout: 30_000 }).toEqual(['AAPL', 'MSFT', 'SPY']);

    await a.locator('[data-testid="add-symbol"]').fill('nvda');
    await a.locator('[data-testid="add-symbol-button"]').click();
    await expect.poll(() => rows(b), { timeout: 15_000 }).toEqual(['AAPL', 'MSFT', 'SPY', 'NVDA']);
    // Adding charts it, on every page.
    await expect.poll(() => row(b, 'NVDA').getAttribute('class'), { timeout: 15_000 }).toContain('selected');
    await expect.poll(() => b.locator('[data-testid="bid"]').nth(3).textContent(), { timeout: 15_000 }).toMatch(/^\d[\d,]*\.\d+$/);

    await b.locator('[data-testid="watch-row-SPY"]').click();
    await expect.poll(() => row(a, 'SPY').getAttribute('class'), { timeout: 15_000 }).toContain('selected');
    expect(await row(a, 'NVDA').getAttribute('class')).not.toContain('selected');

    await b.getByRole('button', { name: 'Remove MSFT' }).click();
    await expect.poll(() => rows(a), { timeout: 15_000 }).toEqual(['AAPL', 'SPY', 'NVDA']);

    // The desk holds it, not the pages: a page opened now, and the desk's own answer, agree.
    const workspace = await serveCommand<Workspace>(serve, 'getWorkspace');
    expect(workspace.watchlist.map((e) => e.word)).toEqual(['AAPL', 'SPY', 'NVDA']);
    expect(workspace.chart).toBe(workspace.watchlist[1]?.instrument.conId);
    const c = await open(serve);
    await expect.poll(() => rows(c), { timeout: 30_000 }).toEqual(['AAPL', 'SPY', 'NVDA']);
    await expect.poll(() => row(c, 'SPY').getAttribute('class'), { timeout: 15_000 }).toContain('selected');
    expect(problems).toEqual([]);
  });

  it('moves the watchlist this browser kept to a desk never edited, once, and deletes it here', async () => {
    const serve = await desk();
    const old = JSON.stringify([
      { symbol: 'AAPL', secType: 'STK' },
      { symbol: 'EUR.USD', secType: 'CASH' },
    ]);
    // Only on the first load: a reload must not put it back.
    const page = await open(
      serve,
      `if (!sessionStorage.getItem('seeded')) { sessionStorage.setItem('seeded', '1'); localStorage.setItem('dualdesk.watchlist', ${JSON.stringify(old)}); }`,
    );
    await expect.poll(() => rows(page), { timeout: 30_000 }).toEqual(['AAPL', 'MSFT', 'SPY', 'EUR-USD']);
    await expect.poll(() => page.evaluate<string | null>(`localStorage.getItem('dualdesk.watchlist')`), { timeout: 15_000 }).toBeNull();
    const workspace = await serveCommand<Workspace>(serve, 'getWorkspace');
    expect(workspace.watchlist.map((e) => e.word)).toEqual(['AAPL', 'MSFT', 'SPY', 'EUR.USD']);
    expect(workspace.edited).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });
});
