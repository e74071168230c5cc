import { EventName, OrderAction, OrderType, SecType, TimeInForce, type Contract } from '@stoqey/ib';
import { describe, expect, it } from 'vitest';
import { CONTROL_HEADER, startControlServer } from '../../src/main/sim';
import { createLogger } from '../../src/main/ops';
import { httpRequest } from '../support/http';
import { connectClient, type IbTestClient } from '../support/ib';
import { startSim } from '../support/sim';
import { until } from '../support/wait';

const AAPL: Contract = { symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', currency: 'USD' };

/** Resolves once everything sent before it has arrived, and returns its position in the log. */
async function sentinel(client: IbTestClient): Promise<number> {
  const since = client.mark();
  client.ib.reqCurrentTime();
  await client.waitFor(EventName.currentTime, () => true, since);
  return client.log.findIndex((e, i) => i >= since && e.name === String(EventName.currentTime));
}

const ticksBetween = (client: IbTestClient, from: number, to: number) => client.log.slice(from, to).filter((e) => e.name === String(EventName.tickPrice)).length;

async function subscribed(port: number) {
  const client = await connectClient(port, 1);
  const since = client.mark();
  client.ib.reqMktData(1, AAPL, '', false, false);
  await client.waitFor(EventName.marketDataType, () => true, since);
  return client;
}

describe('simulator: fault injection, as the client sees it', () => {
  it('drops every connection; the venue keeps listening', async () => {
    const { sim, port } = await startSim();
    const client = await connectClient(port, 1);
    const since = client.mark();
    sim.faults.dropConnections();
    await client.waitFor(EventName.disconnected, () => true, since);
    expect((await connectClient(port, 2)).ib.isConnected).toBe(true);
  });

  it('stalls: nothing arrives, market data from the stall is gone, other messages are delivered on recovery', async () => {
    const { sim, clock, port } = await startSim();
    const client = await subscribed(port);
    await sentinel(client);
    const start = client.mark();
    sim.faults.stall(true);
    clock.advance(10_000);
    client.ib.placeOrder(1, AAPL, { action: OrderAction.BUY, orderType: OrderType.LMT, lmtPrice: 1, totalQuantity: 100, tif: TimeInForce.GTC, transmit: true });
    await until(() => sim.engine.order(1, 1) !== undefined, 'the order to reach the venue');
    expect(client.log.slice(start).filter((e) => e.name !== String(EventName.sent))).toEqual([]);
    sim.faults.stall(false);
    const recovered = await sentinel(client);
    expect(client.events(EventName.orderStatus, start).map((a) => [a[0], a[1]])).toEqual([[1, 'Submitted']]);
    expect(ticksBetween(client, start, recovered)).toBe(0);
    clock.advance(10_000);
    const later = await sentinel(client);
    expect(ticksBetween(client, recovered, later)).toBeGreaterThan(0);
  });

  it('1100 stops market data; 1102 restores it as it was; 1101 restores the link but drops subscriptions', async () => {
    const { sim, clock, port } = await startSim();
    const client = await subscribed(port);
    let mark = client.mark();
    sim.faults.connectivityLost();
    await client.waitFor(EventName.info, (a) => a[1] === 1100, mark);
    clock.advance(5_000);
    let end = await sentinel(client);
    expect(ticksBetween(client, mark, end)).toBe(0);

    mark = client.mark();
    sim.faults.connectivityRestored(true);
    await client.waitFor(EventName.info, (a) => a[1] === 1102, mark);
    clock.advance(5_000);
    end = await sentinel(client);
    expect(ticksBetween(client, mark, end)).toBeGreaterThan(0);

    sim.faults.connectivityLost();
    mark = client.mark();
    sim.faults.connectivityRestored(false);
    await client.waitFor(EventName.info, (a) => a[1] === 1101, mark);
    clock.advance(5_000);
    end = await sentinel(client);
    expect(ticksBetween(client, mark, end)).toBe(0);
    // The client must resubscribe, and can: the line was released.
    mark = client.mark();
    client.ib.reqMktData(1, AAPL, '', false, false);
    clock.advance(5_000);
    end = await sentinel(client);
    expect(ticksBetween(client, mark, end)).toBeGreaterThan(0);
    expect(client.errorCodes(mark)).toEqual([]);
  });

  it('a data farm down (2103) pauses market data without dropping subscriptions; 2104 resumes it', async () => {
    const { sim, clock, port } = await startSim();
    const client = await subscribed(port);
    let mark = client.mark();
    sim.faults.farmDown();
    await client.waitFor(EventName.info, (a) => a[1] === 2103, mark);
    clock.advance(5_000);
    let end = await sentinel(client);
    expect(ticksBetween(client, mark, end)).toBe(0);
    // A client connecting now is told the farm is down.
    const late = await connectClient(port, 2);
    expect(late.infoCodes()).toContain(2103);
    mark = client.mark();
    sim.faults.farmUp();
    await client.waitFor(EventName.info, (a) => a[1] === 2104, mark);
    clock.advance(5_000);
    end = await sentinel(client);
    expect(ticksBetween(client, mark, end)).toBeGreaterThan(0);
  });

  it('restarts like TWS at night: connections close, the port comes back, orders are still there', async () => {
    const { sim, port } = await startSim();
    const client = await connectClient(port, 1);
    const since = client.mark();
    client.ib.placeOrder(1, AAPL, { action: OrderAction.BUY, orderType: OrderType.LMT, lmtPrice: 1, totalQuantity: 100, tif: TimeInForce.GTC, transmit: true });
    await client.waitFor(EventName.orderStatus, (a) => a[1] === 'Submitted', since);
    await sim.faults.restart(50);
    await client.waitFor(EventName.disconnected, () => true, since);
    const again = await connectClient(port, 1);
    const mark = again.mark();
    again.ib.reqOpenOrders();
    await again.waitFor(EventName.openOrderEnd, () => true, mark);
    expect(again.events(EventName.openOrder, mark).map((a) => a[0])).toEqual([1]);
    expect(again.events(EventName.nextValidId)).toEqual([[2]]);
  });

  it('adds latency to everything the client receives, in order', async () => {
    const { sim, port } = await startSim();
    const client = await connectClient(port, 1);
    sim.faults.setLatency(250);
    const started = performance.now();
    const since = client.mark();
    client.ib.reqCurrentTime();
    client.ib.reqIds(1);
    await client.waitFor(EventName.nextValidId, () => true, since);
    expect(performance.now() - started).toBeGreaterThanOrEqual(240);
    expect(
      client.log
        .slice(since)
        .map((e) => e.name)
        .filter((n) => n === 'currentTime' || n === 'nextValidId'),
    ).toEqual(['currentTime', 'nextValidId']);
  });

  it('is driven over its loopback control socket, which refuses requests without its header', async () => {
    const { sim, port } = await startSim();
    const client = await connectClient(port, 1);
    const control = await startControlServer(sim, 0, createLogger({ level: 'silent' }));
    const base = `http://127.0.0.1:${(control.address() as { port: number }).port}`;
    try {
      expect((await httpRequest(`${base}/faults/farm-down`, { method: 'POST' })).status).toBe(403);
      expect((await httpRequest(`${base}/faults/latency?ms=-5`, { method: 'POST', headers: { [CONTROL_HEADER]: '1' } })).status).toBe(400);
      expect((await httpRequest(`${base}/faults/nope`, { method: 'POST', headers: { [CONTROL_HEADER]: '1' } })).status).toBe(404);
      const since = client.mark();
      expect((await httpRequest(`${base}/faults/farm-down`, { method: 'POST', headers: { [CONTROL_HEADER]: '1' } })).status).toBe(200);
      await client.waitFor(EventName.info, (a) => a[1] === 2103, since);
      const status = await httpRequest(`${base}/status`);
      expect(status.json()).toMatchObject({ accountId: 'DU1234567', clients: [{ clientId: 1, version: 193 }] });
    } finally {
      await new Promise<void>((resolve) => control.close(() => resolve()));
    }
  });
});
