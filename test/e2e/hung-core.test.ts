// A core that stops answering (SIGSTOP) under an open page, in Debian's Chromium against
// `dualdesk serve --demo`: the health poll gives up on each unanswered request after 3 s and
// cancels it, so the browser's few connections to the core are free when it goes on.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser';
import { startServe, stopServe, type ServeProcess } from '../support/serve';

const dataDir = mkdtempSync(join(tmpdir(), 'dualdesk-hung-core-'));
let browser: Browser;
let serve: ServeProcess;
let page: Page;
const byTest = (id: string) => page.locator(`[data-testid="${id}"]`);

// The health polls the page has sent, and those still waiting for an answer (neither finished nor failed).
const healthSent: Request[] = [];
const open = new Set<Request>();
const isHealth = (r: Request) => new URL(r.url()).pathname === '/api/commands/getHealth';

beforeAll(async () => {
  browser = await launchChromium();
  serve = await startServe(['--demo', '--data-dir', dataDir, '--port', '0', '--log-level', 'warn'], {}, { suite: true });
  page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.setDefaultTimeout(15_000);
  page.on('request', (r) => {
    if (!isHealth(r)) return;
    healthSent.push(r);
    open.add(r);
  });
  page.on('requestfinished', (r) => open.delete(r));
  page.on('requestfailed', (r) => open.delete(r));
  await page.goto(serve.url.href);
  await page.waitForSelector('[data-testid="watch-row-AAPL"]', { timeout: 30_000 });
});

afterAll(async () => {
  await browser?.close();
  await stopServe(serve);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a core that stops answering', () => {
  it('leaves no pile of open health requests behind, and the page answers again at once when it goes on', async () => {
    await expect.poll(() => byTest('status-venue').getAttribute('data-state'), { timeout: 30_000 }).toBe('ok');
    await expect.poll(() => byTest('ticket-send').isEnabled(), { timeout: 15_000 }).toBe(true);
    serve.proc.kill('SIGSTOP');
    const sentBefore = healthSent.length;
    try {
      await expect.poll(() => byTest('outage-banner').getAttribute('data-kind'), { timeout: 15_000 }).toBe('core');
      // Ten polls (one a second) into the outage: more than the browser's six connections to one host.
      await expect.poll(() => healthSent.length - sentBefore, { timeout: 30_000 }).toBeGreaterThanOrEqual(10);
      // Each unanswered poll is cancelled after 3 s: only the last few can still be waiting.
      expect(open.size).toBeLessThanOrEqual(4);
    } finally {
      serve.proc.kill('SIGCONT');
    }
    await expect.poll(() => byTest('outage-banner').count(), { timeout: 40_000 }).toBe(0);
    await expect.poll(() => byTest('ticket-send').isEnabled(), { timeout: 15_000 }).toBe(true);
  });
});
