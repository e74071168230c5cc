// Outages and the activity log in Debian's Chromium against `dualdesk serve --demo` (and the simulator
// as TWS): the core or the venue gone under an open page must not look healthy, and what the app did
// must be readable in one log.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser';
import { startServe, type ServeProcess } from '../support/serve';
import { startSimProcess } from '../support/sim-process';

const dataDir = mkdtempSync(join(tmpdir(), 'dualdesk-outage-'));
const SHOTS = process.env['DUALDESK_SCREENSHOTS'] ?? join(dataDir, 'screenshots');
mkdirSync(SHOTS, { recursive: true });
let browser: Browser;
let serve: ServeProcess;
let page: Page;

const serveArgs = (port: number) => ['--demo', '--data-dir', dataDir, '--port', String(port), '--log-level', 'warn'];
const byTest = (id: string) => page.locator(`[data-testid="${id}"]`);
const text = async (id: string) => (await byTest(id).first().textContent()) ?? '';
const aapl = () => page.locator('[data-testid="watch-row-AAPL"]');

async function stopServe(signal: NodeJS.Signals): Promise<void> {
  if (serve.proc.exitCode !== null || serve.proc.signalCode !== null) return;
  serve.proc.kill(signal);
  await serve.exited;
}

/** Ready to trade: quotes in, the venue in sync, AAPL on the ticket. */
async function ready(): Promise<void> {
  // A test that failed with the core down leaves it down: the next one starts it again on its port.
  if (serve.proc.exitCode !== null || serve.proc.signalCode !== null) serve = await startServe(serveArgs(Number(serve.url.port)), {}, { suite: true });
  await expect.poll(() => byTest('outage-banner').count(), { timeout: 40_000 }).toBe(0);
  await expect.poll(() => aapl().getAttribute('data-stale'), { timeout: 30_000 }).not.toBe('true');
  await expect.poll(() => aapl().locator('[data-testid="bid"]').textContent(), { timeout: 30_000 }).toMatch(/^\d[\d,]*\.\d+$/);
  await expect.poll(() => byTest('status-venue').getAttribute('data-state'), { timeout: 20_000 }).toBe('ok');
  await aapl().click();
}

/** A resting buy limit 3% under the bid (it never fills), sent from the ticket; its order id. */
async function placeRestingLimit(quantity: number): Promise<string> {
  const bid = Number((await aapl().locator('[data-testid="bid"]').textContent())?.replace(/,/g, ''));
  await byTest('side-BUY').click();
  await byTest('ticket-type').selectOption('LMT');
  await byTest('ticket-quantity').fill(String(quantity));
  await byTest('ticket-limit').fill((Math.floor(bid * 0.97 * 100) / 100).toFixed(2));
  await expect.poll(() => text('risk-verdict')).toContain('passes every check');
  await byTest('ticket-send').click();
  await expect.poll(() => text('ticket-result'), { timeout: 15_000 }).toMatch(/\(order \S+\)/);
  const id = /\(order (\S+)\)/.exec(await text('ticket-result'))?.[1];
  if (!id) throw new Error('no order id in the ticket’s result');
  return id;
}

beforeAll(async () => {
  browser = await launchChromium();
  serve = await startServe(serveArgs(0), {}, { suite: true });
  page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.setDefaultTimeout(15_000);
  await page.goto(serve.url.href);
});

