// A layout saved on a large screen and opened on a small one, in Debian's Chromium against
// `dualdesk serve --demo`: the saved panel sizes give way to the window, so the ticket's Send and
// every watchlist column stay on screen.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser';
import { startServe, stopServe, type ServeProcess } from '../support/serve';

const dataDir = mkdtempSync(join(tmpdir(), 'dualdesk-layout-clamp-'));
let browser: Browser;
let serve: ServeProcess;
let page: Page;

const byTest = (id: string) => page.locator(`[data-testid="${id}"]`);
// In-page code is a string: these tests compile without the DOM's types (tsconfig.node.json).
const inPage = <T>(js: string) => page.evaluate<T>(js);
const quoted = () => expect.poll(() => page.locator('[data-testid="watch-row-AAPL"] [data-testid="bid"]').textContent(), { timeout: 30_000 }).toMatch(/^\d[\d,]*\.\d+$/);

interface Fit {
  send: { bottom: number; right: number; hit: boolean; inColumn: boolean } | undefined;
  pageScrolls: boolean;
  workspaceOverflows: boolean;
  cells: number;
  cut: number;
  watchScrolls: boolean;
}

/** Where Send and the watchlist's cells are against the window (and their panels), as the trader sees them. */
const fit = () =>
  inPage<Fit>(`(() => {
    const el = document.querySelector('[data-testid="ticket-send"]');
    const column = document.querySelector('.workspace > .right');
    const send = el && column ? (() => {
      const r = el.getBoundingClientRect();
      const c = column.getBoundingClientRect();
      const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      return { bottom: r.bottom, right: r.right, hit: hit !== null && el.contains(hit), inColumn: r.top >= c.top - 0.5 && r.bottom <= c.bottom + 0.5 && r.right <= c.right + 0.5 };
    })() : undefined;
    const workspace = document.querySelector('[data-testid="workspace"]');
    const panel = document.querySelector('[data-testid="watchlist"]');
    const scroll = panel.querySelector('.scroll');
    const box = panel.getBoundingClientRect();
    const cells = [...scroll.querySelectorAll('th, td')].map((c) => c.getBoundingClientRect());
    return {
      send,
      pageScrolls: document.documentElement.scrollHeight > window.innerHeight || document.documentElement.scrollWidth > window.innerWidth,
      workspaceOverflows: workspace.scrollWidth > workspace.clientWidth + 1,
      cells: cells.length,
      cut: cells.filter((r) => r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.right > window.innerWidth + 0.5).length,
      watchScrolls: scroll.scrollWidth > scroll.clientWidth,
    };
  })()`);

async function expectFits(width: number, height: number): Promise<void> {
  await expect.poll(async () => (await fit()).send?.hit).toBe(true);
  const f = await fit();
  expect(f.send?.bottom).toBeLessThanOrEqual(height);
  expect(f.send?.right).toBeLessThanOrEqual(width);
  expect(f.send?.inColumn).toBe(true);
  expect(f.pageScrolls).toBe(false);
  expect(f.workspaceOverflows).toBe(false);
  expect(f.cells).toBeGreaterThan(7);
  expect(f.cut).toBe(0);
  expect(f.watchScrolls).toBe(false);
}

beforeAll(async () => {
  browser = await launchChromium();
  serve = await startServe(['--demo', '--data-dir', dataDir, '--port', '0', '--log-level', 'warn'], {}, { suite: true });
  page = await browser.newPage({ viewport: { width: 2560, height: 1440 } });
  page.setDefaultTimeout(15_000);
  await page.goto(serve.url.href);
  await page.waitForSelector('[data-testid="watch-row-AAPL"]', { timeout: 30_000 });
});

afterAll(async () => {
  await browser?.close();
  await stopServe(serve);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a layout saved on a large screen', () => {
  it('at 2560×1440 takes the large sizes as saved', async () => {
    await inPage(`localStorage.setItem('dualdesk.layout', JSON.stringify({ watch: 1000, right: 800, bottom: 900 }))`);
    await page.reload();
    await quoted();
    await expect.poll(async () => Math.round((await page.locator('.workspace > .right').boundingBox())?.width ?? 0)).toBe(800);
    expect(Math.round((await byTest('watchlist').boundingBox())?.width ?? 0)).toBe(1000);
    expect(Math.round((await page.locator('.workspace > .blotter').boundingBox())?.height ?? 0)).toBe(900);
  });

  it('shrunk to 1280×720 under the open page: Send and every watchlist column stay on screen', async () => {
    await page.setViewportSize({ width: 1280, height: 720 });
    await expectFits(1280, 720);
  });

  it('reopened at 1280×720: the same, and the large sizes come back on the large screen', async () => {
    await page.reload();
    await quoted();
    await expectFits(1280, 720);
    // The trader's saved sizes are kept, not overwritten by the small window's fit.
    expect(JSON.parse((await inPage<string | null>(`localStorage.getItem('dualdesk.layout')`)) ?? '{}')).toEqual({ watch: 1000, right: 800, bottom: 900 });
    await page.setViewportSize({ width: 2560, height: 1440 });
    await expect.poll(async () => Math.round((await page.locator('.workspace > .right').boundingBox())?.width ?? 0)).toBe(800);
  });
});
