// The workstation's shell in Debian's Chromium against `dualdesk serve --demo`: the workspace's layout
// from 1280×720 to 2560×1440 and its resizable panels, the dialogs under the keyboard, the LIVE refusal
// in full, and the control token kept out of every URL and console message.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser';
import { serveCommand, startServe, stopServe, type ServeProcess } from '../support/serve';

const dataDir = mkdtempSync(join(tmpdir(), 'dualdesk-shell-'));
const SHOTS = process.env['DUALDESK_SCREENSHOTS'] ?? join(dataDir, 'screenshots');
mkdirSync(SHOTS, { recursive: true });
let browser: Browser;
let serve: ServeProcess;
let page: Page;
let token = '';
// Everything the page asked for or said, from its first request on (the token must be in none of it).
const seen: string[] = [];

const serveArgs = (port: number) => ['--demo', '--data-dir', dataDir, '--port', String(port), '--log-level', 'warn'];
const byTest = (id: string) => page.locator(`[data-testid="${id}"]`);
const text = async (id: string) => (await byTest(id).first().textContent()) ?? '';
/** The data-testid of the focused element, or of the nearest dialog around it ('' on the body). */
// In-page code is a string: these tests compile without the DOM's types (tsconfig.node.json).
const inPage = <T>(js: string) => page.evaluate<T>(js);
/** The data-testid of the focused element, else its text ('' on the body). */
const focused = () => inPage<string>(`(() => { const el = document.activeElement; return el?.getAttribute('data-testid') ?? el?.textContent?.trim() ?? ''; })()`);
const focusInside = (dialog: string) => inPage<boolean>(`document.querySelector('[data-testid="${dialog}"]')?.contains(document.activeElement) ?? false`);
const rootInert = () => inPage<boolean>(`document.getElementById('root').inert`);
const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });

/** A command straight to the server (what the page shows is checked against it). */
const serverCommand = <T>(name: string, args: object = {}) => serveCommand<T>(serve, name, args);

beforeAll(async () => {
  browser = await launchChromium();
  serve = await startServe(serveArgs(0), {}, { suite: true });
  token = serve.url.searchParams.get('token') ?? '';
  page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  page.setDefaultTimeout(15_000);
  page.on('request', (r) => {
    // The one URL that carries the token by design: the one `serve` printed, opened once.
    if (r.isNavigationRequest() && r.url() === serve.url.href && !seen.some((l) => l.startsWith('navigation '))) return void seen.push('navigation (the printed URL)');
    seen.push(`request ${r.url()} ${r.headers()['referer'] ?? ''}`);
  });
  page.on('websocket', (ws) => {
    seen.push(`websocket ${ws.url()}`);
    ws.on('socketerror', (e) => seen.push(`socketerror ${e}`));
  });
  page.on('console', (m) => seen.push(`console ${m.type()} ${m.text()} ${m.location().url}`));
  page.on('pageerror', (e) => seen.push(`pageerror ${e.message}`));
  await page.goto(serve.url.href);
  await page.waitForSelector('[data-testid="watch-row-AAPL"]', { timeout: 30_000 });
});

