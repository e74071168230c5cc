import { describe, expect, it, onTestFinished } from 'vitest';
import type { EquitySnapshot, Instrument } from '../../src/shared';
import { MessageBus, type CoreTopics } from '../../src/main/bus';
import type { Clock } from '../../src/main/clock';
import type { VenueCommission, VenueExecution, VenueSnapshot } from '../../src/main/venue';
import { createLogger } from '../../src/main/ops';
import { Portfolio, type Discrepancy } from '../../src/main/portfolio';
import { PortfolioRepository, type Store } from '../../src/main/store';
import { startSim } from '../support/sim';
import { nextEvent, startAdapter, type TestAdapter } from '../support/venue';
import { until } from '../support/wait';

const AAPL = { symbol: 'AAPL', secType: 'STK' as const };
const ES = { symbol: 'ES', secType: 'FUT' as const, exchange: 'CME', currency: 'USD' };

interface Desk {
  readonly portfolio: Portfolio;
  readonly bus: MessageBus<CoreTopics>;
  readonly equity: EquitySnapshot[];
  readonly flags: Discrepancy[];
  /** Executions of these order refs are "lost": never handed to the portfolio. */
  readonly lost: Set<string>;
}

/**
 * The portfolio on the adapter's store, attached to the adapter. The execution module does not exist
 * yet: this hands the adapter's executions and commissions to the portfolio as fills, as it will.
 */
function desk(t: TestAdapter, store: Store, clock: Clock, instruments: Map<number, Instrument>): Desk {
  const bus = new MessageBus<CoreTopics>();
  const portfolio = new Portfolio({ bus, clock, logger: createLogger({ level: 'silent' }), memory: new PortfolioRepository(store.db) });
  const equity: EquitySnapshot[] = [];
  const flags: Discrepancy[] = [];
  const lost = new Set<string>();
  bus.subscribe('equity', (e) => equity.push(e));
  portfolio.onDiscrepancy((d) => flags.push(d));
  portfolio.attachVenue(t.adapter);
  // The composition root calls each resync's steps; here the books are the only one.
  const onResynced = (s: VenueSnapshot) => portfolio.resynced(s);
  t.adapter.on('resynced', onResynced);
  const onExecution = (e: VenueExecution) => {
    if (lost.has(e.orderRef)) return;
    const i = instruments.get(e.conId);
    portfolio.applyFill({
      execId: e.execId,
      orderId: e.orderRef,
      conId: e.conId,
      symbol: e.symbol,
      side: e.side,
      quantity: e.shares,
      price: e.price,
      multiplier: i?.multiplier ?? 1,
      commission: 0,
      time: e.time,
    });
  };
  const onCommission = (c: VenueCommission) => portfolio.applyCommission(c.execId, c.commission);
  t.adapter.on('execution', onExecution);
  t.adapter.on('commission', onCommission);
  onTestFinished(() => {
    t.adapter.off('execution', onExecution);
    t.adapter.off('commission', onCommission);
    t.adapter.off('resynced', onResynced);
    portfolio.close();
  });
  return { portfolio, bus, equity, flags, lost };
}

async function marketOrder(t: TestAdapter, d: Desk, ref: string, instrument: Instrument, side: 'BUY' | 'SELL', quantity: number): Promise<VenueExecution> {
  const since = t.log.length;
  const { orderId } = await t.adapter.placeOrder({ orderRef: ref, instrument, side, quantity, type: 'MKT', tif: 'DAY' });
  const e = await nextEvent(t, 'execution', (x) => x.orderId === orderId, since);
  await nextEvent(t, 'commission', (c) => c.execId === e.execId, since);
  // The desk's listeners ran in the same emit: the fill and its commission are in the portfolio.
  return e;
}

const netLiquidation = (sim: Awaited<ReturnType<typeof startSim>>['sim'], at: number): number =>
  Number(sim.engine.account.values(at).find((v) => v.key === 'NetLiquidation')?.value);

