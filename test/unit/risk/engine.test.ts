import { describe, expect, it } from 'vitest';
import {
  defaultRiskLimits,
  type ChallengeStatusChange,
  type EquitySnapshot,
  type Instrument,
  type OrderSide,
  type RiskAlert,
  type RiskLimits,
  type TradingStateChange,
} from '../../../src/shared';
import { MessageBus, type CoreTopics, type Priority } from '../../../src/main/bus';
import { VirtualClock } from '../../../src/main/clock';
import { RiskEngine, RiskLimitsError, type OrderIntent, type RiskBus, type RiskContext } from '../../../src/main/risk';
import { MIGRATIONS, openStore, storeFile, type Store } from '../../../src/main/store';
import { tempDir } from '../../support/fs';
import { aapl, MONDAY_10AM } from '../../support/fixtures';

// The account limits' trading day is the portfolio's: it rolls at 17:00 New York.
const DAY = 86_400_000;

const AAPL: Instrument = aapl();

interface Published {
  readonly topic: string;
  readonly priority: Priority;
  readonly data: unknown;
}

/** A real bus, with every publication recorded with its priority. */
function recordingBus(): { bus: RiskBus; core: MessageBus<CoreTopics>; log: Published[]; alerts: () => RiskAlert[]; states: () => TradingStateChange[] } {
  const core = new MessageBus<CoreTopics>((err) => {
    throw err;
  });
  const log: Published[] = [];
  const bus: RiskBus = {
    publish: (topic, data, priority = 'NORMAL') => {
      log.push({ topic, priority, data });
      core.publish(topic, data, priority);
    },
    subscribe: (pattern, handler) => core.subscribe(pattern, handler),
  };
  return {
    bus,
    core,
    log,
    alerts: () => log.filter((p) => p.topic === 'risk.alert').map((p) => p.data as RiskAlert),
    states: () => log.filter((p) => p.topic === 'risk.state').map((p) => p.data as TradingStateChange),
  };
}

class Desk {
  readonly clock: VirtualClock;
  readonly file: string;
  store!: Store;
  engine!: RiskEngine;
  rec!: ReturnType<typeof recordingBus>;
  readonly challenges: ChallengeStatusChange[] = [];
  readonly errors: string[] = [];
  position = 0;

  constructor(
    dir = tempDir(),
    readonly mode: 'paper' | 'live' = 'paper',
    start = MONDAY_10AM,
  ) {
    this.clock = new VirtualClock(start);
    this.file = storeFile(dir, mode);
    this.open();
  }

  open(): void {
    this.store = openStore(this.file, this.mode);
    this.rec = recordingBus();
    this.engine = new RiskEngine({
      db: this.store.db,
      mode: this.mode,
      bus: this.rec.bus,
      clock: this.clock,
      onChallenge: (c) => this.challenges.push(c),
      onError: (err, what) => this.errors.push(`${what}: ${String(err)}`),
    });
    this.engine.start();
  }

  /** Kill the process and start again on the same database file. */
  restart(): void {
    this.engine.stop();
    this.store.close();
    this.open();
  }

  equity(equity: number, dailyStartEquity = 100_000, maxEquityEver = Math.max(100_000, dailyStartEquity, equity)): void {
    const s: EquitySnapshot = {
      equity,
      previousEquity: equity,
      maxEquityEver,
      dailyStartEquity,
      dailyMaxEquity: Math.max(dailyStartEquity, equity),
      dailyMinEquity: Math.min(dailyStartEquity, equity),
      totalPnl: equity - dailyStartEquity,
      realizedPnl: 0,
      unrealizedPnl: equity - dailyStartEquity,
      commissions: 0,
      totalTrades: 0,
      at: this.clock.now(),
    };
    // Through the bus, as the portfolio publishes it.
    this.rec.core.publish('equity', s);
  }

