// The desk against a venue that goes away or disagrees (the simulator in its own process, driven
// through its control port): the kill switch fails closed and finishes by itself when the venue is
// back; positions that differ from the venue's after a reconnect hold trading until the trader adopts
// the venue's figures.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { DeskReconciliation, KillSwitchProgress, KillSwitchReport, Order, PositionMismatch, RiskAlert } from '../../src/shared';
import { CONTROL_TOKEN_FILE, createDesk, loadConfig } from '../../src/main/app';
import { createLogger } from '../../src/main/ops';
import { openStore, VenueMemoryRepository } from '../../src/main/store';
import { tempDir } from '../support/fs';
import { startSimProcess } from '../support/sim-process';
import { subscribe } from '../support/stream';
import { nextEvent, startAdapter } from '../support/venue';
import { until } from '../support/wait';

const AAPL = { symbol: 'AAPL', secType: 'STK' as const };
const SPY = { symbol: 'SPY', secType: 'STK' as const };

/** A desk (with its stream) whose venue is the simulator process on `simPort`, in sync and reconciled. */
async function deskOn(simPort: number) {
  const dataDir = tempDir();
  const desk = createDesk(
    loadConfig({ flags: { dataDir, 'server.port': 0, 'log.level': 'silent' }, defaults: { server: { enabled: true }, venue: { paperPort: simPort, clientId: 7 } } }),
    { logger: createLogger({ level: 'silent' }) },
  );
  await desk.start();
  onTestFinished(() => desk.stop());
  await until(() => desk.core?.execution?.lastReconciliation !== undefined, 'the venue in sync and reconciled');
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

describe('the kill switch with the venue away', () => {
  it('answers not flat with the reason, stays HALTED, and completes by itself when the venue is back: cancel, flatten, verify', async () => {
    const sim = await startSimProcess([], { control: true });
    const d = await deskOn(sim.port);
    const entry = await d.command<Order>('placeOrder', { ticket: { instrument: AAPL, side: 'BUY', quantity: 10, type: 'MKT' } });
    await until(() => d.desk.core?.portfolio.position(entry.conId)?.quantity === 10, '10 AAPL held');
    const { received } = await subscribe(d.stream);
    const progress = () => received.frames.filter((f) => f.topic === 'risk.killswitch').map((f) => f.data as KillSwitchProgress);

    // The venue goes away (its restart) and the desk sees it gone.
    await sim.fault('restart?downMs=4000');
    await until(() => d.desk.venue?.status().state === 'lost', 'the venue lost');
    const report = await d.command<KillSwitchReport>('killSwitch', { reason: 'venue away drill' });
    expect(report).toMatchObject({ flat: false, continuing: true, exits: [], remaining: [{ symbol: 'AAPL', quantity: 10 }] });
    expect(report.problems.join('; ')).toMatch(/positions not read from the venue/);
    expect(await d.command('getRiskStatus')).toMatchObject({ state: 'HALTED', latched: true });
    expect((await d.refusal('rearm')).message).toMatch(/kill switch has not verified flat/);

    // Back: the procedure carries on by itself, and its progress is on the stream.
    await until(() => progress().some((p) => p.phase === 'flat'), () => `flat verified; progress so far: ${JSON.stringify(progress().map((p) => p.message))}`, 60_000);
    const phases = progress().map((p) => p.phase);
    expect(phases.indexOf('waiting-for-venue')).toBeLessThan(phases.indexOf('flattening'));
    expect(progress().find((p) => p.phase === 'waiting-for-venue')?.message).toBe('kill switch: waiting for the venue — 10 AAPL still held');
    expect(progress().at(-1)).toMatchObject({ phase: 'flat', message: expect.stringMatching(/flat, verified/) as unknown, remaining: [] });
    expect(received.frames.some((f) => f.topic === 'risk.alert' && (f.data as RiskAlert).title === 'Kill switch: flat and halted')).toBe(true);
    expect(await venuePositions(sim.port)).toEqual([]);
    expect(await d.command('getRiskStatus')).toMatchObject({ state: 'HALTED', latched: true });
    expect(await d.command('rearm')).toMatchObject({ state: 'ACTIVE' });
  });
});

describe('positions that differ from the venue after a reconnect', () => {
  it('hold trading with an alert naming both figures, until the trader adopts the venue’s; then trading can be re-armed', async () => {
    const sim = await startSimProcess([], { control: true });
    const d = await deskOn(sim.port);
    // Another client buys 5 SPY at the venue; the desk never applies that execution (as when an execution id
    // collides with one it stored before: it takes the fill for one it has seen).
    const other = startAdapter(sim.port, { clientId: 55 });
    await other.adapter.whenReady();
    const spy = await other.adapter.resolve(SPY);
    await other.adapter.placeOrder({ orderRef: 'elsewhere-1', instrument: spy, side: 'BUY', quantity: 5, type: 'MKT', tif: 'DAY', outsideRth: false });
    const execution = await nextEvent(other, 'execution', (e) => e.symbol === 'SPY');
    const memory = openStore(join(d.dataDir, 'paper.db'), 'paper');
    new VenueMemoryRepository(memory.db).markExecutionSeen(execution.execId, execution.time);
    memory.close();
    const { received } = await subscribe(d.stream);

    // A reconnect: the resync finds the venue holding 5 SPY and DualDesk none.
    const before = d.desk.core!.execution!.lastReconciliation;
    await sim.fault('drop');
    await until(() => d.desk.core!.execution!.lastReconciliation !== before, 'the reconciliation after the reconnect');
    expect(await d.command('getRiskStatus')).toMatchObject({ state: 'REDUCING', latched: true, reason: expect.stringMatching(/SPY: DualDesk 0, venue 5/) as unknown });
    expect((await d.command<DeskReconciliation>('getReconciliation')).positions).toEqual([expect.objectContaining({ symbol: 'SPY', desk: 0, venue: 5 })]);
    await until(() => received.frames.some((f) => f.topic === 'risk.alert' && (f.data as RiskAlert).type === 'POSITION_MISMATCH'), 'the alert on the stream');
    expect(received.frames.find((f) => f.topic === 'risk.alert' && (f.data as RiskAlert).type === 'POSITION_MISMATCH')?.data).toMatchObject({ message: expect.stringMatching(/^SPY: DualDesk 0, venue 5/) as unknown });
    expect((await d.refusal('placeOrder', { ticket: { instrument: AAPL, side: 'BUY', quantity: 1, type: 'MKT' } })).code).toBe('reduce-only');
    expect((await d.refusal('rearm')).message).toMatch(/Positions differ from the venue \(SPY: DualDesk 0, venue 5\)/);

    // The trader adopts the venue's figures: they match, and trading can be re-armed.
    const { adopted } = await d.command<{ adopted: PositionMismatch[] }>('adoptVenuePositions');
    expect(adopted).toEqual([expect.objectContaining({ symbol: 'SPY', desk: 0, venue: 5 })]);
    expect(d.desk.core!.portfolio.positions().find((p) => p.symbol === 'SPY')?.quantity).toBe(5);
    expect(await venuePositions(sim.port)).toEqual([{ symbol: 'SPY', quantity: 5 }]);
    expect((await d.command<DeskReconciliation>('getReconciliation')).positions).toEqual([]);
    expect(await d.command('rearm')).toMatchObject({ state: 'ACTIVE' });
    expect((await d.command<Order>('placeOrder', { ticket: { instrument: AAPL, side: 'BUY', quantity: 1, type: 'MKT' } })).quantity).toBe(1);
  });
});
