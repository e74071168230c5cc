// The desk against a venue that goes away or disagrees (the simulator in its own process, driven
// through its control port): the kill switch fails closed and finishes by itself when the venue is
// back; positions that differ from the venue's after a reconnect hold trading until the trader adopts
// the venue's figures; so does cash that differs (the venue's account changed while the desk was away);
// flatten and the kill switch adopt the venue's figures before closing what it holds; a kill switch not
// verified flat when the desk stops carries on at its next start.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { freePort } from '../../scripts/kafka/broker';
import type { DeskReconciliation, KillSwitchProgress, KillSwitchReport, Order, RiskAlert, VenueAdoption } from '../../src/shared';
import { CONTROL_TOKEN_FILE, createDesk, loadConfig } from '../../src/main/app';
import { createLogger } from '../../src/main/ops';
import { openStore, VenueMemoryRepository } from '../../src/main/store';
import { tempDir } from '../support/fs';
import { startSimProcess } from '../support/sim-process';
import { subscribe } from '../support/stream';
import { nextEvent, startAdapter } from '../support/venue';
import { until, untilAsync } from '../support/wait';
import { CON_ID } from '../support/fixtures';

const AAPL = { symbol: 'AAPL', secType: 'STK' as const };
const SPY = { symbol: 'SPY', secType: 'STK' as const };

/** A desk (with its stream) whose venue is the simulator process on `simPort`, in sync and reconciled (unless `venueDown`). */
async function deskOn(simPort: number, options: { dataDir?: string; venueDown?: boolean } = {}) {
  const dataDir = options.dataDir ?? tempDir();
  const desk = createDesk(
    loadConfig({ flags: { dataDir, 'server.port': 0, 'log.level': 'silent' }, defaults: { server: { enabled: true }, venue: { paperPort: simPort, clientId: 7 } } }),
    { logger: createLogger({ level: 'silent' }) },
  );
  await desk.start();
  onTestFinished(() => desk.stop());
  if (!options.venueDown) await until(() => desk.core?.execution?.lastReconciliation !== undefined, 'the venue in sync and reconciled');
  const token = readFileSync(join(dataDir, CONTROL_TOKEN_FILE), 'utf8').trim();
  const command = async <T>(name: string, args: unknown = {}): Promise<T> => {
    const r = await desk.command(name, args);
    if (!r.ok) throw new Error(`${name} refused: ${r.error.code}: ${r.error.message}`);
    return r.value as T;
  };
  const refusal = async (name: string, args: unknown = {}) => {
    const r = await desk.command(name, args);
    if (r.ok) throw new Error(`${name} was accepted`);
    return r.error;
  };
  return { desk, dataDir, command, refusal, stream: { url: `ws://127.0.0.1:${desk.server!.address().port}/stream`, token } };
}

let watchers = 90;

/** What the venue itself holds, read by another API client. */
async function venuePositions(simPort: number) {
  const watcher = startAdapter(simPort, { clientId: watchers++ });
  await watcher.adapter.whenReady();
  return (await watcher.adapter.resync()).positions.filter((p) => p.quantity !== 0).map((p) => ({ symbol: p.symbol, quantity: p.quantity }));
}

/** The simulator's port closed until `up()` (a 30 s outage ended on cue, so no test depends on how long the desk takes). */
async function outage(sim: { fault: (what: string) => Promise<void> }, desk: ReturnType<typeof createDesk>) {
  const back = sim.fault('restart?downMs=30000');
  back.catch(() => undefined); // awaited by up(); a test failing before then kills the simulator under it
  await until(() => desk.venue?.status().state === 'lost', 'the venue lost');
  return {
    up: async () => {
      await sim.fault('up');
      await back;
    },
  };
}