afterAll(async () => {
  await browser?.close();
  if (serve) await stopServe('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a core outage under an open page', () => {
  it('shows the banner, grey dots, stale quotes and Send off while the core is down, and all clear once it is back', async () => {
    await ready();
    // Healthy first: no banner, fresh quotes, Send on.
    await expect.poll(() => byTest('ticket-send').isEnabled(), { timeout: 15_000 }).toBe(true);
    // (A page just opened may show "catching up" for a moment; healthy means it goes.)
    await expect
      .poll(
        () =>
          byTest('outage-banner')
            .getAttribute('data-kind', { timeout: 1_000 })
            .catch(() => null),
        { timeout: 15_000 },
      )
      .toBe(null);
    expect(await aapl().getAttribute('data-stale')).not.toBe('true');
    expect(await text('trading-state')).toBe('ACTIVE');

    const port = Number(serve.url.port);
    await stopServe('SIGKILL');

    // The banner names the core and counts down to the stream's next reconnect.
    await expect.poll(() => byTest('outage-banner').count(), { timeout: 10_000 }).toBe(1);
    expect(await byTest('outage-banner').getAttribute('data-kind')).toBe('core');
    await expect.poll(() => text('outage-banner')).toMatch(/core is not reachable/);
    await expect.poll(() => text('outage-banner'), { timeout: 15_000 }).toMatch(/reconnecting in \d+ s/);
    // Nothing behind the core is claimed: grey dots and an unknown trading state.
    await expect.poll(() => byTest('status-venue').getAttribute('data-state')).toBe('off');
    expect(await byTest('status-journal').getAttribute('data-state')).toBe('off');
    await expect.poll(() => byTest('trading-state').getAttribute('data-state')).toBe('unknown');
    expect(await text('trading-state')).toBe('UNKNOWN');
    expect(await text('kafka-state')).toMatch(/unknown/);
    // Quotes go stale, greyed with their age, which keeps counting.
    await expect.poll(() => aapl().getAttribute('data-stale'), { timeout: 15_000 }).toBe('true');
    const age = async () => Number(/^(\d+) s$/.exec((await aapl().locator('[data-testid="quote-age"]').textContent()) ?? '')?.[1]);
    const firstAge = await age();
    expect(firstAge).toBeGreaterThanOrEqual(0);
    await expect.poll(age, { timeout: 10_000 }).toBeGreaterThan(firstAge);
    // Send is off, with the reason beside it; the ticket's verdict no longer claims the checks pass.
    expect(await byTest('ticket-send').isDisabled()).toBe(true);
    expect(await text('send-blocked')).toMatch(/core is not reachable/);
    await expect.poll(() => text('risk-verdict')).not.toContain('passes every check');
    await page.screenshot({ path: join(SHOTS, 'outage-banner.png') });

    // The core back on the same port and data: the banner goes, quotes are fresh, Send is on again.
    serve = await startServe(serveArgs(port), {}, { suite: true });
    await expect.poll(() => byTest('outage-banner').count(), { timeout: 40_000 }).toBe(0);
    await expect.poll(() => byTest('status-venue').getAttribute('data-state'), { timeout: 20_000 }).toBe('ok');
    await expect.poll(() => aapl().getAttribute('data-stale'), { timeout: 20_000 }).toBe('false');
    expect(await aapl().locator('[data-testid="quote-age"]').count()).toBe(0);
    const bid = aapl().locator('[data-testid="bid"]');
    const now = await bid.textContent();
    await expect.poll(() => bid.textContent(), { timeout: 20_000 }).not.toBe(now);
    await expect.poll(() => byTest('trading-state').getAttribute('data-state')).toBe('ACTIVE');
    await expect.poll(() => byTest('ticket-send').isEnabled(), { timeout: 15_000 }).toBe(true);
    expect(await byTest('send-blocked').count()).toBe(0);
    // The outage and the recovery are in the activity log.
    await byTest('tab-alerts').click();
    const log = (await text('alert-log')) ?? '';
    expect(log).toContain('Core not reachable');
    expect(log).toContain('Core reachable again');
  });
});

describe('a hung core under an open page', () => {
  it('a core that stops answering (SIGSTOP) is named in the banner within seconds, and clears when it goes on', async () => {
    await ready();
    await expect.poll(() => byTest('ticket-send').isEnabled(), { timeout: 15_000 }).toBe(true);
    serve.proc.kill('SIGSTOP');
    try {
      // Its sockets stay open: only the missed heartbeats and the unanswered health poll tell.
      await expect.poll(() => byTest('outage-banner').getAttribute('data-kind'), { timeout: 15_000 }).toBe('core');
      expect(await text('outage-core')).toMatch(/core is not reachable/);
      expect(await byTest('ticket-send').isDisabled()).toBe(true);
      expect(await text('send-blocked')).toMatch(/core is not reachable/);
      await expect.poll(() => byTest('status-venue').getAttribute('data-state')).toBe('off');
    } finally {
      serve.proc.kill('SIGCONT');
    }
    await expect.poll(() => byTest('outage-banner').count(), { timeout: 40_000 }).toBe(0);
    await expect.poll(() => byTest('ticket-send').isEnabled(), { timeout: 15_000 }).toBe(true);
  });
});

describe('the activity log', () => {
  it('lists orders submitted, modified and cancelled (with their ids) and a hotkey’s cancel all', async () => {
    await ready();
    const first = await placeRestingLimit(7);

    // Modified in the blotter: the quantity 7 → 9.
    await byTest('tab-orders').click();
    await byTest('orders-working').click();
    const row = byTest(`order-${first}`);
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 15_000 }).toBe('submitted');
    await row.locator('[data-testid="order-modify"]').click();
    await row.getByLabel('New quantity').fill('9');
    await row.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => row.locator('td').nth(3).textContent(), { timeout: 15_000 }).toBe('9');
    await row.locator('[data-testid="order-cancel"]').click();
    await expect.poll(() => row.count(), { timeout: 15_000 }).toBe(0);

    // Another, cancelled by the hotkey with the focus outside any field.
    const second = await placeRestingLimit(5);
    await expect.poll(() => byTest(`order-${second}`).getAttribute('data-state'), { timeout: 15_000 }).toBe('submitted');
    await page.locator('[data-testid="workspace"] h3').first().click();
    await page.keyboard.press('Alt+C');
    await expect.poll(() => byTest(`order-${second}`).count(), { timeout: 15_000 }).toBe(0);

    await byTest('tab-alerts').click();
    const entries = async () => (await page.locator('[data-testid="alert-log"] tr').allTextContents()).join('\n');
    await expect.poll(entries, { timeout: 15_000 }).toContain(`Order ${second} cancelled`);
    const log = await entries();
    expect(log).toContain(`Order ${first} submitted`);
    expect(log).toMatch(new RegExp(`Order ${first} modified.*quantity 7 → 9`));
    expect(log).toContain(`Order ${first} cancelled`);
    expect(log).toContain(`Order ${second} submitted`);
    expect(log).toMatch(/Hotkey Alt\+C.*Cancel all orders/);
    expect(log).toMatch(/Cancel all.*1 order\(s\) cancelled/);
    // Each entry has its time and its source.
    const hotkey = page.locator('[data-testid="activity"][data-source="hotkey"]').first();
    expect(await hotkey.locator('td').first().textContent()).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(await hotkey.locator('td').nth(1).textContent()).toBe('hotkey');
    expect(await text('tab-alerts')).toBe('Activity');
    // Filtered to the orders alone: no hotkey line.
    await byTest('activity-filter').selectOption('order');
    await expect.poll(() => page.locator('[data-testid="activity"][data-source="hotkey"]').count()).toBe(0);
    expect(await page.locator('[data-testid="activity"][data-source="order"]').count()).toBeGreaterThanOrEqual(5);
    await byTest('activity-filter').selectOption('');
  });
});