describe('portfolio against the simulator (real TCP, real IbAdapter)', () => {
  it('keeps positions, realized and unrealized P&L and equity equal to the venue’s, flags and adopts a lost fill, and resumes the day after a restart', async () => {
    const { sim, clock, port } = await startSim();
    const t = startAdapter(port);
    const instruments = new Map<number, Instrument>();
    const d = desk(t, t.store, clock, instruments);
    await t.adapter.whenReady();
    await until(() => d.portfolio.isSeeded, 'the first sync');
    expect(d.portfolio.equity()).toMatchObject({ equity: 1_000_000, dailyStartEquity: 1_000_000, totalTrades: 0 });

    const aapl = await t.adapter.resolve(AAPL);
    const es = await t.adapter.resolve(ES);
    for (const i of [aapl, es]) {
      instruments.set(i.conId, i);
      d.portfolio.instrument(i);
    }
    // Marks from the venue's quotes, through the bus as the market data hub publishes them.
    const stopQuotes = t.adapter.subscribeQuotes(aapl, { onQuote: (q) => d.bus.publish('md.quote.AAPL', { ...q, symbol: 'AAPL' }) });
    await until(() => d.portfolio.equity() !== undefined && d.equity.length > 0, 'an equity snapshot');

    const buy = await marketOrder(t, d, 'dd-p1', aapl, 'BUY', 100);
    clock.advance(3_000);
    const sell = await marketOrder(t, d, 'dd-p2', aapl, 'SELL', 40);
    const esBuy = await marketOrder(t, d, 'dd-p3', es, 'BUY', 2);
    clock.advance(3_000);
    const esSell = await marketOrder(t, d, 'dd-p4', es, 'SELL', 1);
    await until(() => d.portfolio.position(es.conId)!.commissions > 0 && d.portfolio.equity()!.totalTrades === 4, 'four fills and their commissions');
    // Two minutes of market, so the marks move away from the fill prices.
    for (let i = 0; i < 24; i++) clock.advance(5_000);
    stopQuotes();

    // The venue's own marks, so both sides value the same prices.
    const now = clock.now();
    for (const i of [aapl, es]) d.portfolio.mark(i.conId, sim.engine.account.markPrice(i.conId, now)!);
    const commissionOf = (e: VenueExecution) => sim.engine.commission(e.execId)!.commission;

    // AAPL by hand: average cost, the sell realizes against the buy price.
    const a = d.portfolio.position(aapl.conId)!;
    expect(a).toMatchObject({ quantity: 60, avgPrice: buy.price, multiplier: 1 });
    expect(a.realizedPnl).toBeCloseTo((sell.price - buy.price) * 40, 9);
    expect(a.commissions).toBeCloseTo(commissionOf(buy) + commissionOf(sell), 9);
    const aMark = sim.engine.account.markPrice(aapl.conId, now)!;
    expect(a.unrealizedPnl).toBeCloseTo((aMark - buy.price) * 60, 9);
    expect(aMark).not.toBe(buy.price);
    // ES by hand: × 50.
    const f = d.portfolio.position(es.conId)!;
    expect(f).toMatchObject({ quantity: 1, avgPrice: esBuy.price, multiplier: 50 });
    expect(f.realizedPnl).toBeCloseTo((esSell.price - esBuy.price) * 50, 9);

    // Against the simulator: quantities; its basis includes commissions (IB's averageCost), ours does not;
    // its realized and unrealized are net of every commission, ours are before them.
    for (const [i, opening] of [
      [aapl, buy],
      [es, esBuy],
    ] as const) {
      const mine = d.portfolio.position(i.conId)!;
      const venue = sim.engine.account.position(i.conId)!;
      const pnl = sim.engine.account.positionPnl(i.conId, now)!;
      expect(mine.quantity).toBe(venue.quantity);
      expect(venue.averageCost / i.multiplier).toBeCloseTo(mine.avgPrice + commissionOf(opening) / opening.shares / i.multiplier, 9);
      expect(pnl.realizedPnL + pnl.unrealizedPnL).toBeCloseTo(mine.realizedPnl + mine.unrealizedPnl - mine.commissions, 6);
    }
    // Equity against NetLiquidation, the day's P&L against reqPnL's.
    const e = d.portfolio.equity()!;
    expect(e.equity).toBeCloseTo(netLiquidation(sim, now), 2);
    expect(e.totalPnl).toBeCloseTo(sim.engine.account.pnl(now).dailyPnL, 2);
    expect(e).toMatchObject({ totalTrades: 4, dailyStartEquity: 1_000_000 });
    expect(e.realizedPnl).toBeCloseTo(a.realizedPnl + f.realizedPnl, 9);
    expect(e.unrealizedPnl).toBeCloseTo(a.unrealizedPnl + f.unrealizedPnl, 9);
    expect(e.commissions).toBeCloseTo(a.commissions + f.commissions, 9);
    // The venue's streamed positions and NetLiquidation agreed all along (checked 2 s after each).
    clock.advance(3_000);
    expect(d.flags).toEqual([]);

    // A fill that never reaches the portfolio: the venue's streamed position is flagged, the resync holds it until adopted.
    d.lost.add('dd-lost');
    const mark = t.log.length;
    const lostFill = await marketOrder(t, d, 'dd-lost', aapl, 'BUY', 20);
    clock.advance(1_000);
    await nextEvent(t, 'position', (p) => p.conId === aapl.conId && p.quantity === 80, mark);
    clock.advance(2_500);
    expect(d.flags).toEqual([expect.objectContaining({ kind: 'position', conId: aapl.conId, desk: 60, venue: 80, action: 'flagged', source: 'position-update' })]);
    expect(d.portfolio.position(aapl.conId)!.quantity).toBe(60);
    await t.adapter.resync();
    expect(d.flags[1]).toMatchObject({ kind: 'position', conId: aapl.conId, desk: 60, venue: 80, action: 'held', source: 'resync' });
    expect(d.portfolio.position(aapl.conId)!.quantity).toBe(60);
    // The trader adopts the venue's figures.
    d.portfolio.adoptVenue();
    expect(d.portfolio.position(aapl.conId)!.quantity).toBe(80);
    expect(d.portfolio.openDiscrepancies()).toEqual([]);
    const at = clock.now();
    d.portfolio.mark(aapl.conId, sim.engine.account.markPrice(aapl.conId, at)!);
    d.portfolio.mark(es.conId, sim.engine.account.markPrice(es.conId, at)!);
    // Cash follows the venue with the adopted holding: equity is still the venue's.
    expect(d.portfolio.equity()!.equity).toBeCloseTo(netLiquidation(sim, at), 2);
    expect(lostFill.shares).toBe(20);

    // Restart: a new adapter and portfolio on the same database. Positions come from the venue with its
    // basis; equity equals NetLiquidation before any quote; the day's start and counters are kept.
    const trades = d.portfolio.equity()!.totalTrades;
    const realized = d.portfolio.equity()!.realizedPnl;
    await t.adapter.stop();
    d.portfolio.close();
    t.store.close();
    const u = startAdapter(port, { dbFile: t.store.file });
    const again = desk(u, u.store, clock, instruments);
    for (const i of instruments.values()) again.portfolio.instrument(i);
    await u.adapter.whenReady();
    await until(() => again.portfolio.isSeeded, 'the sync after the restart');
    const restarted = again.portfolio.equity()!;
    expect(restarted.equity).toBeCloseTo(netLiquidation(sim, clock.now()), 2);
    expect(restarted).toMatchObject({ dailyStartEquity: 1_000_000, totalTrades: trades });
    expect(restarted.realizedPnl).toBeCloseTo(realized, 9);
    expect(again.portfolio.position(aapl.conId)).toMatchObject({ quantity: 80 });
    expect(again.portfolio.position(aapl.conId)!.avgPrice).toBeCloseTo(sim.engine.account.position(aapl.conId)!.averageCost, 9);
    expect(again.portfolio.position(es.conId)).toMatchObject({ quantity: 1, multiplier: 50 });
    expect(again.portfolio.position(es.conId)!.avgPrice).toBeCloseTo(sim.engine.account.position(es.conId)!.averageCost / 50, 9);
    expect(again.flags).toEqual([]);
  });
});