describe('the kill switch with the venue away', () => {
  it('answers not flat with the reason, stays HALTED, and completes by itself when the venue is back: cancel, flatten, verify', async () => {
    const sim = await startSimProcess([], { control: true });
    const d = await deskOn(sim.port);
    const entry = await d.command<Order>('placeOrder', { ticket: { instrument: AAPL, side: 'BUY', quantity: 10, type: 'MKT' } });
    await until(() => d.desk.core?.portfolio.position(entry.conId)?.quantity === 10, '10 AAPL held');
    const { received } = await subscribe(d.stream);
    // Live from here on: progress published before the snapshot would be folded into it, not seen as frames.
    await until(() => received.snapshots.length === 1, 'the subscriber’s snapshot');
    const progress = () => received.frames.filter((f) => f.topic === 'risk.killswitch').map((f) => f.data as KillSwitchProgress);

    // The venue goes away (its restart) and the desk sees it gone.
    const away = await outage(sim, d.desk);
    const report = await d.command<KillSwitchReport>('killSwitch', { reason: 'venue away drill' });
    expect(report).toMatchObject({ flat: false, continuing: true, exits: [], remaining: [{ symbol: 'AAPL', quantity: 10 }] });
    expect(report.problems.join('; ')).toMatch(/positions not read from the venue/);
    expect(await d.command('getRiskStatus')).toMatchObject({ state: 'HALTED', latched: true });
    expect((await d.refusal('rearm')).message).toMatch(/kill switch has not verified flat/);

    // Back: the procedure carries on by itself, and its progress is on the stream.
    await away.up();
    await until(
      () => progress().some((p) => p.phase === 'flat'),
      () => `flat verified; progress so far: ${JSON.stringify(progress().map((p) => p.message))}`,
      60_000,
    );
    const phases = progress().map((p) => p.phase);
    expect(phases).toContain('waiting-for-venue');
    expect(phases.indexOf('waiting-for-venue')).toBeLessThan(phases.indexOf('flattening'));
    expect(progress().find((p) => p.phase === 'waiting-for-venue')?.message).toBe('kill switch: waiting for the venue — 10 AAPL still held');
    expect(progress().at(-1)).toMatchObject({ phase: 'flat', message: expect.stringMatching(/flat, verified/) as unknown, remaining: [] });
    expect(received.frames.some((f) => f.topic === 'risk.alert' && (f.data as RiskAlert).title === 'Kill switch: flat and halted')).toBe(true);
    expect(await venuePositions(sim.port)).toEqual([]);
    expect(await d.command('getRiskStatus')).toMatchObject({ state: 'HALTED', latched: true });
    expect(await d.command('rearm')).toMatchObject({ state: 'ACTIVE' });
  });
});

describe('a kill switch not verified flat when the desk stops', () => {
  it('is carried on by the next start: HALTED, re-arming refused, and finished by itself once the venue is back', async () => {
    const sim = await startSimProcess([], { control: true });
    const first = await deskOn(sim.port);
    const entry = await first.command<Order>('placeOrder', { ticket: { instrument: AAPL, side: 'BUY', quantity: 10, type: 'MKT' } });
    await until(() => first.desk.core?.portfolio.position(entry.conId)?.quantity === 10, '10 AAPL held');
    const away = await outage(sim, first.desk);
    expect(await first.command<KillSwitchReport>('killSwitch', { reason: 'restart drill' })).toMatchObject({ flat: false, continuing: true });
    await first.desk.stop();

    // The desk starts again on the same data directory, the venue still away: nothing has been flattened yet.
    const second = await deskOn(sim.port, { dataDir: first.dataDir, venueDown: true });
    expect((await second.refusal('rearm')).message).toMatch(/kill switch has not verified flat/);
    expect(await second.command('getRiskStatus')).toMatchObject({ state: 'HALTED', latched: true, killSwitchPending: true });
    const { received } = await subscribe(second.stream);
    const progress = () => received.frames.filter((f) => f.topic === 'risk.killswitch').map((f) => f.data as KillSwitchProgress);

    // The venue is back: the first resync carries the procedure on (cancel, flatten, verify) with no command.
    await away.up();
    await until(
      () => progress().some((p) => p.phase === 'flat'),
      () => `flat verified; progress so far: ${JSON.stringify(progress().map((p) => p.message))}`,
      60_000,
    );
    expect(progress().at(-1)).toMatchObject({ phase: 'flat', reason: 'restart drill', attempt: expect.any(Number) as unknown });
    expect(progress().at(-1)!.attempt).toBeGreaterThan(1); // the attempts before the stop are counted on
    expect(await venuePositions(sim.port)).toEqual([]);
    expect(await second.command('getRiskStatus')).toMatchObject({ state: 'HALTED', latched: true, killSwitchPending: false });
    expect(await second.command('rearm')).toMatchObject({ state: 'ACTIVE' });
  });
});

