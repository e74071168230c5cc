// The viewer's chart has history: a viewer joining after bars have closed shows them at once, from the
// stream's snapshot alone (md.history.1m.<word>; a viewer has no command to load them), the same bars
// the trader's chart loads with getMarketData. The demo market runs 30 times faster: a minute in 2 s.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedViewerToken, DeskHealth, MarketDataSnapshot } from '../../src/shared';
import { launchChromium } from '../support/browser';
import { serveCommand, startServe, stopServe, type ServeProcess } from '../support/serve';
import { untilAsync } from '../support/wait';

const dataDir = mkdtempSync(join(tmpdir(), 'dualdesk-viewer-history-'));
const AAPL = { symbol: 'AAPL', secType: 'STK' } as const;
const MIN = 60_000;

let browser: Browser;
let serve: ServeProcess;
let sharePort: number;
const command = <T>(name: string, args: object = {}) => serveCommand<T>(serve, name, args);

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
  browser = await launchChromium();
  serve = await startServe(
    ['--demo', '--demo-speed', '30', '--data-dir', dataDir, '--port', '0', '--share-port', String(sharePort), '--share-host', '127.0.0.1', '--log-level', 'warn'],
    {},
    { suite: true },
  );
  await untilAsync(() => command<DeskHealth>('getHealth').then((h) => h.venue?.state === 'connected' && h.venue.synced), 'the demo venue in sync');
});

afterAll(async () => {
  await browser?.close();
  await stopServe(serve);
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the viewer’s chart', () => {
  it('shows the bars closed before the viewer joined at once: the history, then the minutes closed live, as the desk has them', async () => {
    const joined = await command<MarketDataSnapshot>('subscribe', { instrument: AAPL });
    expect(joined.bars.length).toBeGreaterThanOrEqual(240);
    const lastAtSubscribe = (joined.bars.at(-1) as { time: number }).time;
    // Three minutes close live before the viewer comes.
    await untilAsync(
      () => command<MarketDataSnapshot>('getMarketData', { conId: joined.instrument.conId }).then((s) => (s.bars.at(-1)?.time ?? 0) >= lastAtSubscribe + 3 * MIN),
      'three minutes closed live',
    );

    const created = await command<CreatedViewerToken>('createViewerToken', { scope: ['market'], ttlMinutes: 60, label: 'e2e history' });
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    await page.goto(created.url as string);
    const canvas = page.locator('[data-testid="chart-canvas"]');
    await expect.poll(() => page.locator('[data-testid="view-state"]').getAttribute('data-state'), { timeout: 20_000 }).toBe('live');
    // At once: the snapshot carries them (a chart following md.bar.1m alone would have one or two here).
    await expect.poll(async () => Number(await canvas.getAttribute('data-bars')), { timeout: 5_000 }).toBeGreaterThanOrEqual(240);

    // Read at one moment (a minute closes every 2 s).
    const d = await page.evaluate<Record<string, string>>(`({ ...document.querySelector('[data-testid="chart-canvas"]').dataset })`);
    const shown = { bars: Number(d['bars']), first: Number(d['firstBar']) * 1000, last: Number(d['lastBar']) * 1000, spacing: Number(d['spacing']) };
    expect(shown.spacing).toBe(60);
    expect(shown.last).toBeGreaterThanOrEqual(lastAtSubscribe + 3 * MIN);
    // Every bar the desk's own chart has in that span, no more, no fewer.
    const desk = await command<MarketDataSnapshot>('getMarketData', { conId: joined.instrument.conId });
    const deskTimes = [...desk.bars, ...(desk.forming ? [desk.forming] : [])].map((b) => b.time);
    expect(deskTimes).toContain(shown.first);
    expect(deskTimes.filter((t) => t >= shown.first && t <= shown.last)).toHaveLength(shown.bars);
    await context.close();
  });
});