  readonly ctx: RiskContext = {
    instrument: (conId) => (conId === AAPL.conId ? AAPL : undefined),
    lastPrice: () => 100,
    position: () => this.position,
    workingQuantity: (_c: number, _s: OrderSide) => 0,
    grossExposure: () => Math.abs(this.position) * 100,
    fxRate: () => 1,
    now: () => this.clock.now(),
  };

  order(side: OrderSide, quantity: number): string {
    const intent: OrderIntent = { conId: AAPL.conId, side, quantity, type: 'MKT' };
    const d = this.engine.check(intent, this.ctx);
    return d.ok ? 'OK' : d.code;
  }
}

const messages = (alerts: RiskAlert[]) => alerts.map((a) => `${a.severity} ${a.type}: ${a.message}`);

describe('risk engine: account limits', () => {
  it('warns at 80 % and 90 % of the daily loss limit exactly once each, then goes REDUCING (latched) at the limit', () => {
    const d = new Desk();
    d.engine.setLimits({ dailyLossPct: 5, onLimit: 'REDUCING' });
    d.rec.log.length = 0;
    for (const e of [100_000, 99_000, 96_100]) d.equity(e);
    expect(d.rec.alerts()).toEqual([]);
    d.equity(96_000); // 4.00 %: 80 % of the limit
    d.equity(95_900);
    d.equity(96_500); // recovers below 80 %...
    d.equity(95_950); // ...and crosses again: no second warning the same day
    d.equity(95_500); // 4.50 %: 90 %
    d.equity(95_400);
    expect(messages(d.rec.alerts())).toEqual([
      'MEDIUM DAILY_LOSS: Daily loss at 4,000.00 = 4.00% (limit: 5,000.00 = 5.00%)',
      'HIGH DAILY_LOSS: Daily loss at 4,500.00 = 4.50% (limit: 5,000.00 = 5.00%)',
    ]);
    expect(d.engine.state).toBe('ACTIVE');
    expect(d.order('BUY', 10)).toBe('OK');

    d.equity(95_000); // 5.00 %: the limit
    d.equity(94_000);
    d.equity(94_500);
    expect(messages(d.rec.alerts())).toEqual([
      'MEDIUM DAILY_LOSS: Daily loss at 4,000.00 = 4.00% (limit: 5,000.00 = 5.00%)',
      'HIGH DAILY_LOSS: Daily loss at 4,500.00 = 4.50% (limit: 5,000.00 = 5.00%)',
      'CRITICAL DAILY_LOSS: Daily loss at 5,000.00 = 5.00% (limit: 5,000.00 = 5.00%): trading is reduce-only for the rest of the trading day',
    ]);
    const alert = d.rec.alerts()[2] as RiskAlert;
    expect(alert).toMatchObject({ title: 'Daily loss limit reached', value: 5, limit: 5, at: MONDAY_10AM });
    expect(d.rec.states()).toEqual([
      { state: 'REDUCING', previous: 'ACTIVE', reason: 'Daily loss limit reached: 5,000.00 = 5.00% (limit: 5,000.00 = 5.00%)', latched: true, at: MONDAY_10AM },
    ]);
    expect(d.rec.log.find((p) => p.topic === 'risk.state')?.priority).toBe('URGENT');
    expect(d.rec.log.find((p) => (p.data as RiskAlert).severity === 'CRITICAL')?.priority).toBe('URGENT');
    // The state goes out before the alert that explains it.
    expect(d.rec.log.findIndex((p) => p.topic === 'risk.state')).toBeLessThan(d.rec.log.findIndex((p) => (p.data as RiskAlert).severity === 'CRITICAL'));

    // Reduce-only: a new position is refused, reducing the existing one passes.
    d.position = 100;
    expect(d.order('BUY', 10)).toBe('reduce-only');
    expect(d.order('SELL', 100)).toBe('OK');
    expect(d.order('SELL', 101)).toBe('reduce-only');

    // Re-arming is refused for the rest of the trading day, even after the loss shrinks and the limit is raised.
    d.equity(97_000);
    d.engine.setLimits({ dailyLossPct: 8 });
    const refused = d.engine.rearm();
    expect(refused).toEqual({
      ok: false,
      code: 'rearm-refused',
      reason: 'Cannot re-arm: the daily loss limit (8.00%) was reached this trading day (2026-11-23); re-arming is possible from the next trading day',
    });
    d.clock.advanceTo(Date.UTC(2026, 10, 23, 21, 59)); // 16:59 in New York: still Monday's trading day
    expect(d.engine.rearm().ok).toBe(false);
    d.clock.advance(60_000); // 17:00 in New York: Tuesday's trading day
    expect(d.engine.rearm()).toEqual({ ok: true });
    expect(d.engine.state).toBe('ACTIVE');
    expect(d.rec.states().at(-1)).toMatchObject({ state: 'ACTIVE', previous: 'REDUCING', reason: 're-armed by the trader', latched: false });
    expect(d.order('BUY', 10)).toBe('OK');
  });

  it('HALTED at the daily loss limit (live default), published with FLASH_CRASH priority; a jump past both warnings reports the higher one only', () => {
    const d = new Desk(undefined, 'live');
    expect(d.engine.getLimits()).toMatchObject({ dailyLossPct: 5, onLimit: 'HALTED' });
    d.rec.log.length = 0;
    d.equity(95_400); // 4.60 % at once: 90 % warning only
    expect(messages(d.rec.alerts())).toEqual(['HIGH DAILY_LOSS: Daily loss at 4,600.00 = 4.60% (limit: 5,000.00 = 5.00%)']);
    d.equity(94_900);
    expect(d.engine.state).toBe('HALTED');
    expect(d.engine.latched).toBe(true);
    const halt = d.rec.log.find((p) => p.topic === 'risk.state');
    expect(halt?.priority).toBe('FLASH_CRASH');
    expect(halt?.data).toMatchObject({ state: 'HALTED', previous: 'ACTIVE', reason: 'Daily loss limit reached: 5,100.00 = 5.10% (limit: 5,000.00 = 5.00%)' });
    expect(messages(d.rec.alerts()).at(-1)).toBe('CRITICAL DAILY_LOSS: Daily loss at 5,100.00 = 5.10% (limit: 5,000.00 = 5.00%): trading halted for the rest of the trading day');
    d.position = 100;
    expect(d.order('SELL', 100)).toBe('trading-halted');
  });

  it('an absolute daily loss limit counts too, whichever is reached first', () => {
    const d = new Desk();
    d.engine.setLimits({ dailyLossPct: 5, dailyLossAmount: 2_000 });
    d.rec.log.length = 0;
    d.equity(98_400); // 1.6 %, 1,600 of 2,000: 80 % by amount
    d.equity(98_000);
    expect(messages(d.rec.alerts())).toEqual([
      'MEDIUM DAILY_LOSS: Daily loss at 1,600.00 = 1.60% (limit: 2,000.00 = 2.00%)',
      'CRITICAL DAILY_LOSS: Daily loss at 2,000.00 = 2.00% (limit: 2,000.00 = 2.00%): trading is reduce-only for the rest of the trading day',
    ]);
    expect(d.engine.state).toBe('REDUCING');
  });

  it('a new trading day starts the warnings over, measured from its own start equity', () => {
    const d = new Desk();
    d.engine.setLimits({ dailyLossPct: 5 });
    d.rec.log.length = 0;
    d.equity(96_000);
    d.clock.advance(3_600_000);
    d.equity(95_900);
    expect(d.rec.alerts()).toHaveLength(1);
    d.clock.advance(DAY);
    d.equity(96_000, 96_000); // Tuesday, no loss yet
    d.equity(92_160, 96_000); // 4 % of Tuesday's start
    expect(messages(d.rec.alerts())).toEqual([
      'MEDIUM DAILY_LOSS: Daily loss at 4,000.00 = 4.00% (limit: 5,000.00 = 5.00%)',
      'MEDIUM DAILY_LOSS: Daily loss at 3,840.00 = 4.00% (limit: 4,800.00 = 5.00%)',
    ]);
    expect(d.rec.alerts().map((a) => a.at)).toEqual([MONDAY_10AM, MONDAY_10AM + 3_600_000 + DAY]);
  });

  it('max drawdown from the equity high: warnings at 80 % and 90 %, the limit latches; re-arming waits until the drawdown is back under it', () => {
    const d = new Desk();
    d.engine.setLimits({ dailyLossPct: 50, maxDrawdownPct: 10, onLimit: 'HALTED' });
    d.rec.log.length = 0;
    const high = 125_000;
    d.equity(120_000, 118_000, high); // 4 %
    d.equity(115_000, 118_000, high); // 8 %: 80 %
    d.equity(113_750, 118_000, high); // 9 %: 90 %
    d.equity(113_000, 118_000, high);
    d.equity(112_500, 118_000, high); // 10 %
    d.equity(112_000, 118_000, high);
    expect(messages(d.rec.alerts())).toEqual([
      'MEDIUM MAX_DRAWDOWN: Drawdown at 10,000.00 = 8.00% (limit: 12,500.00 = 10.00%) from the equity high',
      'HIGH MAX_DRAWDOWN: Drawdown at 11,250.00 = 9.00% (limit: 12,500.00 = 10.00%) from the equity high',
      'CRITICAL MAX_DRAWDOWN: Drawdown at 12,500.00 = 10.00% (limit: 12,500.00 = 10.00%) from the equity high: trading halted until you re-arm',
    ]);
    expect(d.rec.states()).toEqual([
      { state: 'HALTED', previous: 'ACTIVE', reason: 'Maximum drawdown reached: 12,500.00 = 10.00% (limit: 12,500.00 = 10.00%)', latched: true, at: MONDAY_10AM },
    ]);
    expect(d.engine.rearm()).toMatchObject({
      ok: false,
      reason: 'Cannot re-arm: the drawdown is at 13,000.00 = 10.40% (limit: 12,500.00 = 10.00%) from the equity high; re-arming waits until it is back under the limit',
    });
    expect(d.engine.status()).toMatchObject({ state: 'HALTED', drawdownLimitReached: true, dailyLimitReached: false });
    d.restart(); // no equity seen since: the stored breach still counts
    const refused = d.engine.rearm();
    expect(refused.ok ? '' : refused.reason).toBe(
      'Cannot re-arm: the drawdown was at or over its limit (10.00%) at the last equity seen; re-arming waits for equity showing it back under the limit',
    );
    d.equity(113_000, 118_000, high); // 9.6 %: under the limit
    expect(d.engine.state).toBe('HALTED');
    expect(d.engine.rearm()).toEqual({ ok: true });
  });

  it('profit target: setting it starts a challenge from the current equity; reaching it passes the challenge once (CHALLENGE_STATUS_CHANGED)', () => {
    const d = new Desk();
    d.equity(100_000);
    expect(d.engine.challenge).toBe('ACTIVE');
    d.clock.advance(1_000);
    d.engine.setLimits({ profitTargetPct: 10 });
    const start = MONDAY_10AM + 1_000;
    expect(d.challenges).toEqual([{ previous: 'ACTIVE', status: 'ACTIVE', reason: 'RESET', startEquity: 100_000, equity: 100_000, at: start }]);
    d.rec.log.length = 0;
    d.equity(104_000, 100_000, 104_000);
    d.equity(109_990, 100_000, 109_990); // 9.99 %
    expect(d.challenges).toHaveLength(1);
    d.equity(110_000, 100_000, 110_000); // 10 %
    d.equity(120_000, 100_000, 120_000);
    expect(d.challenges.slice(1)).toEqual([{ previous: 'ACTIVE', status: 'PASSED', reason: 'PROFIT_TARGET', startEquity: 100_000, equity: 110_000, at: start }]);
    expect(messages(d.rec.alerts())).toEqual(['LOW PROFIT_TARGET: Profit at 10.00% (target: 10.00%): challenge passed']);
    expect(d.engine.challenge).toBe('PASSED');
    // A later loss does not undo it, nor does a restart.
    d.equity(100_000, 120_000, 120_000);
    expect(d.engine.challenge).toBe('PASSED');
    d.restart();
    expect(d.engine.challenge).toBe('PASSED');
    expect(d.engine.status()).toMatchObject({ challenge: 'PASSED', challengeStartEquity: 100_000 });
    // A reset before any equity since the restart: measured from the next snapshot.
    d.engine.resetChallenge();
    expect(d.challenges.at(-1)).toEqual({ previous: 'PASSED', status: 'ACTIVE', reason: 'RESET', at: start });
    d.equity(90_000, 90_000, 120_000);
    expect(d.engine.status().challengeStartEquity).toBe(90_000);
  });

  it('a challenge with a profit target fails at the daily loss limit', () => {
    const d = new Desk();
    d.engine.setLimits({ profitTargetPct: 8, dailyLossPct: 4 });
    d.equity(100_000);
    d.equity(96_000);
    expect(d.challenges.at(-1)).toMatchObject({ previous: 'ACTIVE', status: 'FAILED', reason: 'DAILY_LOSS_LIMIT', startEquity: 100_000, equity: 96_000 });
    d.equity(110_000, 96_000, 110_000);
    expect(d.engine.challenge).toBe('FAILED');
  });

  it('tightening a limit below the current loss applies at once', () => {
    const d = new Desk();
    d.equity(97_000);
    expect(d.engine.state).toBe('ACTIVE');
    d.engine.setLimits({ dailyLossPct: 3, onLimit: 'HALTED' });
    expect(d.engine.state).toBe('HALTED');
    expect(d.engine.reason).toBe('Daily loss limit reached: 3,000.00 = 3.00% (limit: 3,000.00 = 3.00%)');
  });
});