afterAll(async () => {
  await browser?.close();
  await stopServe(serve);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the workspace layout', () => {
  it('at 1280×720 shows every watchlist column uncut and the ticket’s Send without scrolling', async () => {
    await page.setViewportSize({ width: 1280, height: 720 });
    await expect.poll(() => page.locator('[data-testid="watch-row-AAPL"] [data-testid="bid"]').textContent(), { timeout: 20_000 }).toMatch(/^\d[\d,]*\.\d+$/);
    const fit = await inPage<{ scrollWidth: number; clientWidth: number; cells: number; cut: number } | undefined>(`(() => {
      const panel = document.querySelector('[data-testid="watchlist"]');
      const scroll = panel?.querySelector('.scroll');
      if (!panel || !scroll) return undefined;
      const box = panel.getBoundingClientRect();
      const cells = [...scroll.querySelectorAll('th, td')].map((c) => c.getBoundingClientRect());
      return {
        scrollWidth: scroll.scrollWidth,
        clientWidth: scroll.clientWidth,
        cells: cells.length,
        cut: cells.filter((r) => r.left < box.left - 0.5 || r.right > box.right + 0.5).length,
      };
    })()`);
    expect(fit?.cells).toBeGreaterThan(7);
    expect(fit?.cut).toBe(0);
    expect(fit?.scrollWidth).toBeLessThanOrEqual(fit?.clientWidth ?? 0);

    // Send is on screen and is what a click there hits (not scrolled away inside its panel, not covered).
    const send = await inPage<{ bottom: number; right: number; hit: boolean; pageScrolls: boolean } | undefined>(`(() => {
      const el = document.querySelector('[data-testid="ticket-send"]');
      if (!el) return undefined;
      const r = el.getBoundingClientRect();
      const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      return { bottom: r.bottom, right: r.right, hit: hit !== null && el.contains(hit), pageScrolls: document.documentElement.scrollHeight > window.innerHeight };
    })()`);
    expect(send?.hit).toBe(true);
    expect(send?.bottom).toBeLessThanOrEqual(720);
    expect(send?.right).toBeLessThanOrEqual(1280);
    expect(send?.pageScrolls).toBe(false);
    await shot('layout-1280');
  });

  it('at 2560×1440 gives the spare space to the chart and leaves no empty region', async () => {
    await page.setViewportSize({ width: 2560, height: 1440 });
    const areas = () =>
      inPage<{ chart: number; panels: number; workspace: number; viewport: number }>(`(() => {
        const area = (sel) => {
          const r = document.querySelector(sel)?.getBoundingClientRect();
          return r ? r.width * r.height : 0;
        };
        const panels = ['[data-testid="watchlist"]', '[data-testid="chart"]', '.workspace > .right', '.workspace > .blotter', '.workspace > .transport'];
        return { chart: area('[data-testid="chart"]'), panels: panels.reduce((sum, s) => sum + area(s), 0), workspace: area('[data-testid="workspace"]'), viewport: window.innerWidth * window.innerHeight };
      })()`);
    await expect.poll(async () => (await areas()).chart / (await areas()).viewport).toBeGreaterThan(0.5);
    const a = await areas();
    // The panels (and the thin handles between them) cover the workspace.
    expect(a.panels / a.workspace).toBeGreaterThan(0.97);
    // No empty region inside them either: the watchlist is as wide as its columns (not a fixed share
    // of the window), and the right column has no hole under its last panel.
    const fill = await inPage<{ watch: number; table: number; column: number; last: number }>(`(() => {
      const right = document.querySelector('.workspace > .right');
      return {
        watch: document.querySelector('[data-testid="watchlist"]').getBoundingClientRect().width,
        // The columns' own width (the table stretches to its panel otherwise); CSSOM, not a style tag.
        table: (() => {
          const t = document.querySelector('[data-testid="watchlist"] table');
          t.style.width = 'max-content';
          const w = t.getBoundingClientRect().width;
          t.style.width = '';
          return w;
        })(),
        column: right.getBoundingClientRect().bottom,
        last: right.lastElementChild.getBoundingClientRect().bottom,
      };
    })()`);
    expect(fill.watch - fill.table).toBeLessThan(40);
    expect(fill.column - fill.last).toBeLessThan(4);
    // The chart's canvas follows its panel.
    const canvas = await page.locator('[data-testid="chart"] canvas').first().boundingBox();
    expect((canvas?.width ?? 0) * (canvas?.height ?? 0)).toBeGreaterThan(a.chart * 0.7);
    await shot('layout-2560');
  });

  it('resizes a panel by dragging its handle or by the keyboard, and keeps the size after a reload', async () => {
    await page.setViewportSize({ width: 1600, height: 900 });
    const width = async () => (await byTest('watchlist').boundingBox())?.width ?? 0;
    const before = await width();
    const handle = await byTest('split-watch').boundingBox();
    if (!handle) throw new Error('no watchlist handle');
    const y = handle.y + handle.height / 2;
    await page.mouse.move(handle.x + handle.width / 2, y);
    await page.mouse.down();
    await page.mouse.move(handle.x + handle.width / 2 + 60, y, { steps: 4 });
    await page.mouse.move(handle.x + handle.width / 2 + 120, y, { steps: 4 });
    await page.mouse.up();
    await expect.poll(width).toBeGreaterThan(before + 100);
    const dragged = await width();

    const height = async () => (await page.locator('.workspace > .blotter').boundingBox())?.height ?? 0;
    const blotterBefore = await height();
    await byTest('split-bottom').focus();
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    await expect.poll(height).toBeGreaterThan(blotterBefore + 20);
    const raised = await height();
    // A screen reader hears the handle's size.
    expect(Math.abs(Number(await byTest('split-bottom').getAttribute('aria-valuenow')) - raised)).toBeLessThan(2);

    await page.reload();
    await expect.poll(() => page.locator('[data-testid="watch-row-AAPL"]').count(), { timeout: 30_000 }).toBe(1);
    await expect.poll(async () => Math.abs((await width()) - dragged)).toBeLessThan(2);
    expect(Math.abs((await height()) - raised)).toBeLessThan(2);
  });
});

