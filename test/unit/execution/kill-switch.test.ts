// The kill switch fails closed: positions it could not read from the venue never count as flat, and it
// carries on by itself at the venue's next resync until flat is verified there. The engine and its
// journal are real (SQLite); the venue is a stand-in whose reads fail on demand.
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KillSwitchProgress, KillSwitchReport } from '../../../src/shared';
import { MessageBus, type CoreTopics } from '../../../src/main/bus';
import { VirtualClock } from '../../../src/main/clock';
import { ExecutionEngine, KillSwitch } from '../../../src/main/execution';
import { VenueError, type VenuePosition, type VenueSnapshot } from '../../../src/main/venue';
import { createLogger } from '../../../src/main/ops';
import { openStore, OrderJournalRepository } from '../../../src/main/store';
import { tempDir } from '../../support/fs';
import { until } from '../../support/wait';
import { TUESDAY_10AM, CON_ID } from '../../support/fixtures';

const away = () => new VenueError('venue-disconnected', 'Venue disconnected: the request was not sent.');

/** A venue whose position reads answer from a script: a snapshot's positions, or 'away' (the read throws). */
class ScriptedVenue extends EventEmitter {
  reads: (readonly VenuePosition[] | 'away')[] = [];
  resync(): Promise<VenueSnapshot> {
    const next = this.reads.shift() ?? 'away';
    if (next === 'away') return Promise.reject(away());
    const snapshot: VenueSnapshot = { at: 0, accounts: ['DU1'], positions: next, openOrders: [], completedOrders: [], accountValues: [], newExecutions: [], commissions: [] };
    this.emit('resynced', snapshot);
    return Promise.resolve(snapshot);
  }
  cancelAll(): Promise<void> {
    return Promise.reject(away());
  }
  resolve(): Promise<never> {
    return Promise.reject(away());
  }
  status() {
    return { trading: { allowed: false, reason: 'away' } };
  }
}

/** A venue whose first position read answers only when the test says so (a run in flight); later ones are away. */
class HeldVenue extends ScriptedVenue {
  answer: ((positions: readonly VenuePosition[] | 'away') => void) | undefined;
  override resync(): Promise<VenueSnapshot> {
    if (this.answer) return Promise.reject(away());
    return new Promise((resolve, reject) => {
      this.answer = (positions) => {
        if (positions === 'away') reject(away());
        else resolve({ at: 0, accounts: ['DU1'], positions, openOrders: [], completedOrders: [], accountValues: [], newExecutions: [], commissions: [] });
      };
    });
  }
}

function rig(venue: ScriptedVenue = new ScriptedVenue()) {
  const clock = new VirtualClock(TUESDAY_10AM);
  const store = openStore(join(tempDir(), 'paper.db'), 'paper');
  const logger = createLogger({ level: 'silent' });
  const engine = new ExecutionEngine({
    journal: new OrderJournalRepository(store.db),
    venue: venue as never,
    bus: new MessageBus<CoreTopics>(),
    gate: { check: () => ({ ok: true }) },
    control: { state: () => 'HALTED', halt: () => undefined },
    fills: { applyFill: () => undefined, applyCommission: () => undefined },
    clock,
    logger,
  });
  const progress: KillSwitchProgress[] = [];
  const halts: string[] = [];
  const reports: KillSwitchReport[] = [];
  const kill = new KillSwitch({
    engine,
    venue,
    control: { halt: (r) => halts.push(r) },
    clock,
    logger,
    held: () => [{ conId: CON_ID.AAPL, symbol: 'AAPL', quantity: 10 }],
    onProgress: (p) => progress.push(p),
    onReport: (r) => reports.push(r),
  });
  // The composition root calls each resync's steps; here the kill switch's is the only one.
  venue.on('resynced', () => kill.resynced());
  return { venue, kill, clock, progress, halts, reports, close: () => (kill.close(), store.close()) };
}

describe('the kill switch fails closed', () => {
  it('an exception while reading the venue’s positions is never flat: not flat, with the reason and what DualDesk last held', async () => {
    const r = rig();
    const report = await r.kill.trigger('drill');
    expect(report).toMatchObject({ flat: false, continuing: true, exits: [], remaining: [{ symbol: 'AAPL', quantity: 10 }] });
    expect(report.problems.join('; ')).toMatch(/positions not read from the venue: Venue disconnected/);
    expect(r.halts).toEqual(['Kill switch: drill']);
    expect(r.kill.pending).toBe(true);
    expect(r.progress.at(-1)).toMatchObject({ phase: 'waiting-for-venue', message: 'kill switch: waiting for the venue — 10 AAPL still held' });
    r.close();
  });

  it('a read that fails after the exits is not flat either; the next resync carries the procedure on until the venue reads flat', async () => {
    const r = rig();
    // Flat at the first pass, then the verification read fails.
    r.venue.reads = [[], 'away'];
    const report = await r.kill.trigger('drill');
    expect(report.flat).toBe(false);
    expect(r.kill.pending).toBe(true);
    // The venue is back: its own resync wakes the kill switch, which verifies flat by itself.
    r.venue.reads = [[], [], []];
    await r.venue.resync();
    await until(() => r.progress.at(-1)?.phase === 'flat', 'flat verified');
    expect(r.progress.at(-1)).toMatchObject({ attempt: 2, remaining: [], message: expect.stringMatching(/flat, verified at the venue/) as unknown });
    expect(r.kill.pending).toBe(false);
    r.close();
  });

  it('a run in flight when the core stops publishes nothing more and arms no retry: it answers that the next start carries on', async () => {
    const venue = new HeldVenue();
    const r = rig(venue);
    const run = r.kill.trigger('drill');
    await until(() => venue.answer !== undefined, 'the positions read under way');
    const published = r.progress.length;
    r.kill.close();
    venue.answer?.('away');
    const report = await run;
    expect(r.clock.pending()).toBe(0);
    expect(r.progress).toHaveLength(published);
    expect(r.reports).toEqual([]);
    expect(report).toMatchObject({ flat: false, continuing: true });
    expect(report.problems.at(-1)).toMatch(/stopped before flat was verified: it carries on at the next start/);
    r.close();
  });
});
