import { describe, expect, it } from 'vitest';
import type { Quote } from '../../src/shared';
import { VenueError } from '../../src/main/venue';
import { startSim } from '../support/sim';
import { startSimProcess } from '../support/sim-process';
import { eventsOf, metricValue, nextEvent, startAdapter } from '../support/venue';
import { until } from '../support/wait';
import { CON_ID } from '../support/fixtures';

const AAPL = { symbol: 'AAPL', secType: 'STK' as const };

describe('IB adapter against the simulator (real TCP, real @stoqey/ib)', () => {
  it('connects with its fixed client id, verifies the paper account and resyncs before allowing orders', async () => {
    const { sim, port } = await startSim();
    const t = startAdapter(port);
    const snapshot = await nextEvent(t, 'resynced');
    expect(snapshot).toMatchObject({ accounts: ['DU1234567'], positions: [], openOrders: [], completedOrders: [], newExecutions: [] });
    expect(snapshot.accountValues.find((v) => v.key === 'NetLiquidation')?.value).toBe('1000000.00');
    expect(t.adapter.status()).toMatchObject({ state: 'connected', synced: true, accounts: ['DU1234567'], clientId: 11, trading: { allowed: true } });
    expect(sim.clients()).toEqual([{ clientId: 11, version: 193 }]);
    expect(await metricValue(t, 'dualdesk_venue_connects_total')).toBe(1);
    expect(await metricValue(t, 'dualdesk_venue_state', { state: 'connected' })).toBe(1);
  });

  it('resolves instruments, streams quotes to many consumers over one subscription, and 5-second bars', async () => {
    const { clock, port } = await startSim();
    const t = startAdapter(port);
    await t.adapter.whenReady();
    const aapl = await t.adapter.resolve(AAPL);
    expect(aapl).toMatchObject({ conId: CON_ID.AAPL, symbol: 'AAPL', secType: 'STK', minTick: 0.01, timeZoneId: 'America/New_York' });
    await expect(t.adapter.resolve({ symbol: 'ZZZZ', secType: 'STK' })).rejects.toMatchObject({ kind: 'unknown-instrument' });
    const before = await metricValue(t, 'dualdesk_venue_messages_sent_total', { priority: 'subscription' });
    const a: Quote[] = [];
    const b: Quote[] = [];
    const stopA = t.adapter.subscribeQuotes(aapl, { onQuote: (q) => a.push(q) });
    const stopB = t.adapter.subscribeQuotes(aapl, { onQuote: (q) => b.push(q) });
    await until(() => a.some((q) => q.bid !== undefined && q.ask !== undefined), 'the first quote');
    expect(t.adapter.marketDataLinesInUse).toBe(1);
    expect((await metricValue(t, 'dualdesk_venue_messages_sent_total', { priority: 'subscription' })) - before).toBe(1);
    const seen = a.length;
    clock.advance(5_000);
    // Both consumers get the same quotes (the fields of one turn of the event loop come as one quote).
    await until(() => a.length > seen && b.length === a.length, 'quotes for both consumers');
    expect(b).toEqual(a);
    const tick = clock.now();
    expect(a.at(-1)).toMatchObject({ conId: CON_ID.AAPL });
    stopA();
    stopB();
    expect(t.adapter.marketDataLinesInUse).toBe(0);
    const bars: { time: number; close: number }[] = [];
    t.adapter.subscribeBars(aapl, 'TRADES', { onBar: (bar) => bars.push(bar) });
    // Answered after the subscription (same connection, lower priority): the venue has it now.
    await t.adapter.historicalBars(aapl, { duration: '60 S', barSize: '1 min', source: 'TRADES' });
    clock.advance(20_000);
    await until(() => bars.length >= 3, 'three 5-second bars');
    expect(bars.every((bar) => bar.time % 5_000 === 0 && bar.time >= tick)).toBe(true);
  });

  it('serves historical bars equal to the venue’s', async () => {
    const { sim, clock, port } = await startSim();
    const t = startAdapter(port);
    await t.adapter.whenReady();
    const aapl = await t.adapter.resolve(AAPL);
    const bars = await t.adapter.historicalBars(aapl, { duration: '1 D', barSize: '1 min', source: 'TRADES' });
    const expected = sim.market.bars(CON_ID.AAPL, { endMs: clock.now(), durationMs: 86_400_000, barSizeMs: 60_000, source: 'TRADES', rthOnly: false });
    expect(bars.map((b) => [b.time, b.open, b.high, b.low, b.close, b.volume])).toEqual(expected.map((b) => [b.time, b.open, b.high, b.low, b.close, b.volume]));
  });

  it('places, modifies, cancels and fills orders, linking every venue event to DualDesk’s order reference', async () => {
    const { sim, port } = await startSim();
    const t = startAdapter(port);
    await t.adapter.whenReady();
    const aapl = await t.adapter.resolve(AAPL);
    const quote = sim.market.lastTick(CON_ID.AAPL, sim.clock.now())!;
    const since = t.log.length;
    const { orderId: market } = await t.adapter.placeOrder({ orderRef: 'dd-m1', instrument: aapl, side: 'BUY', quantity: 100, type: 'MKT', tif: 'DAY' });
    const fill = await nextEvent(t, 'execution', (e) => e.orderId === market, since);
    expect(fill).toMatchObject({ orderRef: 'dd-m1', side: 'BUY', shares: 100, price: quote.ask, symbol: 'AAPL', conId: CON_ID.AAPL });
    await nextEvent(t, 'commission', (c) => c.execId === fill.execId, since);
    await nextEvent(t, 'order', (o) => o.orderId === market && o.status === 'Filled' && o.orderRef === 'dd-m1', since);

    const low = Math.round((quote.bid - 5) * 100) / 100;
    const { orderId: limit } = await t.adapter.placeOrder({ orderRef: 'dd-l1', instrument: aapl, side: 'BUY', quantity: 50, type: 'LMT', limitPrice: low, tif: 'GTC' });
    await nextEvent(t, 'order', (o) => o.orderId === limit && o.status === 'Submitted', since);
    await t.adapter.modifyOrder(limit, { quantity: 70, limitPrice: low - 1 });
    await nextEvent(t, 'order', (o) => o.orderId === limit && o.quantity === 70 && o.limitPrice === low - 1, since);
    await t.adapter.cancelOrder(limit);
    await nextEvent(t, 'order', (o) => o.orderId === limit && o.status === 'Cancelled' && o.orderRef === 'dd-l1', since);

    sim.faults.rejectNextOrder('no shorting today');
    const { orderId: rejected } = await t.adapter.placeOrder({ orderRef: 'dd-r1', instrument: aapl, side: 'SELL', quantity: 10, type: 'MKT', tif: 'DAY' });
    const refusal = await nextEvent(t, 'orderError', (e) => e.orderId === rejected, since);
    expect(refusal.orderRef).toBe('dd-r1');
    expect(refusal.error).toMatchObject({ kind: 'order-rejected', ibCode: 201 });
    expect(refusal.error.message).toMatch(/no shorting today/);
    await expect(t.adapter.placeOrder({ orderRef: 'dd-bad', instrument: aapl, side: 'BUY', quantity: 0, type: 'MKT', tif: 'DAY' })).rejects.toMatchObject({ kind: 'bad-request' });
  });

  it('reconnects after the venue restarts, resubscribes, and applies fills made during the gap exactly once', async () => {
    const { sim, clock, port } = await startSim();
    const t = startAdapter(port, { reconnect: { initialMs: 50, maxMs: 200 } });
    await t.adapter.whenReady();
    const aapl = await t.adapter.resolve(AAPL);
    const quotes: Quote[] = [];
    t.adapter.subscribeQuotes(aapl, { onQuote: (q) => quotes.push(q) });
    const quote = sim.market.lastTick(CON_ID.AAPL, clock.now())!;
    const { orderId } = await t.adapter.placeOrder({ orderRef: 'dd-gap', instrument: aapl, side: 'BUY', quantity: 100, type: 'LMT', limitPrice: quote.bid, tif: 'GTC' });
    await nextEvent(t, 'order', (o) => o.orderId === orderId && o.status === 'Submitted');

    const mark = t.log.length;
    const restart = sim.faults.restart(400);
    await nextEvent(t, 'status', (s) => s.state === 'lost', mark);
    await expect(t.adapter.placeOrder({ orderRef: 'dd-x', instrument: aapl, side: 'BUY', quantity: 1, type: 'MKT', tif: 'DAY' })).rejects.toMatchObject({
      kind: 'venue-disconnected',
    });
    // The market trades on at the venue while DualDesk is away, until the order fills.
    for (let i = 0; i < 288 && sim.engine.order(orderId, 11)?.status !== 'Filled'; i++) clock.advance(300_000);
    expect(sim.engine.order(orderId, 11)?.status).toBe('Filled');
    await restart;

    const snapshot = await nextEvent(t, 'resynced', () => true, mark);
    expect(snapshot.newExecutions.map((e) => [e.orderId, e.orderRef, e.shares])).toEqual([[orderId, 'dd-gap', 100]]);
    expect(snapshot.positions).toEqual([expect.objectContaining({ conId: CON_ID.AAPL, quantity: 100 })]);
    expect(snapshot.completedOrders.map((o) => [o.orderRef, o.status])).toEqual([['dd-gap', 'Filled']]);
    expect(t.adapter.status()).toMatchObject({ state: 'connected', synced: true });
    // Quotes flow again without anybody resubscribing.
    const before = quotes.length;
    clock.advance(5_000);
    await until(() => quotes.length > before, 'quotes after the reconnect');
    // A second resync finds nothing new: the fill was applied once.
    const again = await t.adapter.resync();
    expect(again.newExecutions).toEqual([]);
    expect(eventsOf(t, 'execution').filter((e) => e.orderId === orderId)).toHaveLength(1);
    expect(await metricValue(t, 'dualdesk_venue_reconnect_attempts_total')).toBeGreaterThan(0);
  });

  it('tells an order-channel loss (1100) from a data-farm flap (2103): only the first stops trading', async () => {
    const { sim, clock, port } = await startSim();
    const t = startAdapter(port);
    await t.adapter.whenReady();
    const aapl = await t.adapter.resolve(AAPL);
    const quotes: Quote[] = [];
    t.adapter.subscribeQuotes(aapl, { onQuote: (q) => quotes.push(q) });
    await until(() => quotes.length > 0, 'the first quote');

    let mark = t.log.length;
    sim.faults.farmDown();
    await nextEvent(t, 'status', (s) => s.state === 'degraded-data', mark);
    expect(t.adapter.status().trading.allowed).toBe(true);
    await t.adapter.placeOrder({ orderRef: 'dd-farm', instrument: aapl, side: 'BUY', quantity: 1, type: 'MKT', tif: 'DAY' });
    sim.faults.farmUp();
    await nextEvent(t, 'status', (s) => s.state === 'connected', mark);

    mark = t.log.length;
    sim.faults.connectivityLost();
    await nextEvent(t, 'status', (s) => s.state === 'lost', mark);
    expect(t.adapter.status().trading).toMatchObject({ allowed: false, reason: expect.stringMatching(/Venue disconnected/) as unknown });
    await expect(t.adapter.placeOrder({ orderRef: 'dd-1100', instrument: aapl, side: 'BUY', quantity: 1, type: 'MKT', tif: 'DAY' })).rejects.toBeInstanceOf(VenueError);

    // 1102: data kept; trading resumes after a resync; quotes go on on the same subscription.
    sim.faults.connectivityRestored(true);
    await nextEvent(t, 'resynced', () => true, mark);
    expect(t.adapter.status()).toMatchObject({ state: 'connected', synced: true });
    let before = quotes.length;
    clock.advance(5_000);
    await until(() => quotes.length > before, 'quotes after 1102');

    // 1101: data lost; the adapter resubscribes by itself.
    mark = t.log.length;
    sim.faults.connectivityLost();
    sim.faults.connectivityRestored(false);
    await nextEvent(t, 'resynced', () => true, mark);
    before = quotes.length;
    clock.advance(5_000);
    await until(() => quotes.length > before, 'quotes after 1101');
    expect(eventsOf(t, 'alert').map((a) => (a.kind === 'connectivity' ? a.code : a.kind))).toEqual(expect.arrayContaining([2103, 2104, 1100, 1102, 1101]));
  });

  it('notices a stalled feed, resubscribes and raises an alert', async () => {
    const { sim, clock, port } = await startSim();
    const t = startAdapter(port, { quoteStaleMs: 400, keepAliveMs: 60_000 });
    await t.adapter.whenReady();
    const aapl = await t.adapter.resolve(AAPL);
    const quotes: Quote[] = [];
    t.adapter.subscribeQuotes(aapl, { onQuote: (q) => quotes.push(q) });
    await until(() => quotes.length > 0, 'the first quote');
    const mark = t.log.length;
    sim.faults.stall(true);
    const alert = await nextEvent(t, 'alert', (a) => a.kind === 'stale-feed', mark);
    expect(alert).toMatchObject({ kind: 'stale-feed', conId: CON_ID.AAPL, symbol: 'AAPL', feed: 'quotes' });
    expect(await metricValue(t, 'dualdesk_venue_stale_feeds_total', { feed: 'quotes' })).toBeGreaterThanOrEqual(1);
    sim.faults.stall(false);
    const before = quotes.length;
    clock.advance(5_000);
    await until(() => quotes.length > before, 'quotes after the stall');
  });

  it('paces a burst of 500 requests without a single pacing error (100 or 162)', { timeout: 60_000 }, async () => {
    // The venue in its own process, as TWS is: pacing is judged on arrival at the venue.
    const { port } = await startSimProcess(['--symbols', 'AAPL,MSFT,NVDA,AMZN,SPY']);
    const t = startAdapter(port);
    await t.adapter.whenReady();
    const instruments = await Promise.all(['AAPL', 'MSFT', 'NVDA', 'AMZN', 'SPY'].map((symbol) => t.adapter.resolve({ symbol, secType: 'STK' })));
    const requests: Promise<unknown>[] = [];
    for (let i = 0; i < 470; i++) {
      requests.push(t.adapter.historicalBars(instruments[i % 5]!, { duration: `${600 + i} S`, barSize: '1 min', source: 'MIDPOINT' }));
    }
    // Small bars: IB's strictest pacing (5 per contract in 2 s, 60 in 10 minutes).
    for (let i = 0; i < 25; i++) requests.push(t.adapter.historicalBars(instruments[i % 5]!, { duration: `${300 + i} S`, barSize: '5 secs', source: 'TRADES' }));
    const results = await Promise.allSettled(requests);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(await metricValue(t, 'dualdesk_venue_errors_total', { code: '100' })).toBe(0);
    expect(await metricValue(t, 'dualdesk_venue_errors_total', { code: '162' })).toBe(0);
    expect(await metricValue(t, 'dualdesk_venue_messages_sent_total', { priority: 'historical' })).toBe(495);
  });

  it('never reuses an order id after a restart, whatever the venue’s next valid id says', async () => {
    const first = await startSim();
    const dbFile = `${(await import('../support/fs')).tempDir()}/paper.db`;
    const a = startAdapter(first.port, { dbFile });
    await a.adapter.whenReady();
    const aapl = await a.adapter.resolve(AAPL);
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await a.adapter.placeOrder({ orderRef: `dd-${i}`, instrument: aapl, side: 'BUY', quantity: 1, type: 'MKT', tif: 'DAY' })).orderId);
    await a.adapter.stop();
    a.store.close();
    // A fresh venue (its state lost) offers id 1 again; the desk's memory knows better.
    const second = await startSim();
    const b = startAdapter(second.port, { dbFile });
    await b.adapter.whenReady();
    const { orderId } = await b.adapter.placeOrder({ orderRef: 'dd-after', instrument: await b.adapter.resolve(AAPL), side: 'BUY', quantity: 1, type: 'MKT', tif: 'DAY' });
    // Ids are reserved durably in blocks: after a restart the next block starts above all of them.
    expect(ids).toEqual([1, 2, 3]);
    expect(orderId).toBeGreaterThan(Math.max(...ids));
    expect(orderId).toBe(51);
    expect(b.memory.orderIdHighWaterMark()).toBeGreaterThanOrEqual(orderId);
  });

  it('in paper mode refuses every order when the venue presents a live account', async () => {
    const { port } = await startSim({ liveAccount: 'U7654321' });
    const t = startAdapter(port, { mode: 'paper' });
    await t.adapter.whenReady();
    expect(t.adapter.status().trading).toEqual({
      allowed: false,
      reason: expect.stringMatching(/PAPER mode is connected to live account U7654321: orders are refused/) as unknown,
    });
    const aapl = await t.adapter.resolve(AAPL);
    await expect(t.adapter.placeOrder({ orderRef: 'dd-p', instrument: aapl, side: 'BUY', quantity: 1, type: 'MKT', tif: 'DAY' })).rejects.toMatchObject({
      kind: 'account-mismatch',
    });
  });

  it('in live mode refuses orders until armed, and refuses to arm against a paper account', async () => {
    const live = await startSim({ liveAccount: 'U7654321' });
    const t = startAdapter(live.port, { mode: 'live' });
    await t.adapter.whenReady();
    const aapl = await t.adapter.resolve(AAPL);
    await expect(t.adapter.placeOrder({ orderRef: 'dd-l', instrument: aapl, side: 'BUY', quantity: 1, type: 'MKT', tif: 'DAY' })).rejects.toMatchObject({ kind: 'not-armed' });
    t.adapter.arm();
    const since = t.log.length;
    const { orderId } = await t.adapter.placeOrder({ orderRef: 'dd-l', instrument: aapl, side: 'BUY', quantity: 1, type: 'MKT', tif: 'DAY' });
    await nextEvent(t, 'execution', (e) => e.orderId === orderId, since);

    const paper = await startSim();
    const u = startAdapter(paper.port, { mode: 'live' });
    await u.adapter.whenReady();
    expect(() => u.adapter.arm()).toThrow(/LIVE mode is connected to paper account DU1234567/);
  });

  it('keeps retrying with growing backoff while the venue is down, and connects when it comes up', async () => {
    const { freePort } = await import('../../scripts/kafka/broker');
    const port = await freePort();
    const t = startAdapter(port, { reconnect: { initialMs: 20, maxMs: 400 }, random: () => 1 });
    await until(() => t.adapter.status().attempts >= 5, 'five failed attempts');
    const status = t.adapter.status();
    expect(status).toMatchObject({ state: 'connecting', trading: { allowed: false } });
    expect(status.lastError).toMatch(/Cannot reach TWS\/IB Gateway/);
    const { createSimulator } = await import('../../src/main/sim');
    const { createLogger } = await import('../../src/main/ops');
    const sim = createSimulator({ port, logger: createLogger({ level: 'silent' }) });
    await sim.start();
    try {
      await t.adapter.whenReady(10_000);
      expect(t.adapter.status()).toMatchObject({ state: 'connected', attempts: 0 });
    } finally {
      await t.adapter.stop();
      await sim.stop();
    }
  });
});