describe('the venue going away under an open page (the simulator as TWS, with its fault port)', () => {
  it('names the data farm, then the venue and its reconnect, with Send off until the venue is back in sync', async () => {
    const sim = await startSimProcess([], { control: true });
    const venueDir = mkdtempSync(join(tmpdir(), 'dualdesk-outage-venue-'));
    writeFileSync(join(venueDir, 'config.json'), JSON.stringify({ venue: { paperPort: sim.port } }));
    const desk = await startServe(['--data-dir', venueDir, '--port', '0', '--venue', 'tws', '--log-level', 'warn']);
    const tab = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    tab.setDefaultTimeout(15_000);
    const at = (id: string) => tab.locator(`[data-testid="${id}"]`);
    const row = tab.locator('[data-testid="watch-row-AAPL"]');
    try {
      await tab.goto(desk.url.href);
      await expect.poll(() => row.locator('[data-testid="bid"]').textContent(), { timeout: 30_000 }).toMatch(/^\d[\d,]*\.\d+$/);
      await expect.poll(() => at('status-venue').getAttribute('data-state'), { timeout: 20_000 }).toBe('ok');
      await row.click();
      await expect.poll(() => at('ticket-send').isEnabled()).toBe(true);
      await expect
        .poll(
          () =>
            at('outage-banner')
              .getAttribute('data-kind', { timeout: 1_000 })
              .catch(() => null),
          { timeout: 15_000 },
        )
        .toBe(null);

      // A market data farm down (IB's 2103): quotes may pause, trading goes on.
      await sim.fault('farm-down');
      await expect.poll(() => at('outage-banner').getAttribute('data-kind'), { timeout: 15_000 }).toBe('data-farm');
      expect(await at('outage-banner').textContent()).toMatch(/market data farm is down/);
      expect(await at('ticket-send').isEnabled()).toBe(true);
      await sim.fault('farm-up');
      await expect.poll(() => at('outage-banner').count(), { timeout: 15_000 }).toBe(0);

      // The venue gone (TWS restarting, its port closed): the banner names it and its reconnect; Send is off.
      const restart = sim.fault('restart?downMs=120000');
      await expect.poll(() => at('outage-banner').getAttribute('data-kind'), { timeout: 15_000 }).toBe('venue');
      await expect
        .poll(() => at('outage-venue').textContent(), { timeout: 15_000 })
        .toMatch(/The venue \(.*\) is (lost|disconnected|connecting).*(Reconnecting in \d+ s|Connecting now|Reconnecting now)/);
      expect(await at('status-venue').getAttribute('data-state')).not.toBe('ok');
      await expect.poll(() => at('ticket-send').isDisabled()).toBe(true);
      expect(await at('send-blocked').textContent()).toMatch(/the venue is (lost|disconnected|connecting)/);
      await expect.poll(() => row.getAttribute('data-stale'), { timeout: 15_000 }).toBe('true');

      // Back: the banner goes and Send is on once the venue is in sync again.
      await sim.fault('up');
      await restart;
      await expect.poll(() => at('outage-banner').count(), { timeout: 40_000 }).toBe(0);
      await expect.poll(() => at('status-venue').getAttribute('data-state')).toBe('ok');
      await expect.poll(() => at('ticket-send').isEnabled(), { timeout: 15_000 }).toBe(true);
      await at('tab-alerts').click();
      await expect.poll(() => at('alert-log').textContent()).toMatch(/Venue (lost|disconnected|connecting)/);
    } finally {
      await tab.close();
      desk.proc.kill('SIGTERM');
      await desk.exited;
      await sim.kill();
      rmSync(venueDir, { recursive: true, force: true });
    }
  });
});