describe('risk engine: trading state', () => {
  it('halt, reduce, re-arm: escalation only, latched until re-armed, guards can refuse', () => {
    const d = new Desk();
    d.rec.log.length = 0;
    expect(d.engine.reduce('trader: reduce only')).toBe(true);
    expect(d.engine.halt('kill switch')).toBe(true);
    expect(d.engine.reduce('later event')).toBe(false); // never softens a halt
    expect(d.engine.halt('again')).toBe(false);
    expect(d.engine.state).toBe('HALTED');
    expect(d.rec.log.map((p) => `${p.priority} ${(p.data as TradingStateChange).state}`)).toEqual(['URGENT REDUCING', 'FLASH_CRASH HALTED']);
    expect(d.engine.resume('reconciled')).toMatchObject({ ok: false, reason: "Cannot re-arm: trading was stopped by 'kill switch' and stays HALTED until you re-arm" });
    const off = d.engine.addRearmGuard(() => 'positions are not flat yet');
    expect(d.engine.rearm()).toEqual({ ok: false, code: 'rearm-refused', reason: 'Cannot re-arm: positions are not flat yet' });
    off();
    expect(d.engine.rearm()).toEqual({ ok: true });
    expect(d.engine.rearm()).toEqual({ ok: true }); // already active
    expect(d.engine.stateLog().map((e) => `${e.previous}→${e.state} ${e.reason}`)).toEqual([
      'HALTED→ACTIVE re-armed by the trader',
      'REDUCING→HALTED kill switch',
      'ACTIVE→REDUCING trader: reduce only',
      'ACTIVE→ACTIVE new trading database: trading is active',
    ]);
  });

  it('an unlatched halt (the core’s, e.g. reconciliation) is lifted by resume(); latching it keeps it for the trader', () => {
    const d = new Desk();
    d.engine.halt('reconciling with the venue', { latched: false });
    expect(d.engine.latched).toBe(false);
    expect(d.engine.resume('reconciliation clean')).toEqual({ ok: true });
    expect(d.engine.state).toBe('ACTIVE');
    d.engine.halt('reconciling with the venue', { latched: false });
    expect(d.engine.halt('kill switch')).toBe(true); // the same state, now latched
    expect(d.engine.latched).toBe(true);
    expect(d.engine.resume('reconciliation clean').ok).toBe(false);
  });

  it('a halt takes effect even when the database cannot be written (reported); re-arming then refuses', () => {
    const d = new Desk();
    d.store.close();
    expect(d.engine.halt('kill switch')).toBe(true);
    expect(d.engine.state).toBe('HALTED');
    expect(d.rec.states().at(-1)).toMatchObject({ state: 'HALTED', reason: 'kill switch' });
    expect(d.errors).toHaveLength(1);
    expect(d.errors[0]).toMatch(/^persisting trading state HALTED: .*not open/);
    const refused = d.engine.rearm();
    expect(refused.ok).toBe(false);
    expect(refused.ok ? '' : refused.reason).toMatch(/^Cannot re-arm: the trading state could not be saved .*; trading stays HALTED$/);
    expect(d.engine.state).toBe('HALTED');
  });

  it('survives a restart: a desk killed while HALTED restarts HALTED, and says so on the bus', () => {
    const dir = tempDir();
    const d = new Desk(dir);
    d.engine.halt('kill switch: flatten all');
    d.clock.advance(5_000);
    d.restart();
    expect(d.engine.state).toBe('HALTED');
    expect(d.engine.latched).toBe(true);
    expect(d.engine.reason).toBe('kill switch: flatten all');
    expect(d.rec.log).toEqual([
      { topic: 'risk.state', priority: 'FLASH_CRASH', data: { state: 'HALTED', previous: 'HALTED', reason: 'kill switch: flatten all', latched: true, at: MONDAY_10AM } },
    ]);
    expect(d.order('BUY', 1)).toBe('trading-halted');
    // Paper and live keep their own state.
    const live = new Desk(dir, 'live');
    expect(live.engine.state).toBe('ACTIVE');
  });

  it('warnings already given today are not repeated after a restart; the daily lock survives it', () => {
    const d = new Desk();
    d.engine.setLimits({ dailyLossPct: 5 });
    d.equity(95_800); // 4.2 %: 80 %
    d.restart();
    d.equity(95_700);
    expect(d.rec.alerts()).toEqual([]);
    d.equity(95_500);
    expect(messages(d.rec.alerts())).toEqual(['HIGH DAILY_LOSS: Daily loss at 4,500.00 = 4.50% (limit: 5,000.00 = 5.00%)']);
    d.equity(94_000);
    d.restart();
    expect(d.engine.state).toBe('REDUCING');
    expect(d.engine.rearm().ok).toBe(false);
    expect(d.engine.status()).toMatchObject({ dailyLimitReached: true, tradingDay: '2026-11-23' });
  });
});

