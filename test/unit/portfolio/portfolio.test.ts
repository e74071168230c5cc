import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { EquitySnapshot, Fill, Position } from '../../../src/shared';
import { MessageBus, type CoreTopics } from '../../../src/main/bus';
import { VirtualClock } from '../../../src/main/clock';
import type { VenueExecution, VenuePosition, VenueSnapshot } from '../../../src/main/venue';
import { createLogger } from '../../../src/main/ops';
import { Portfolio, PortfolioInputError, type Discrepancy, type PortfolioOptions } from '../../../src/main/portfolio';
import { openStore, PortfolioRepository } from '../../../src/main/store';
import { tempDir } from '../../support/fs';
import { CON_ID, TUESDAY_10AM as T0 } from '../../support/fixtures';

const NY_17H = Date.UTC(2026, 10, 17, 22, 0, 0);
const { AAPL, EURUSD: EUR } = CON_ID;
const ES = 600_202_612;
const ACCOUNT = 'DU1234567';

interface Rig {
  readonly p: Portfolio;
  readonly clock: VirtualClock;
  readonly bus: MessageBus<CoreTopics>;
  readonly equity: EquitySnapshot[];
  readonly positions: { topic: string; position: Position }[];
  readonly flags: Discrepancy[];
  readonly file: string;
  fill(conId: number, side: 'BUY' | 'SELL', quantity: number, price: number, extra?: Partial<Fill>): Fill;
  reopen(): Rig;
  close(): void;
}

let execSeq = 0;

function rig(options: { file?: string; clock?: VirtualClock; portfolio?: Partial<PortfolioOptions> } = {}): Rig {
  const file = options.file ?? join(tempDir(), 'paper.db');
  const clock = options.clock ?? new VirtualClock(T0);
  const store = openStore(file, 'paper');
  const bus = new MessageBus<CoreTopics>((err) => {
    throw err;
  });
  const equity: EquitySnapshot[] = [];
  const positions: { topic: string; position: Position }[] = [];
  bus.subscribe('equity', (e) => equity.push(e));
  bus.subscribe('position.*', (position, topic) => positions.push({ topic, position }));
  const p = new Portfolio({ bus, clock, logger: createLogger({ level: 'silent' }), memory: new PortfolioRepository(store.db), ...options.portfolio });
  const flags: Discrepancy[] = [];
  p.onDiscrepancy((d) => flags.push(d));
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    p.close();
    store.close();
  };
  onTestFinished(close);
  return {
    p,
    clock,
    bus,
    equity,
    positions,
    flags,
    file,
    fill: (conId, side, quantity, price, extra = {}) => ({
      execId: `x${++execSeq}`,
      orderId: 'dd-1',
      conId,
      symbol: conId === AAPL ? 'AAPL' : conId === ES ? 'ES' : 'EUR',
      side,
      quantity,
      price,
      multiplier: conId === ES ? 50 : 1,
      commission: 0,
      time: clock.now(),
      ...extra,
    }),
    reopen: () => {
      close();
      return rig({ file, clock, ...(options.portfolio ? { portfolio: options.portfolio } : {}) });
    },
    close,
  };
}

function venuePosition(conId: number, quantity: number, averageCost: number, secType = conId === ES ? 'FUT' : conId === EUR ? 'CASH' : 'STK'): VenuePosition {
  return { account: ACCOUNT, conId, symbol: conId === AAPL ? 'AAPL' : conId === ES ? 'ES' : 'EUR', secType, quantity, averageCost };
}

function execution(execId: string, conId: number, side: 'BUY' | 'SELL', shares: number, price: number, time = T0): VenueExecution {
  return {
    execId,
    orderId: 1,
    permId: 1,
    clientId: 11,
    orderRef: 'dd-x',
    account: ACCOUNT,
    conId,
    symbol: 'AAPL',
    side,
    shares,
    price,
    cumQty: shares,
    avgPrice: price,
    time,
    exchange: 'SIM',
  };
}