describe('dialogs under the keyboard', () => {
  it('the kill switch: focus on Cancel, Tab stays inside, Escape and Enter on Cancel cancel, focus back on the opener', async () => {
    await page.setViewportSize({ width: 1280, height: 720 });
    await byTest('kill-switch').click();
    await expect.poll(() => byTest('kill-dialog').count()).toBe(1);
    expect(await focused()).toBe('kill-cancel');
    expect(await rootInert()).toBe(true);
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('kill-confirm');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('kill-cancel');
    await page.keyboard.press('Shift+Tab');
    expect(await focused()).toBe('kill-confirm');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Escape');
    await expect.poll(() => byTest('kill-dialog').count()).toBe(0);
    expect(await focused()).toBe('kill-switch');
    expect(await rootInert()).toBe(false);

    // Enter where the focus is (Cancel) cancels: nothing is killed.
    await page.keyboard.press('Enter');
    await expect.poll(() => byTest('kill-dialog').count()).toBe(1);
    expect(await focused()).toBe('kill-cancel');
    // The open dialog owns the keyboard: an order hotkey behind it sends nothing.
    const ordersBefore = (await serverCommand<unknown[]>('getOrders')).length;
    await page.keyboard.press('Alt+B');
    await page.keyboard.press('Alt+S');
    expect(await byTest('kill-dialog').count()).toBe(1);
    await page.keyboard.press('Enter');
    await expect.poll(() => byTest('kill-dialog').count()).toBe(0);
    expect(await focused()).toBe('kill-switch');
    expect(await text('risk-state')).toBe('ACTIVE');
    expect((await serverCommand<unknown[]>('getOrders')).length).toBe(ordersBefore);

    // Enter on KILL kills; once it is done the dialog closes and focus is back on the opener.
    await page.keyboard.press('Enter');
    await expect.poll(() => byTest('kill-dialog').count()).toBe(1);
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('kill-confirm');
    await page.keyboard.press('Enter');
    await expect.poll(() => text('kill-result'), { timeout: 30_000 }).toContain('Flat and halted');
    await expect.poll(() => byTest('kill-dialog').count()).toBe(0);
    expect(await focused()).toBe('kill-switch');
    await expect.poll(() => text('risk-state'), { timeout: 10_000 }).toContain('HALTED');
    await byTest('rearm').click();
    await expect.poll(() => text('risk-state'), { timeout: 10_000 }).toBe('ACTIVE');
    await byTest('kill-result').click();
  });

  it('LIVE: focus in the typed confirmation, Enter switches only once LIVE is typed; the refusal is shown whole with a state badge that agrees; arm under the keyboard', async () => {
    await byTest('switch-live').click();
    await expect.poll(() => byTest('live-dialog').count()).toBe(1);
    expect(await focused()).toBe('live-confirm-input');
    // Tab cycles through what can be used (the confirm button is disabled until LIVE is typed).
    await page.keyboard.press('Tab');
    expect(await focusInside('live-dialog')).toBe(true);
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('live-confirm-input');
    await page.keyboard.press('Escape');
    await expect.poll(() => byTest('live-dialog').count()).toBe(0);
    expect(await focused()).toBe('switch-live');

    await page.keyboard.press('Enter');
    await expect.poll(() => byTest('live-dialog').count()).toBe(1);
    await page.keyboard.type('live');
    await page.keyboard.press('Enter');
    expect(await byTest('live-dialog').count()).toBe(1);
    expect(await text('mode-badge')).toBe('PAPER');
    await byTest('live-confirm-input').fill('LIVE');
    await page.keyboard.press('Enter');
    await expect.poll(() => text('mode-badge'), { timeout: 30_000 }).toBe('LIVE');
    await expect.poll(() => byTest('live-dialog').count()).toBe(0);

    // The venue's own reason, in full.
    const reason = async () => (await serverCommand<{ venue?: { trading: { reason?: string } } }>('getHealth')).venue?.trading.reason ?? '';
    await expect.poll(reason, { timeout: 20_000 }).toMatch(/paper account/);
    await expect.poll(() => text('trading-refused'), { timeout: 20_000 }).toContain(await reason());
    const refused = await inPage<{ scrollWidth: number; clientWidth: number; scrollHeight: number; clientHeight: number; inView: boolean; visible: boolean } | undefined>(`(() => {
      const el = document.querySelector('[data-testid="trading-refused"]');
      if (!el) return undefined;
      const r = el.getBoundingClientRect();
      return { scrollWidth: el.scrollWidth, clientWidth: el.clientWidth, scrollHeight: el.scrollHeight, clientHeight: el.clientHeight, inView: r.left >= 0 && r.top >= 0 && r.right <= window.innerWidth && r.bottom <= window.innerHeight, visible: el.checkVisibility() };
    })()`);
    expect(refused?.visible).toBe(true);
    expect(refused?.inView).toBe(true);
    expect(refused?.scrollWidth).toBeLessThanOrEqual(refused?.clientWidth ?? 0);
    expect(refused?.scrollHeight).toBeLessThanOrEqual(refused?.clientHeight ?? 0);
    const state = await text('trading-state');
    expect(state).not.toBe('ACTIVE');
    expect(state).toMatch(/NOT TRADING|REFUSED|HALTED/);
    // Account & risk agrees with the top bar: the gate's ACTIVE is not the whole story.
    expect(await text('risk-state')).toBe(state);
    const green = await inPage<string>(`getComputedStyle(document.documentElement).getPropertyValue('--ok').trim()`);
    const badge = await inPage<{ color: string; background: string }>(`(() => {
      const s = getComputedStyle(document.querySelector('[data-testid="trading-state"]'));
      return { color: s.color, background: s.backgroundColor };
    })()`);
    const rgb = (hex: string) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;
    expect([badge.color, badge.background]).not.toContain(rgb(green));
    // The picture once the LIVE stream has caught up (the watchlist back, the socket green).
    await expect.poll(() => byTest('status-ws').getAttribute('data-state'), { timeout: 20_000 }).toBe('ok');
    await expect.poll(() => page.locator('[data-testid="watch-row-AAPL"]').count(), { timeout: 20_000 }).toBe(1);
    await shot('live-refused-topbar');

    // Arm: focus on Cancel, Tab stays inside, Escape cancels and focus returns to Arm LIVE….
    await byTest('arm-live').click();
    await expect.poll(() => byTest('arm-dialog').count()).toBe(1);
    expect(await focused()).toBe('Cancel');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('arm-confirm');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Cancel');
    await page.keyboard.press('Escape');
    await expect.poll(() => byTest('arm-dialog').count()).toBe(0);
    expect(await focused()).toBe('arm-live');

    await byTest('switch-paper').click();
    await expect.poll(() => text('mode-badge'), { timeout: 30_000 }).toBe('PAPER');
    await expect.poll(() => byTest('trading-refused').count(), { timeout: 20_000 }).toBe(0);
  });
});