describe('risk engine: limits', () => {
  it('live defaults are stricter than paper on every limit', () => {
    const paper = defaultRiskLimits('paper');
    const live = defaultRiskLimits('live');
    for (const t of ['STK', 'CASH', 'FUT'] as const) {
      expect(live.maxOrderQuantity[t]).toBeLessThan(paper.maxOrderQuantity[t]);
      expect(live.maxPosition[t]).toBeLessThan(paper.maxPosition[t]);
    }
    for (const k of ['maxOrderNotional', 'maxGrossExposure', 'priceBandPct', 'dailyLossPct', 'maxDrawdownPct'] as const) expect(live[k]).toBeLessThan(paper[k]);
    expect(live.rateLimit.maxOrders / live.rateLimit.windowMs).toBeLessThan(paper.rateLimit.maxOrders / paper.rateLimit.windowMs);
    expect(live.duplicateWindowMs).toBeGreaterThan(paper.duplicateWindowMs);
    expect([paper.onLimit, live.onLimit]).toEqual(['REDUCING', 'HALTED']);
  });

  it('refuses invalid limits naming each field, and changes nothing', () => {
    const d = new Desk();
    const before = d.engine.getLimits();
    const problem = (patch: unknown): string => {
      try {
        d.engine.setLimits(patch);
      } catch (err) {
        expect(err).toBeInstanceOf(RiskLimitsError);
        return (err as Error).message;
      }
      throw new Error('expected a RiskLimitsError');
    };
    expect(problem({ maxOrderNotional: -5 })).toBe('invalid risk limits: maxOrderNotional: must be greater than 0 (base currency per order)');
    expect(problem({ maxOrderNotional: '1000' })).toBe('invalid risk limits: maxOrderNotional: must be an amount of base currency per order');
    expect(problem({ maxOrderQuantity: { STK: 1.5 } })).toBe('invalid risk limits: maxOrderQuantity.STK: must be a whole number of shares');
    expect(problem({ maxPosition: { FUT: 0 } })).toBe('invalid risk limits: maxPosition.FUT: must be at least 1 (contracts)');
    expect(problem({ rateLimit: { windowMs: 5 } })).toBe('invalid risk limits: rateLimit.windowMs: must be at least 100 ms (rate window)');
    expect(problem({ priceBandPct: 80 })).toBe('invalid risk limits: priceBandPct: must be at most 50 % (distance from the last price)');
    expect(problem({ warningFractions: [0.9, 0.8] })).toBe('invalid risk limits: warningFractions: must be in ascending order without repeats');
    expect(problem({ warningFractions: [0.8, 1] })).toBe('invalid risk limits: warningFractions.1: must be less than 1 (the limit itself is always reported)');
    expect(problem({ onLimit: 'PANIC' })).toBe("invalid risk limits: onLimit: must be 'REDUCING' or 'HALTED'");
    expect(problem({ maxOrderNotionl: 5 })).toBe('invalid risk limits: maxOrderNotionl: is not a risk limit');
    expect(problem({ dailyLossPct: 0, maxDrawdownPct: 101 })).toBe(
      'invalid risk limits: dailyLossPct: must be greater than 0 % (of start-of-day equity); maxDrawdownPct: must be at most 100 % (of the equity high)',
    );
    expect(problem([1])).toBe('invalid risk limits: limits: must be an object of the limits to change');
    expect(d.engine.getLimits()).toEqual(before);
  });

  it('keeps the trader’s edits per mode across restarts; null clears an optional limit', () => {
    const dir = tempDir();
    const d = new Desk(dir);
    const edited: RiskLimits = d.engine.setLimits({ maxOrderNotional: 42_000, rateLimit: { maxOrders: 4 }, profitTargetPct: 12, warningFractions: [0.5, 0.75, 0.9] });
    expect(edited.rateLimit).toEqual({ maxOrders: 4, windowMs: 10_000 });
    d.restart();
    expect(d.engine.getLimits()).toEqual(edited);
    d.engine.setLimits({ profitTargetPct: null });
    d.restart();
    expect(d.engine.getLimits().profitTargetPct).toBeNull();
    const live = new Desk(dir, 'live');
    expect(live.engine.getLimits()).toEqual(defaultRiskLimits('live'));
  });

  it('stored limits that no longer validate fall back to the defaults, reported', () => {
    const d = new Desk();
    d.store.db.prepare('INSERT OR REPLACE INTO risk_limits (id, limits, updated_at) VALUES (1, ?, 0)').run('{"maxOrderNotional": -1}');
    d.restart();
    expect(d.engine.getLimits()).toEqual(defaultRiskLimits('paper'));
    expect(d.errors[0]).toMatch(/stored paper risk limits are unusable; using the defaults: RiskLimitsError: invalid risk limits: maxOrderNotional/);
  });

  it('migration 3 is registered once', () => {
    expect(MIGRATIONS.filter((m) => m.version === 3).map((m) => m.name)).toHaveLength(1);
  });
});