function snapshot(o: {
  netLiq?: number;
  unrealized?: number;
  cash?: number;
  positions?: VenuePosition[];
  executions?: VenueExecution[];
  commissions?: Record<string, number>;
}): VenueSnapshot {
  const usd = (key: string, value: number | undefined) => (value === undefined ? [] : [{ account: ACCOUNT, key, value: value.toFixed(2), currency: 'USD' }]);
  return {
    at: T0,
    accounts: [ACCOUNT],
    positions: o.positions ?? [],
    openOrders: [],
    completedOrders: [],
    accountValues: [
      ...usd('NetLiquidation', o.netLiq),
      ...usd('UnrealizedPnL', o.unrealized),
      ...usd('TotalCashValue', o.cash),
      { account: ACCOUNT, key: 'AccountType', value: 'INDIVIDUAL', currency: '' },
    ],
    newExecutions: o.executions ?? [],
    commissions: Object.entries(o.commissions ?? {}).map(([execId, commission]) => ({ execId, commission, currency: 'USD' })),
  };
}

const last = <T>(xs: readonly T[]): T => xs[xs.length - 1] as T;

describe('portfolio: positions and P&L from fills', () => {
  it('books adds, partial fills, reductions and reversals with average cost, and equity = cash + market value', () => {
    const r = rig();
    r.p.sync(snapshot({ netLiq: 100_000, unrealized: 0, cash: 100_000 }));
    const fills: [side: 'BUY' | 'SELL', qty: number, price: number][] = [
      ['BUY', 100, 10],
      ['BUY', 50, 10.3],
      ['BUY', 50, 10.5],
      ['SELL', 80, 11],
      ['SELL', 200, 9.7],
      ['BUY', 30, 9.5],
    ];
    const realized = fills.map(([side, q, px]) => {
      const out = r.p.applyFill(r.fill(AAPL, side, q, px));
      expect(out.status).toBe('applied');
      return out.status === 'applied' ? Math.round(out.realizedPnl * 1e6) / 1e6 : NaN;
    });
    expect(realized).toEqual([0, 0, 0, 64, -60, 6]);
    const pos = r.p.position(AAPL)!;
    expect(pos).toMatchObject({ conId: AAPL, symbol: 'AAPL', quantity: -50, avgPrice: 9.7, multiplier: 1, commissions: 0 });
    expect(pos.realizedPnl).toBeCloseTo(10, 9);
    // The first fill marked AAPL at 10; no quote since.
    expect(pos.lastPrice).toBe(10);
    expect(pos.unrealizedPnl).toBeCloseTo((10 - 9.7) * -50, 9);
    r.p.mark(AAPL, 9.6);
    const e = r.p.equity()!;
    // Cash: 100000 − 1000 − 515 − 525 + 880 + 1940 − 285 = 100495; market value −50 × 9.6.
    expect(r.p.cashBalance()).toBeCloseTo(100_495, 9);
    expect(e.equity).toBeCloseTo(100_495 - 480, 9);
    expect(e).toMatchObject({ dailyStartEquity: 100_000, totalTrades: 6, lastTradeAt: T0, commissions: 0 });
    expect(e.realizedPnl).toBeCloseTo(10, 9);
    expect(e.unrealizedPnl).toBeCloseTo(5, 9); // (9.6 − 9.7) × −50
    expect(e.totalPnl).toBeCloseTo(15, 9);
    // A reversal back to long closes the short and opens the rest at the fill price.
    r.p.applyFill(r.fill(AAPL, 'BUY', 70, 9.9));
    expect(r.p.position(AAPL)).toMatchObject({ quantity: 20, avgPrice: 9.9 });
    expect(r.p.equity()!.realizedPnl).toBeCloseTo(0, 9);
  });

  it('scales futures by their multiplier, and takes commissions that arrive after (or before) their fill', () => {
    const r = rig();
    r.p.sync(snapshot({ netLiq: 500_000, unrealized: 0 }));
    const a = r.fill(ES, 'BUY', 2, 5900);
    const b = r.fill(ES, 'BUY', 1, 5906);
    const c = r.fill(ES, 'SELL', 2, 5910);
    r.p.applyFill(a);
    r.p.applyFill(b);
    // c's commission report overtakes its fill.
    expect(r.p.applyCommission(c.execId, 1.7)).toBe(false);
    const out = r.p.applyFill(c);
    expect(out).toMatchObject({ status: 'applied', realizedPnl: 800 });
    expect(r.p.position(ES)).toMatchObject({ quantity: 1, avgPrice: 5902, multiplier: 50, commissions: 1.7 });
    // a and b report theirs later; a second identical report changes nothing.
    expect(r.p.applyCommission(a.execId, 1.7)).toBe(true);
    expect(r.p.applyCommission(b.execId, 0.85)).toBe(true);
    expect(r.p.applyCommission(b.execId, 0.85)).toBe(false);
    r.p.mark(ES, 5920);
    const pos = r.p.position(ES)!;
    expect(pos.commissions).toBeCloseTo(4.25, 9);
    expect(pos.unrealizedPnl).toBe(900);
    const e = r.p.equity()!;
    expect(e.commissions).toBeCloseTo(4.25, 9);
    expect(e.realizedPnl).toBe(800);
    expect(e.equity).toBeCloseTo(500_000 + 800 + 900 - 4.25, 6);
    expect(e.totalPnl).toBeCloseTo(800 + 900 - 4.25, 6);
    // A fill of an order the desk did not place may come with multiplier 1: the registered instrument's wins.
    r.p.instrument({ conId: ES, symbol: 'ES', localSymbol: 'ESZ6', secType: 'FUT', multiplier: 50 });
    r.p.applyFill(r.fill(ES, 'BUY', 1, 5920, { multiplier: 1 }));
    expect(r.p.position(ES)).toMatchObject({ quantity: 2, avgPrice: 5911, multiplier: 50, symbol: 'ESZ6' });
    expect(r.p.equity()!.equity).toBeCloseTo(500_000 + 800 + 900 - 4.25, 6);
    // The same execution twice is applied once.
    expect(r.p.applyFill(a)).toEqual({ status: 'duplicate' });
    expect(r.p.position(ES)!.quantity).toBe(2);
  });

  it('realizes a short’s gains when the price falls', () => {
    const r = rig();
    r.p.sync(snapshot({ netLiq: 100_000, unrealized: 0 }));
    r.p.applyFill(r.fill(AAPL, 'SELL', 100, 50, { commission: 1 }));
    r.p.mark(AAPL, 45);
    expect(r.p.position(AAPL)!.unrealizedPnl).toBe(500);
    expect(r.p.equity()!.equity).toBeCloseTo(100_499, 9);
    expect(r.p.applyFill(r.fill(AAPL, 'BUY', 100, 46, { commission: 1 }))).toMatchObject({ status: 'applied', realizedPnl: 400 });
    expect(r.p.position(AAPL)).toMatchObject({ quantity: 0, avgPrice: 0, unrealizedPnl: 0, realizedPnl: 400, commissions: 2 });
    expect(r.p.equity()!.equity).toBeCloseTo(100_398, 9);
  });

  it('publishes positions under the instrument’s local symbol, and refuses malformed fills', () => {
    const r = rig();
    r.p.instrument({ conId: EUR, symbol: 'EUR', localSymbol: 'EUR.USD', secType: 'CASH', multiplier: 1, currency: 'USD' });
    r.p.sync(snapshot({ netLiq: 100_000, unrealized: 0 }));
    r.p.applyFill(r.fill(EUR, 'BUY', 20_000, 1.08));
    expect(last(r.positions)).toMatchObject({ topic: 'position.EUR-USD', position: { symbol: 'EUR.USD', quantity: 20_000 } });
    r.bus.publish('md.quote.EUR-USD', { symbol: 'EUR.USD', conId: EUR, bid: 1.081, ask: 1.0812, time: r.clock.now() });
    expect(r.p.position(EUR)!.unrealizedPnl).toBeCloseTo(20_000 * 0.0011, 6);
    for (const bad of [{ quantity: 0 }, { price: Number.NaN }, { side: 'HOLD' }, { execId: '' }, { multiplier: -1 }]) {
      expect(() => r.p.applyFill({ ...r.fill(AAPL, 'BUY', 1, 10), ...bad } as Fill)).toThrow(PortfolioInputError);
    }
    expect(r.p.position(AAPL)).toBeUndefined();
  });
});

