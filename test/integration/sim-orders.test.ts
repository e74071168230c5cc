import { EventName, OrderAction, OrderType, SecType, TimeInForce, type Contract, type Order } from '@stoqey/ib';
import { describe, expect, it } from 'vitest';
import { connectClient, type IbTestClient } from '../support/ib';
import { startSim } from '../support/sim';
import { CON_ID } from '../support/fixtures';

const AAPL: Contract = { symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', currency: 'USD' };
const ES: Contract = { symbol: 'ES', secType: SecType.FUT, exchange: 'CME', currency: 'USD' };
const EURUSD: Contract = { symbol: 'EUR', secType: SecType.CASH, exchange: 'IDEALPRO', currency: 'USD' };

const order = (o: Partial<Order> & Pick<Order, 'action' | 'orderType' | 'totalQuantity'>): Order => ({ tif: TimeInForce.DAY, transmit: true, ...o });

async function sentinel(client: IbTestClient): Promise<void> {
  const since = client.mark();
  client.ib.reqCurrentTime();
  await client.waitFor(EventName.currentTime, () => true, since);
}

const statusOf = (client: IbTestClient, id: number, since = 0) =>
  client
    .events(EventName.orderStatus, since)
    .filter((a) => a[0] === id)
    .map((a) => a[1] as string);

function waitStatus(client: IbTestClient, id: number, status: string, since = 0) {
  return client.waitFor(EventName.orderStatus, (a) => a[0] === id && a[1] === status, since);
}

describe('simulator: orders over TCP', () => {
  it('fills a market order at the ask, in TWS’s message order, with commission, position, account and PnL that agree', async () => {
    const sim = await startSim();
    const client = await connectClient(sim.port, 1);
    const quote = sim.sim.market.lastTick(CON_ID.AAPL, sim.clock.now())!;
    const since = client.mark();
    client.ib.placeOrder(1, AAPL, order({ action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 100, orderRef: 'dd-1' }));
    await waitStatus(client, 1, 'Filled', since);
    await client.waitFor(EventName.commissionReport, () => true, since);

    const sequence = client.log
      .slice(since)
      .map((e) => e.name)
      .filter((n) => ['openOrder', 'orderStatus', 'execDetails', 'commissionReport'].includes(n));
    expect(sequence).toEqual(['openOrder', 'orderStatus', 'execDetails', 'openOrder', 'orderStatus', 'commissionReport']);
    expect(statusOf(client, 1, since)).toEqual(['Submitted', 'Filled']);
    const [, , exec] = client.events(EventName.execDetails, since)[0]! as [number, Contract, { price: number; shares: number; side: string; orderRef: string; execId: string }];
    expect(exec).toMatchObject({ price: quote.ask, shares: 100, side: 'BOT', orderRef: 'dd-1' });
    const [report] = client.events(EventName.commissionReport, since)[0]! as [{ execId: string; commission: number; currency: string }];
    expect(report).toMatchObject({ execId: exec.execId, commission: 1, currency: 'USD' }); // USD 0.005 × 100, minimum USD 1

    const after = client.mark();
    client.ib.reqPositions();
    client.ib.reqAccountSummary(7, 'All', 'TotalCashValue,NetLiquidation');
    client.ib.reqPnL(8, 'DU1234567', '');
    await client.waitFor(EventName.positionEnd, () => true, after);
    await client.waitFor(EventName.accountSummaryEnd, () => true, after);
    const [pnlId, daily, unrealized, realized] = await client.waitFor(EventName.pnl, () => true, after);
    const [account, contract, position, avgCost] = client.events(EventName.position, after)[0]!;
    expect([account, (contract as Contract).conId, position]).toEqual(['DU1234567', CON_ID.AAPL, 100]);
    expect(avgCost).toBeCloseTo(quote.ask + 0.01, 6);
    const summary: Record<string, number> = Object.fromEntries(client.events(EventName.accountSummary, after).map((a) => [String(a[2]), Number(a[3])]));
    expect(summary['TotalCashValue']).toBeCloseTo(1_000_000 - 100 * quote.ask - 1, 2);
    const pnl = sim.sim.engine.account.pnl(sim.clock.now());
    expect(pnlId).toBe(8);
    expect(daily).toBeCloseTo(pnl.dailyPnL, 9);
    expect(unrealized).toBeCloseTo(pnl.unrealizedPnL, 9);
    expect(realized).toBeCloseTo(pnl.realizedPnL, 9);
    // Nothing closed yet; the commission sits in the average cost, so the open position shows it.
    expect(realized).toBeCloseTo(0, 9);
    const mark = sim.sim.engine.account.markPrice(CON_ID.AAPL, sim.clock.now())!;
    expect(unrealized).toBeCloseTo(100 * mark - 100 * (avgCost as number), 6);
  });

  it('rests, modifies, cancels (202), and applies the order id rules (103, 104)', async () => {
    const sim = await startSim();
    const client = await connectClient(sim.port, 1);
    const quote = sim.sim.market.lastTick(CON_ID.AAPL, sim.clock.now())!;
    const since = client.mark();
    const low = Math.round((quote.bid - 5) * 100) / 100;
    client.ib.placeOrder(1, AAPL, order({ action: OrderAction.BUY, orderType: OrderType.LMT, lmtPrice: low, totalQuantity: 100, tif: TimeInForce.GTC }));
    client.ib.placeOrder(2, AAPL, order({ action: OrderAction.BUY, orderType: OrderType.LMT, lmtPrice: low, totalQuantity: 100 }));
    await waitStatus(client, 2, 'Submitted', since);
    client.ib.cancelOrder(1, { manualOrderCancelTime: '' });
    await waitStatus(client, 1, 'Cancelled', since);
    await client.waitFor(EventName.error, (a) => a[2] === 1 && a[1] === 202, since);
    // Modify order 2 to a marketable limit: it fills.
    client.ib.placeOrder(2, AAPL, order({ action: OrderAction.BUY, orderType: OrderType.LMT, lmtPrice: Math.round((quote.ask + 1) * 100) / 100, totalQuantity: 100 }));
    await waitStatus(client, 2, 'Filled', since);
    const mark = client.mark();
    client.ib.placeOrder(1, AAPL, order({ action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 1 }));
    client.ib.placeOrder(2, AAPL, order({ action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 1 }));
    client.ib.cancelOrder(2, { manualOrderCancelTime: '' });
    client.ib.cancelOrder(99, { manualOrderCancelTime: '' });
    await sentinel(client);
    expect(client.events(EventName.error, mark).map((a) => [a[2], a[1]])).toEqual([
      [1, 103],
      [2, 104],
      [2, 10148],
      [99, 135],
    ]);
  });

  it('rejects with 201 for insufficient buying power and on the reject-next-order fault; 110 off the tick grid; 200 unknown', async () => {
    const sim = await startSim();
    const client = await connectClient(sim.port, 1);
    const since = client.mark();
    client.ib.placeOrder(1, AAPL, order({ action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 100_000 }));
    client.ib.placeOrder(2, AAPL, order({ action: OrderAction.BUY, orderType: OrderType.LMT, lmtPrice: 100.003, totalQuantity: 100 }));
    client.ib.placeOrder(3, { ...AAPL, symbol: 'ZZZZ' }, order({ action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 1 }));
    await sentinel(client);
    sim.sim.faults.rejectNextOrder('exchange closed for maintenance');
    client.ib.placeOrder(4, AAPL, order({ action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 1 }));
    client.ib.placeOrder(5, AAPL, order({ action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 1 }));
    await waitStatus(client, 5, 'Filled', since);
    const errors = client.events(EventName.error, since).map((a) => [a[2], a[1], (a[0] as Error).message]);
    expect(errors.map((e) => e.slice(0, 2))).toEqual([
      [1, 201],
      [2, 110],
      [3, 200],
      [4, 201],
    ]);
    expect(errors[0]?.[2]).toMatch(/Equity with Loan Value/);
    expect(errors[3]?.[2]).toMatch(/exchange closed for maintenance/);
  });

  it('fills an order larger than the displayed size in parts as the market moves', async () => {
    const sim = await startSim();
    const client = await connectClient(sim.port, 1);
    const quote = sim.sim.market.lastTick(CON_ID.AAPL, sim.clock.now())!;
    const size = quote.askSize * 5;
    const since = client.mark();
    client.ib.placeOrder(1, AAPL, order({ action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: size }));
    await client.waitFor(EventName.execDetails, () => true, since);
    sim.clock.advance(60_000);
    await waitStatus(client, 1, 'Filled', since);
    const fills = client.events(EventName.execDetails, since).map((a) => a[2] as { shares: number; price: number; cumQty: number; avgPrice: number });
    expect(fills.length).toBeGreaterThan(1);
    expect(fills[0]).toMatchObject({ shares: quote.askSize, price: quote.ask });
    expect(fills.reduce((s, f) => s + f.shares, 0)).toBe(size);
    expect(fills.map((f) => f.cumQty)).toEqual(fills.map((_, i) => fills.slice(0, i + 1).reduce((s, f) => s + f.shares, 0)));
    const vwap = fills.reduce((s, f) => s + f.shares * f.price, 0) / size;
    expect(fills.at(-1)!.avgPrice).toBeCloseTo(vwap, 6);
  });

  it('cancels an IOC remainder at once, triggers a stop through the market, and charges futures and FX commissions', async () => {
    const sim = await startSim();
    const client = await connectClient(sim.port, 1);
    const quote = sim.sim.market.lastTick(CON_ID.AAPL, sim.clock.now())!;
    const since = client.mark();
    client.ib.placeOrder(
      1,
      AAPL,
      order({ action: OrderAction.BUY, orderType: OrderType.LMT, lmtPrice: Math.round((quote.bid - 2) * 100) / 100, totalQuantity: 100, tif: TimeInForce.IOC }),
    );
    await waitStatus(client, 1, 'Cancelled', since);
    expect(client.events(EventName.execDetails, since)).toEqual([]);
    client.ib.placeOrder(2, AAPL, order({ action: OrderAction.SELL, orderType: OrderType.STP, auxPrice: Math.round((quote.bid + 3) * 100) / 100, totalQuantity: 100 }));
    await waitStatus(client, 2, 'Filled', since);
    client.ib.placeOrder(3, ES, order({ action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 1 }));
    client.ib.placeOrder(4, EURUSD, order({ action: OrderAction.BUY, orderType: OrderType.MKT, totalQuantity: 20_000 }));
    await waitStatus(client, 4, 'Filled', since);
    await client.waitUntil(() => client.events(EventName.commissionReport, since).length === 3, 'three commission reports');
    const commissions = client.events(EventName.commissionReport, since).map((a) => (a[0] as { commission: number }).commission);
    expect(commissions).toEqual([1, 0.85, 2]);
  });

  it('expires DAY orders at the close and keeps GTC orders (exchange sessions)', async () => {
    const close = Date.UTC(2026, 10, 17, 21, 0, 0); // 16:00 New York
    const sim = await startSim({ sessions: 'exchange', start: close - 120_000 });
    const client = await connectClient(sim.port, 1);
    const quote = sim.sim.market.lastTick(CON_ID.AAPL, sim.clock.now())!;
    const low = Math.round((quote.bid - 10) * 100) / 100;
    const since = client.mark();
    client.ib.placeOrder(1, AAPL, order({ action: OrderAction.BUY, orderType: OrderType.LMT, lmtPrice: low, totalQuantity: 100 }));
    client.ib.placeOrder(2, AAPL, order({ action: OrderAction.BUY, orderType: OrderType.LMT, lmtPrice: low, totalQuantity: 100, tif: TimeInForce.GTC }));
    await waitStatus(client, 2, 'Submitted', since);
    sim.clock.advance(180_000);
    await waitStatus(client, 1, 'Cancelled', since);
    await sentinel(client);
    expect(statusOf(client, 2, since).at(-1)).not.toBe('Cancelled');
    expect(sim.sim.engine.order(2, 1)?.status).toMatch(/Submitted/);
  });

  it('keeps orders at the venue across a disconnect; fills made meanwhile are reported on reconnect', async () => {
    const sim = await startSim();
    let client = await connectClient(sim.port, 4);
    const other = await connectClient(sim.port, 5);
    const quote = sim.sim.market.lastTick(CON_ID.AAPL, sim.clock.now())!;
    const since = client.mark();
    client.ib.placeOrder(1, AAPL, order({ action: OrderAction.BUY, orderType: OrderType.LMT, lmtPrice: quote.bid, totalQuantity: 100, tif: TimeInForce.GTC, orderRef: 'dd-gap' }));
    client.ib.placeOrder(
      2,
      AAPL,
      order({ action: OrderAction.BUY, orderType: OrderType.LMT, lmtPrice: Math.round((quote.bid - 20) * 100) / 100, totalQuantity: 100, tif: TimeInForce.GTC }),
    );
    await waitStatus(client, 2, 'Submitted', since);
    client.disconnect();
    await client.waitFor(EventName.disconnected, () => true, since);
    // The market trades on while nobody listens, until order 1 fills.
    for (let i = 0; i < 288 && sim.sim.engine.order(1, 4)?.status !== 'Filled'; i++) sim.clock.advance(300_000);
    expect(sim.sim.engine.order(1, 4)?.status).toBe('Filled');

    client = await connectClient(sim.port, 4);
    const mark = client.mark();
    client.ib.reqOpenOrders();
    await client.waitFor(EventName.openOrderEnd, () => true, mark);
    expect(client.events(EventName.openOrder, mark).map((a) => a[0])).toEqual([2]);
    client.ib.reqExecutions(9, {});
    await client.waitFor(EventName.execDetailsEnd, (a) => a[0] === 9, mark);
    const execs = client
      .events(EventName.execDetails, mark)
      .filter((a) => a[0] === 9)
      .map((a) => a[2] as { orderId: number; orderRef: string; shares: number });
    expect(execs).toEqual([expect.objectContaining({ orderId: 1, orderRef: 'dd-gap', shares: 100 })]);
    expect(client.events(EventName.commissionReport, mark)).toHaveLength(1);
    client.ib.reqCompletedOrders(false);
    await client.waitFor(EventName.completedOrdersEnd, () => true, mark);
    expect(client.events(EventName.completedOrder, mark).map((a) => [(a[1] as Order).orderRef, (a[2] as { status: string }).status])).toEqual([['dd-gap', 'Filled']]);
    // Another client sees them with reqAllOpenOrders, not with reqOpenOrders.
    const otherMark = other.mark();
    other.ib.reqOpenOrders();
    await other.waitFor(EventName.openOrderEnd, () => true, otherMark);
    other.ib.reqAllOpenOrders();
    await other.waitUntil(() => other.events(EventName.openOrderEnd, otherMark).length === 2, 'both open-order lists');
    expect(other.events(EventName.openOrder, otherMark).map((a) => a[0])).toEqual([2]);
  });
});