/** The next reconciliation of orders, after whatever `cause` does to the connection. */
async function nextReconciliation(d: Awaited<ReturnType<typeof deskOn>>, cause: () => Promise<unknown>) {
  const before = d.desk.core!.execution!.lastReconciliation;
  await cause();
  await until(() => d.desk.core!.execution!.lastReconciliation !== before, 'the reconciliation after the reconnect');
}

/**
 * Another client buys 5 SPY at the venue and the desk never applies that execution (as when an execution id
 * collides with one it stored before: it takes the fill for one it has seen); a reconnect's resync then finds
 * the venue holding 5 SPY and DualDesk none.
 */
async function spyBoughtUnseen(d: Awaited<ReturnType<typeof deskOn>>, sim: { port: number; fault: (what: string) => Promise<void> }, quantity = 5) {
  const other = startAdapter(sim.port, { clientId: watchers++ });
  await other.adapter.whenReady();
  const spy = await other.adapter.resolve(SPY);
  await other.adapter.placeOrder({ orderRef: `elsewhere-${watchers}`, instrument: spy, side: 'BUY', quantity, type: 'MKT', tif: 'DAY', outsideRth: false });
  const execution = await nextEvent(other, 'execution', (e) => e.symbol === 'SPY');
  const memory = openStore(join(d.dataDir, 'paper.db'), 'paper');
  new VenueMemoryRepository(memory.db).markExecutionSeen(execution.execId, execution.time);
  memory.close();
}

const mismatchAlert = (f: { topic: string; data: unknown }) =>
  f.topic === 'risk.alert' && ['POSITION_MISMATCH', 'CASH_MISMATCH'].includes((f.data as RiskAlert).type) && (f.data as RiskAlert).severity === 'CRITICAL';

describe('positions that differ from the venue after a reconnect', () => {
  it('hold trading with an alert naming both figures, until the trader adopts the venue’s; then trading can be re-armed', async () => {
    const sim = await startSimProcess([], { control: true });
    const d = await deskOn(sim.port);
    await spyBoughtUnseen(d, sim);
    const { received } = await subscribe(d.stream);

    // A reconnect: the resync finds the venue holding 5 SPY and DualDesk none.
    await nextReconciliation(d, () => sim.fault('drop'));
    expect(await d.command('getRiskStatus')).toMatchObject({ state: 'REDUCING', latched: true, reason: expect.stringMatching(/SPY: DualDesk 0, venue 5/) as unknown });
    expect((await d.command<DeskReconciliation>('getReconciliation')).positions).toEqual([expect.objectContaining({ symbol: 'SPY', desk: 0, venue: 5 })]);
    await until(() => received.frames.some((f) => f.topic === 'risk.alert' && (f.data as RiskAlert).type === 'POSITION_MISMATCH'), 'the alert on the stream');
    expect(received.frames.find((f) => f.topic === 'risk.alert' && (f.data as RiskAlert).type === 'POSITION_MISMATCH')?.data).toMatchObject({
      message: expect.stringMatching(/^SPY: DualDesk 0, venue 5/) as unknown,
    });
    expect((await d.refusal('placeOrder', { ticket: { instrument: AAPL, side: 'BUY', quantity: 1, type: 'MKT' } })).code).toBe('reduce-only');
    expect((await d.refusal('rearm')).message).toMatch(/Positions differ from the venue \(SPY: DualDesk 0, venue 5\)/);

    // The trader adopts the venue's figures: they match, and trading can be re-armed.
    const { adopted, cash } = await d.command<VenueAdoption>('adoptVenuePositions');
    expect(adopted).toEqual([expect.objectContaining({ symbol: 'SPY', desk: 0, venue: 5 })]);
    expect(cash).toBeNull();
    expect(d.desk.core!.portfolio.positions().find((p) => p.symbol === 'SPY')?.quantity).toBe(5);
    expect(await venuePositions(sim.port)).toEqual([{ symbol: 'SPY', quantity: 5 }]);
    expect((await d.command<DeskReconciliation>('getReconciliation')).positions).toEqual([]);
    expect(await d.command('rearm')).toMatchObject({ state: 'ACTIVE' });
    expect((await d.command<Order>('placeOrder', { ticket: { instrument: AAPL, side: 'BUY', quantity: 1, type: 'MKT' } })).quantity).toBe(1);
  });
});