describe('the control token', () => {
  it('is in no URL, request or console message, also while the stream fails and reconnects after a server restart', async () => {
    await expect.poll(() => byTest('status-ws').getAttribute('data-state'), { timeout: 20_000 }).toBe('ok');
    const sockets = () => seen.filter((l) => l.startsWith('websocket ')).length;
    const socketsBefore = sockets();
    expect(socketsBefore).toBeGreaterThan(0);
    const consoleBefore = seen.filter((l) => l.startsWith('console ')).length;

    const port = serve.url.port;
    serve.proc.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
    await expect.poll(() => byTest('status-ws').getAttribute('data-state'), { timeout: 15_000 }).toBe('bad');
    // The page has tried again and failed (and said so in the console) before the server is back.
    await expect.poll(() => seen.filter((l) => l.startsWith('console ')).length, { timeout: 30_000 }).toBeGreaterThan(consoleBefore);
    serve = await startServe(serveArgs(Number(port)), {}, { suite: true });
    expect(serve.url.searchParams.get('token')).toBe(token);
    await expect.poll(() => byTest('status-ws').getAttribute('data-state'), { timeout: 30_000 }).toBe('ok');
    expect(sockets()).toBeGreaterThan(socketsBefore);

    expect(token.length).toBeGreaterThan(16);
    expect(seen.filter((l) => l.includes(token))).toEqual([]);
    expect(page.url()).not.toContain(token);
    expect(await inPage<string>('location.href')).not.toContain(token);
  });
});