describe('portfolio: equity, anchors and publishing', () => {
  it('tracks previous equity, daily min/max and the all-time high; marks are throttled but anchors see every mark', () => {
    const r = rig();
    r.p.sync(snapshot({ netLiq: 100_000, unrealized: 0 }));
    expect(last(r.equity)).toMatchObject({
      equity: 100_000,
      previousEquity: 100_000,
      dailyStartEquity: 100_000,
      dailyMinEquity: 100_000,
      dailyMaxEquity: 100_000,
      maxEquityEver: 100_000,
      totalTrades: 0,
    });
    r.p.applyFill(r.fill(AAPL, 'BUY', 100, 200));
    const published = r.equity.length;
    // A quote storm: 1,000 quotes within 200 ms, dipping to 190 once in the middle.
    for (let i = 0; i < 1000; i++) {
      r.clock.advance(0.2);
      r.bus.publish('md.quote.AAPL', { symbol: 'AAPL', conId: AAPL, last: i === 500 ? 190 : 200 + (i % 10) / 10, time: r.clock.now() });
    }
    // The fill published at once; marks within its 250 ms wait, then go out as one publish with the latest values.
    expect(r.equity.length - published).toBe(0);
    r.clock.advance(250);
    expect(r.equity.length - published).toBe(1);
    const e = last(r.equity);
    expect(e.equity).toBeCloseTo(100_000 + 100 * 0.9, 6);
    expect(e.dailyMinEquity).toBeCloseTo(99_000, 6);
    expect(e.dailyMaxEquity).toBeCloseTo(100_090, 6);
    expect(e.maxEquityEver).toBeCloseTo(100_090, 6);
    // position.AAPL: the fill, then one for the whole storm.
    expect(r.positions.filter((p) => p.topic === 'position.AAPL')).toHaveLength(2);
    r.p.mark(AAPL, 195);
    r.clock.advance(250);
    expect(last(r.equity)).toMatchObject({ previousEquity: e.equity });
    expect(last(r.equity).equity).toBeCloseTo(99_500, 6);
    expect(last(r.equity).maxEquityEver).toBeCloseTo(100_090, 6);
  });

  it('rolls the trading day at 17:00 New York: new start equity, counters reset, the high kept', () => {
    const r = rig();
    r.p.sync(snapshot({ netLiq: 100_000, unrealized: 0 }));
    r.p.applyFill(r.fill(AAPL, 'BUY', 100, 200, { commission: 1 }));
    r.p.applyFill(r.fill(AAPL, 'SELL', 50, 210, { commission: 1 }));
    r.p.mark(AAPL, 220);
    r.clock.advance(250);
    const before = r.p.equity()!;
    expect(before).toMatchObject({ dailyStartEquity: 100_000, realizedPnl: 500, commissions: 2, totalTrades: 2 });
    expect(before.equity).toBeCloseTo(100_000 + 500 + 1000 - 2, 6);
    const count = r.equity.length;
    r.clock.advanceTo(NY_17H);
    // The roll publishes by itself, with nothing else happening.
    expect(r.equity.length).toBe(count + 1);
    const rolled = last(r.equity);
    expect(rolled).toMatchObject({
      dailyStartEquity: before.equity,
      dailyMinEquity: before.equity,
      dailyMaxEquity: before.equity,
      realizedPnl: 0,
      commissions: 0,
      totalTrades: 0,
      totalPnl: 0,
      at: NY_17H,
    });
    expect(rolled.maxEquityEver).toBeCloseTo(before.equity, 6);
    expect(r.p.position(AAPL)).toMatchObject({ quantity: 50, realizedPnl: 0, commissions: 0 });
    r.p.mark(AAPL, 210);
    r.clock.advance(1000);
    expect(last(r.equity).dailyMinEquity).toBeCloseTo(before.equity - 500, 6);
    expect(last(r.equity).maxEquityEver).toBeCloseTo(before.equity, 6);
  });

  it('keeps the day’s anchors and counters across a restart (SQLite reopened), and starts a new day after the roll', () => {
    let r = rig();
    r.p.sync(snapshot({ netLiq: 100_000, unrealized: 0 }));
    r.p.applyFill(r.fill(AAPL, 'BUY', 100, 200, { commission: 1 }));
    r.p.mark(AAPL, 230); // high: 102999
    r.clock.advance(300);
    r.p.mark(AAPL, 180); // low: 97999
    r.clock.advance(300);
    r.p.mark(AAPL, 205);
    r.clock.advance(30 * 60_000);
    r = r.reopen();
    // The venue now says the account is worth 100,400 (AAPL at 205, less the commission, and it moved).
    r.p.sync(snapshot({ netLiq: 100_400, unrealized: 400, positions: [venuePosition(AAPL, 100, 200.01)] }));
    const e = r.p.equity()!;
    expect(e.equity).toBeCloseTo(100_400, 6);
    expect(e).toMatchObject({ dailyStartEquity: 100_000, totalTrades: 1, commissions: 1, lastTradeAt: T0 });
    expect(e.dailyMaxEquity).toBeCloseTo(102_999, 6);
    expect(e.dailyMinEquity).toBeCloseTo(97_999, 6);
    expect(e.maxEquityEver).toBeCloseTo(102_999, 6);
    expect(e.totalPnl).toBeCloseTo(400, 6);
    // DualDesk is closed overnight: the next start comes from the first sync of the new day; the high stays.
    r.close();
    r.clock.advanceTo(NY_17H + 3_600_000);
    r = r.reopen();
    r.p.sync(snapshot({ netLiq: 101_000, unrealized: 1000, positions: [venuePosition(AAPL, 100, 200.01)] }));
    expect(r.p.equity()).toMatchObject({ dailyStartEquity: 101_000, dailyMinEquity: 101_000, dailyMaxEquity: 101_000, totalTrades: 0 });
    expect(r.p.equity()!.maxEquityEver).toBeCloseTo(102_999, 6);
  });
});