describe('adopting the venue’s figures', () => {
  it('takes the venue’s position as it is when adopted, not as the last resync found it: the account traded meanwhile', async () => {
    const sim = await startSimProcess([], { control: true });
    const d = await deskOn(sim.port);
    await spyBoughtUnseen(d, sim);
    await nextReconciliation(d, () => sim.fault('drop'));
    expect((await d.command<DeskReconciliation>('getReconciliation')).positions).toEqual([expect.objectContaining({ symbol: 'SPY', desk: 0, venue: 5 })]);

    // Another client buys 3 more before the trader adopts: the venue holds 8, and the adoption reads it now.
    await spyBoughtUnseen(d, sim, 3);
    expect(await venuePositions(sim.port)).toEqual([{ symbol: 'SPY', quantity: 8 }]);
    const { adopted } = await d.command<VenueAdoption>('adoptVenuePositions');
    expect(adopted).toEqual([expect.objectContaining({ symbol: 'SPY', venue: 8 })]);
    expect(d.desk.core!.portfolio.positions().find((p) => p.symbol === 'SPY')?.quantity).toBe(8);
  });

  it('flatten of one instrument adopts that instrument’s figures only, and a refused flatten adopts nothing', async () => {
    const sim = await startSimProcess([], { control: true });
    const d = await deskOn(sim.port);
    await spyBoughtUnseen(d, sim);
    await nextReconciliation(d, () => sim.fault('drop'));
    // AAPL is neither held nor differing.
    expect((await d.refusal('flatten', { conId: CON_ID.AAPL })).code).toBe('no-position');
    expect((await d.command<DeskReconciliation>('getReconciliation')).positions).toEqual([expect.objectContaining({ symbol: 'SPY', desk: 0, venue: 5 })]);
    expect(d.desk.core!.portfolio.positions().find((p) => p.symbol === 'SPY')?.quantity ?? 0).toBe(0);
  });
});

describe('flattening what differs from the venue', () => {
  for (const exit of ['flatten', 'killSwitch'] as const) {
    it(`${exit} adopts the venue's figures first: the venue ends flat, and so does DualDesk, with no new mismatch`, async () => {
      const sim = await startSimProcess([], { control: true });
      const d = await deskOn(sim.port);
      await spyBoughtUnseen(d, sim);
      await nextReconciliation(d, () => sim.fault('drop'));
      expect((await d.command<DeskReconciliation>('getReconciliation')).positions).toEqual([expect.objectContaining({ symbol: 'SPY', desk: 0, venue: 5 })]);

      if (exit === 'flatten') expect(await d.command<Order[]>('flatten')).toEqual([expect.objectContaining({ symbol: 'SPY', side: 'SELL', quantity: 5 })]);
      else
        expect(await d.command<KillSwitchReport>('killSwitch', { reason: 'mismatch drill' })).toMatchObject({
          flat: true,
          exits: [expect.objectContaining({ symbol: 'SPY', quantity: 5 })],
        });
      await untilAsync(async () => (await venuePositions(sim.port)).length === 0, 'the venue flat');
      await until(
        () => d.desk.core!.portfolio.positions().find((p) => p.symbol === 'SPY')?.quantity === 0,
        () => `DualDesk's SPY at 0, not ${d.desk.core!.portfolio.positions().find((p) => p.symbol === 'SPY')?.quantity}`,
      );

      // The next resync finds the books and the venue agreeing: nothing held but the trader's re-arm.
      await nextReconciliation(d, () => sim.fault('drop'));
      expect(await d.command<DeskReconciliation>('getReconciliation')).toMatchObject({ positions: [], cash: null, clean: true });
      expect(d.desk.core!.portfolio.heldDiscrepancies()).toEqual([]);
      expect(await d.command('rearm')).toMatchObject({ state: 'ACTIVE' });
    });
  }
});

describe('cash that differs from the venue after a reconnect', () => {
  it('holds trading with an alert naming both figures in money, until the trader adopts the venue’s; then trading can be re-armed', async () => {
    const port = await freePort();
    const state = join(tempDir(), 'venue.json');
    const first = await startSimProcess(['--state', state], { port });
    const d = await deskOn(port);
    const entry = await d.command<Order>('placeOrder', { ticket: { instrument: AAPL, side: 'BUY', quantity: 10, type: 'MKT' } });
    await until(() => (d.desk.core!.portfolio.position(entry.conId)?.commissions ?? 0) > 0, '10 AAPL held, their commission booked');
    const deskCash = d.desk.core!.portfolio.cashBalance();

    // While the desk is away, the venue's account changes by cash alone (a fee, a transfer): its paper account
    // (the simulator's state file) is 1,250.00 lighter when it comes back.
    await first.kill();
    const saved = JSON.parse(readFileSync(state, 'utf8')) as { engine: { account: { cash: number } } };
    expect(saved.engine.account.cash).toBeCloseTo(deskCash, 2);
    const venueCash = saved.engine.account.cash - 1_250;
    saved.engine.account.cash = venueCash;
    writeFileSync(state, JSON.stringify(saved));
    const { received } = await subscribe(d.stream);
    let sim: Awaited<ReturnType<typeof startSimProcess>> | undefined;
    await nextReconciliation(d, async () => (sim = await startSimProcess(['--state', state], { port, control: true })));

    const money = (n: number) => `USD ${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
    const figures = `cash: DualDesk ${money(deskCash)}, venue ${money(venueCash)}`;
    expect(await d.command('getRiskStatus')).toMatchObject({
      state: 'REDUCING',
      latched: true,
      reason: `Cash differs from the venue (${figures}): adopt the venue's figures or flatten, then re-arm.`,
    });
    const reconciliation = await d.command<DeskReconciliation>('getReconciliation');
    expect(reconciliation).toMatchObject({ positions: [], cash: { currency: 'USD', tolerance: expect.any(Number) as unknown }, clean: false });
    expect(reconciliation.cash!.desk).toBeCloseTo(deskCash, 2);
    expect(reconciliation.cash!.venue).toBeCloseTo(venueCash, 2);
    await until(() => received.frames.some(mismatchAlert), 'the alert on the stream');
    expect(received.frames.find(mismatchAlert)?.data).toMatchObject({
      type: 'CASH_MISMATCH',
      title: 'Cash differs from the venue',
      message: expect.stringContaining(figures) as unknown,
    });
    expect((await d.refusal('placeOrder', { ticket: { instrument: AAPL, side: 'BUY', quantity: 1, type: 'MKT' } })).code).toBe('reduce-only');
    expect((await d.refusal('rearm')).message).toContain(`Cash differs from the venue (${figures})`);

    // The trader adopts the venue's figures: DualDesk's cash is the venue's, and trading can be re-armed.
    const adoption = await d.command<VenueAdoption>('adoptVenuePositions');
    expect(adoption).toMatchObject({ adopted: [], cash: { currency: 'USD' } });
    expect(d.desk.core!.portfolio.cashBalance()).toBeCloseTo(venueCash, 2);
    expect(await d.command<DeskReconciliation>('getReconciliation')).toMatchObject({ positions: [], cash: null });
    expect(await d.command('rearm')).toMatchObject({ state: 'ACTIVE' });

    // Normal trading does not trip it: a fill (its commission reported a moment later), then at once a reconnect.
    const more = await d.command<Order>('placeOrder', { ticket: { instrument: AAPL, side: 'BUY', quantity: 1, type: 'MKT' } });
    await until(() => d.desk.core!.portfolio.position(more.conId)?.quantity === 11, '11 AAPL held');
    await nextReconciliation(d, () => sim!.fault('drop'));
    expect(await d.command<DeskReconciliation>('getReconciliation')).toMatchObject({ positions: [], cash: null, clean: true });
    expect(await d.command('getRiskStatus')).toMatchObject({ state: 'ACTIVE' });
  });
});