describe('portfolio: persistence failures', () => {
  it('keeps its books and publishing when the store cannot be written, and writes again when it can', () => {
    const clock = new VirtualClock(T0);
    const bus = new MessageBus<CoreTopics>();
    const saved: number[] = [];
    let broken = true;
    const p = new Portfolio({
      bus,
      clock,
      logger: createLogger({ level: 'silent' }),
      memory: {
        loadDay: () => undefined,
        loadHigh: () => undefined,
        save: (day) => {
          if (broken) throw new Error('disk full');
          saved.push(day.trades);
        },
      },
    });
    onTestFinished(() => p.close());
    const equity: EquitySnapshot[] = [];
    bus.subscribe('equity', (e) => equity.push(e));
    p.sync(snapshot({ netLiq: 100_000, unrealized: 0 }));
    p.applyFill({ execId: 'f1', orderId: '', conId: AAPL, symbol: 'AAPL', side: 'BUY', quantity: 10, price: 100, multiplier: 1, commission: 1, time: T0 });
    expect(last(equity)).toMatchObject({ totalTrades: 1, equity: 99_999 });
    broken = false;
    clock.advance(1_000);
    expect(saved).toEqual([1]);
  });
});

describe('portfolio: the venue', () => {
  it('seeds positions with the venue’s basis and equity equal to NetLiquidation before any quote', () => {
    const r = rig();
    // 100 AAPL at IB's averageCost 200.01 (commission included), marked by the venue at 205: +499 unrealized.
    r.p.sync(snapshot({ netLiq: 250_000, unrealized: 499, cash: 250_000 - 20_500, positions: [venuePosition(AAPL, 100, 200.01)] }));
    expect(r.p.equity()!.equity).toBeCloseTo(250_000, 6);
    expect(r.p.position(AAPL)).toMatchObject({ quantity: 100, avgPrice: 200.01 });
    expect(r.p.position(AAPL)!.unrealizedPnl).toBeCloseTo(499, 6);
    expect(r.p.position(AAPL)!.lastPrice).toBeUndefined();
    // The first real mark replaces the venue's estimate.
    r.p.mark(AAPL, 206);
    expect(r.p.position(AAPL)!.unrealizedPnl).toBeCloseTo(599, 6);
    expect(r.p.equity()!.equity).toBeCloseTo(250_100, 6);
    expect(r.flags).toEqual([]);
  });

  it('waits for a future’s multiplier before marking it (IB’s positions carry none)', () => {
    const r = rig();
    r.p.sync(snapshot({ netLiq: 300_000, unrealized: 0, positions: [venuePosition(ES, 2, 5900 * 50)] }));
    expect(r.p.equity()!.equity).toBeCloseTo(300_000, 6);
    r.p.mark(ES, 5910);
    expect(r.p.equity()!.equity).toBeCloseTo(300_000, 6); // a mark in index points means nothing yet
    r.p.instrument({ conId: ES, symbol: 'ES', localSymbol: 'ESZ6', secType: 'FUT', multiplier: 50, currency: 'USD' });
    expect(r.p.position(ES)).toMatchObject({ symbol: 'ESZ6', avgPrice: 5900, multiplier: 50 });
    r.p.mark(ES, 5910);
    expect(r.p.position(ES)!.unrealizedPnl).toBe(1000);
    expect(r.p.equity()!.equity).toBeCloseTo(301_000, 6);
  });

  it('holds fills until the first sync and does not apply again what the venue’s seed already holds', () => {
    const r = rig();
    const inSeed = r.fill(AAPL, 'BUY', 100, 200, { execId: 'gap-1' });
    const after = r.fill(AAPL, 'BUY', 10, 201, { execId: 'live-2', commission: 1 });
    expect(r.p.applyFill(inSeed)).toEqual({ status: 'buffered' });
    expect(r.p.applyFill(after)).toEqual({ status: 'buffered' });
    expect(r.p.equity()).toBeUndefined();
    expect(r.equity).toEqual([]);
    r.p.sync(
      snapshot({
        netLiq: 100_000,
        unrealized: 0,
        positions: [venuePosition(AAPL, 100, 200)],
        executions: [execution('gap-1', AAPL, 'BUY', 100, 200), execution('gap-3', AAPL, 'BUY', 0.5, 200)],
      }),
    );
    expect(r.p.position(AAPL)).toMatchObject({ quantity: 110 });
    expect(r.p.equity()).toMatchObject({ totalTrades: 1, commissions: 1 });
    // A gap fill handed over after the seed is in it already.
    expect(r.p.applyFill(r.fill(AAPL, 'BUY', 0.5, 200, { execId: 'gap-3' }))).toEqual({ status: 'reflected' });
    expect(r.p.applyCommission('gap-3', 1)).toBe(false);
    expect(r.p.position(AAPL)!.quantity).toBe(110);
  });

  it('allows at a resync for the venue’s executions not yet applied, whichever comes first', () => {
    const r = rig();
    r.p.sync(snapshot({ netLiq: 100_000, unrealized: 0 }));
    r.p.applyFill(r.fill(AAPL, 'BUY', 100, 200));
    // Reconnect: the venue filled 50 more while DualDesk was away; the fill reaches the portfolio after the sync.
    const report = r.p.sync(
      snapshot({ netLiq: 99_990, unrealized: 0, positions: [venuePosition(AAPL, 150, 200)], executions: [execution('gap-9', AAPL, 'BUY', 50, 200)], commissions: { 'gap-9': 1 } }),
    );
    expect(report).toEqual({ seeded: false, discrepancies: [], pendingExecutions: 1 });
    r.p.applyFill(r.fill(AAPL, 'BUY', 50, 200, { execId: 'gap-9', commission: 1 }));
    expect(r.p.position(AAPL)).toMatchObject({ quantity: 150, avgPrice: 200 });
    expect(r.flags).toEqual([]);
  });

  it('holds a resync that disagrees, with both values, until the trader adopts the venue’s quantity and cash', () => {
    const r = rig();
    r.p.sync(snapshot({ netLiq: 100_000, unrealized: 0 }));
    r.p.applyFill(r.fill(AAPL, 'BUY', 100, 200));
    r.p.mark(AAPL, 200);
    // A fill DualDesk never heard of: the venue holds 150 (and paid 10,000 for the 50).
    const report = r.p.sync(snapshot({ netLiq: 100_000, unrealized: 0, positions: [venuePosition(AAPL, 150, 200)] }));
    expect(report.discrepancies).toHaveLength(1);
    expect(r.flags).toEqual([
      expect.objectContaining({
        kind: 'position',
        conId: AAPL,
        symbol: 'AAPL',
        desk: 100,
        venue: 150,
        difference: 50,
        action: 'held',
        source: 'resync',
        message: 'AAPL: DualDesk 100, venue 150',
      }),
    ]);
    // Held: DualDesk's figure stands until the trader decides.
    expect(r.p.position(AAPL)!.quantity).toBe(100);
    expect(r.p.heldDiscrepancies()).toHaveLength(1);
    expect(r.p.adoptVenue()).toEqual([expect.objectContaining({ desk: 100, venue: 150, action: 'adopted', source: 'trader' })]);
    expect(r.p.position(AAPL)!.quantity).toBe(150);
    expect(r.p.equity()!.equity).toBeCloseTo(100_000, 6);
    expect(r.p.openDiscrepancies()).toEqual([]);
    // A position DualDesk has and the venue does not is held and adopted the same way.
    r.p.sync(snapshot({ netLiq: 100_000, unrealized: 0, positions: [] }));
    expect(last(r.flags)).toMatchObject({ desk: 150, venue: 0, action: 'held' });
    r.p.adoptVenue();
    expect(r.p.position(AAPL)!.quantity).toBe(0);
    expect(r.p.equity()!.equity).toBeCloseTo(100_000, 6);
    expect(r.p.adoptVenue()).toEqual([]);
  });

  it('holds cash that differs at a resync beyond max(USD 1, 1 bp of NetLiquidation), in money, until the trader adopts the venue’s; a commission reported after its fill is not a difference', () => {
    const r = rig();
    r.p.sync(snapshot({ netLiq: 100_000, unrealized: 0 }));
    r.p.applyFill(r.fill(AAPL, 'BUY', 100, 200, { execId: 'late-1' }));
    r.p.mark(AAPL, 200);
    // A resync right after the fill: the venue charged 25 commission, which reaches DualDesk only after the resync.
    const venue = { positions: [venuePosition(AAPL, 100, 200.25)], commissions: { 'late-1': 25 } };
    expect(r.p.sync(snapshot({ netLiq: 99_975, unrealized: -25, ...venue })).discrepancies).toEqual([]);
    r.p.applyCommission('late-1', 25);
    r.p.sync(snapshot({ netLiq: 99_975, unrealized: -25, ...venue }));
    expect(r.p.heldDiscrepancies()).toEqual([]);
    expect(r.flags.filter((f) => f.kind === 'cash')).toEqual([]);

    // The venue's cash moved without a fill (a fee, a transfer): 1,250.00 less.
    r.p.sync(snapshot({ netLiq: 98_725, unrealized: -25, ...venue }));
    expect(r.p.heldDiscrepancies()).toEqual([
      expect.objectContaining({
        kind: 'cash',
        desk: 79_975,
        venue: 78_725,
        difference: -1_250,
        tolerance: expect.closeTo(9.8725, 6) as unknown,
        currency: 'USD',
        action: 'held',
        source: 'resync',
        message: 'cash: DualDesk USD 79,975.00, venue USD 78,725.00',
      }),
    ]);
    expect(r.p.cashBalance()).toBe(79_975);
    expect(r.p.adoptVenue()).toEqual([expect.objectContaining({ kind: 'cash', action: 'adopted', source: 'trader' })]);
    expect(r.p.cashBalance()).toBeCloseTo(78_725, 6);
    expect(r.p.equity()!.equity).toBeCloseTo(98_725, 6);
    expect(r.p.heldDiscrepancies()).toEqual([]);
    // Within the tolerance (cents of rounding at the venue) nothing is held.
    r.p.sync(snapshot({ netLiq: 98_724, unrealized: -25, ...venue }));
    expect(r.p.heldDiscrepancies()).toEqual([]);
  });

  it('flags streamed positions and NetLiquidation that still disagree after the grace period, and clears them when they agree', () => {
    const r = rig();
    r.p.sync(snapshot({ netLiq: 100_000, unrealized: 0 }));
    // The venue reports the position before the fill reaches the portfolio: no flag.
    r.p.venuePosition(venuePosition(AAPL, 100, 200));
    r.clock.advance(500);
    r.p.applyFill(r.fill(AAPL, 'BUY', 100, 200));
    r.clock.advance(2_000);
    expect(r.flags).toEqual([]);
    // A position that stays different is flagged, once, and not adopted.
    r.p.venuePosition(venuePosition(AAPL, 120, 200));
    r.clock.advance(2_000);
    expect(r.flags).toEqual([expect.objectContaining({ kind: 'position', desk: 100, venue: 120, action: 'flagged', source: 'position-update' })]);
    expect(r.p.position(AAPL)!.quantity).toBe(100);
    r.p.venuePosition(venuePosition(AAPL, 120, 200));
    r.clock.advance(2_000);
    expect(r.flags).toHaveLength(1);
    expect(r.p.openDiscrepancies()).toHaveLength(1);
    r.p.venuePosition(venuePosition(AAPL, 100, 200));
    r.clock.advance(2_000);
    expect(r.p.openDiscrepancies()).toEqual([]);
    // NetLiquidation within tolerance (max(10, 0.1 % of 20,000)) passes; beyond it is flagged.
    r.p.mark(AAPL, 200);
    r.p.venueAccountValue({ account: ACCOUNT, key: 'NetLiquidation', value: '100015.00', currency: 'USD' });
    r.clock.advance(2_000);
    expect(r.flags).toHaveLength(1);
    r.p.venueAccountValue({ account: ACCOUNT, key: 'NetLiquidation', value: '100035.00', currency: 'USD' });
    r.clock.advance(2_000);
    expect(last(r.flags)).toMatchObject({ kind: 'equity', desk: 100_000, venue: 100_035, difference: 35, tolerance: 20, action: 'flagged', source: 'account-update' });
    // Other accounts and currencies are not ours to compare.
    r.p.venueAccountValue({ account: 'DU999', key: 'NetLiquidation', value: '1.00', currency: 'USD' });
    r.p.venueAccountValue({ account: ACCOUNT, key: 'NetLiquidation', value: '1.00', currency: 'EUR' });
    r.clock.advance(2_000);
    expect(r.flags).toHaveLength(2);
  });
});
