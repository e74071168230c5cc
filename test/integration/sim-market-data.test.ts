import { EventName, SecType, type Contract } from '@stoqey/ib';
import { describe, expect, it } from 'vitest';
import type { MarketTick } from '../../src/main/sim';
import { connectClient, type IbTestClient } from '../support/ib';
import { startSim, type TestSim } from '../support/sim';
import { CON_ID } from '../support/fixtures';

const AAPL: Contract = { symbol: 'AAPL', secType: SecType.STK, exchange: 'SMART', currency: 'USD' };

/** The bids a subscriber should see: each change of (bid, bid size) after the first quote. */
function expectedBids(sim: TestSim, from: number, to: number): number[] {
  const first = sim.sim.market.lastTick(CON_ID.AAPL, from);
  let last = first ? `${first.bid}/${first.bidSize}` : '';
  const bids: number[] = [];
  for (const t of sim.sim.market.ticks(CON_ID.AAPL, from, to)) {
    const key = `${t.bid}/${t.bidSize}`;
    if (key !== last) bids.push(t.bid);
    last = key;
  }
  return bids;
}

/** Sends a request whose answer marks "everything before it has been delivered". */
async function sentinel(client: IbTestClient): Promise<void> {
  const since = client.mark();
  client.ib.reqCurrentTime();
  await client.waitFor(EventName.currentTime, () => true, since);
}

function bidsReceived(client: IbTestClient, reqId: number, since: number): number[] {
  return client
    .events(EventName.tickPrice, since)
    .filter((a) => a[0] === reqId && a[1] === 1)
    .map((a) => a[2] as number);
}

async function streamBids(seed: number): Promise<number[]> {
  const sim = await startSim({ seed });
  const client = await connectClient(sim.port, 1);
  const since = client.mark();
  client.ib.reqMktData(1, AAPL, '', false, false);
  await sentinel(client);
  sim.clock.advance(10_000);
  await sentinel(client);
  return bidsReceived(client, 1, since);
}

describe('simulator: market data over TCP', () => {
  it('streams exactly the model’s quotes after the first snapshot, with no gap at the start', async () => {
    const sim = await startSim();
    const client = await connectClient(sim.port, 1);
    const t0 = sim.clock.now();
    const since = client.mark();
    client.ib.reqMktData(1, AAPL, '', false, false);
    await client.waitFor(EventName.marketDataType, (a) => a[0] === 1, since);
    await sentinel(client);
    const first = sim.sim.market.lastTick(CON_ID.AAPL, t0)!;
    const initial = client.events(EventName.tickPrice, since).filter((a) => a[0] === 1);
    expect(initial.find((a) => a[1] === 1)?.[2]).toBe(first.bid);
    expect(initial.find((a) => a[1] === 2)?.[2]).toBe(first.ask);
    expect(initial.some((a) => a[1] === 9)).toBe(true); // previous close
    const mark = client.mark();
    sim.clock.advance(10_000);
    await sentinel(client);
    const expected = expectedBids(sim, t0, t0 + 10_000);
    expect(expected.length).toBeGreaterThan(5);
    expect(bidsReceived(client, 1, mark)).toEqual(expected);
    // Bid sizes travel as their own TICK_SIZE (bid sizes in TICK_PRICE are lost by the client).
    expect(client.events(EventName.tickSize, mark).filter((a) => a[0] === 1 && a[1] === 0).length).toBe(expected.length);
  });

  it('is deterministic: the same seed streams the same quotes, another seed does not', async () => {
    const a = await streamBids(7);
    const b = await streamBids(7);
    const c = await streamBids(8);
    expect(a.length).toBeGreaterThan(5);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('sends 5-second real-time bars that agree with the ticks, and hours of market in seconds', async () => {
    const sim = await startSim();
    const client = await connectClient(sim.port, 1);
    const t0 = sim.clock.now();
    const since = client.mark();
    client.ib.reqRealTimeBars(3, AAPL, 5, 'TRADES', false);
    await sentinel(client);
    sim.clock.advance(3_600_000);
    await sentinel(client);
    const bars = client.events(EventName.realtimeBar, since).filter((a) => a[0] === 3);
    expect(bars).toHaveLength(720);
    for (const [, time, open, high, low, close, volume, , count] of bars.slice(0, 60) as number[][]) {
      const start = time! * 1000;
      expect(start).toBeGreaterThanOrEqual(t0);
      const trades = sim.sim.market.ticks(CON_ID.AAPL, start - 1, start + 4_999).flatMap((t: MarketTick) => (t.trade ? [t.trade] : []));
      expect(count).toBe(trades.length);
      expect(open).toBe(trades[0]?.price);
      expect(close).toBe(trades.at(-1)?.price);
      expect(high).toBe(Math.max(...trades.map((t) => t.price)));
      expect(low).toBe(Math.min(...trades.map((t) => t.price)));
      expect(volume).toBe(trades.reduce((s, t) => s + t.size, 0));
    }
  });

  it('serves historical bars equal to the model’s, and keeps the forming bar up to date', async () => {
    const sim = await startSim();
    const client = await connectClient(sim.port, 1);
    const now = sim.clock.now();
    let since = client.mark();
    client.ib.reqHistoricalData(4, AAPL, '', '1 D', '1 min' as never, 'TRADES', 0, 2, false);
    await client.waitFor(EventName.historicalData, (a) => a[0] === 4 && String(a[1]).startsWith('finished'), since);
    const received = client.events(EventName.historicalData, since).filter((a) => a[0] === 4 && !String(a[1]).startsWith('finished'));
    const model = sim.sim.market.bars(CON_ID.AAPL, { endMs: now, durationMs: 86_400_000, barSizeMs: 60_000, source: 'TRADES', rthOnly: false });
    expect(received).toHaveLength(model.length);
    expect(model.length).toBe(1440);
    received.forEach((a, i) => {
      const b = model[i]!;
      expect(a.slice(1, 8)).toEqual([String(b.time / 1000), b.open, b.high, b.low, b.close, b.volume, b.count]);
      // The average is a derived figure, sent with 15 significant digits.
      expect(a[8]).toBeCloseTo(b.wap, 9);
    });

    since = client.mark();
    client.ib.reqHistoricalData(5, AAPL, '', '3600 S', '1 min' as never, 'MIDPOINT', 0, 2, true);
    await client.waitFor(EventName.historicalData, (a) => a[0] === 5 && String(a[1]).startsWith('finished'), since);
    since = client.mark();
    sim.clock.advance(30_000);
    const [, date, open, high, low, close] = await client.waitFor(EventName.historicalDataUpdate, (a) => a[0] === 5, since);
    const forming = sim.sim.market.bars(CON_ID.AAPL, { endMs: sim.clock.now(), durationMs: 120_000, barSizeMs: 60_000, source: 'MIDPOINT', rthOnly: false, includeForming: true });
    const updates = client.events(EventName.historicalDataUpdate, since).filter((a) => a[0] === 5);
    const last = updates.at(-1)!;
    expect(Number(last[1])).toBe(forming.at(-1)!.time / 1000);
    expect(last.slice(2, 6)).toEqual([forming.at(-1)!.open, forming.at(-1)!.high, forming.at(-1)!.low, forming.at(-1)!.close]);
    expect([date, open, high, low, close].every((x) => x !== undefined)).toBe(true);
    client.ib.cancelHistoricalData(5);
  });

  it('answers contract details for stocks, FX and futures, and error 200 for unknown symbols', async () => {
    const sim = await startSim();
    const client = await connectClient(sim.port, 1);
    const since = client.mark();
    client.ib.reqContractDetails(1, AAPL);
    client.ib.reqContractDetails(2, { symbol: 'EUR', secType: SecType.CASH, currency: 'USD', exchange: 'IDEALPRO' });
    client.ib.reqContractDetails(3, { symbol: 'ES', secType: SecType.FUT, exchange: 'CME', currency: 'USD' });
    client.ib.reqContractDetails(4, { symbol: 'ZZZZ', secType: SecType.STK, exchange: 'SMART', currency: 'USD' });
    client.ib.reqMktData(5, { symbol: 'ZZZZ', secType: SecType.STK, exchange: 'SMART', currency: 'USD' }, '', false, false);
    await client.waitFor(EventName.contractDetailsEnd, (a) => a[0] === 3, since);
    await client.waitFor(EventName.error, (a) => a[2] === 5, since);
    const details = new Map(
      client.events(EventName.contractDetails, since).map((a) => [a[0] as number, a[1] as { contract: Contract; minTick: number; longName: string; tradingHours: string }]),
    );
    const aapl = sim.sim.market.byConId(CON_ID.AAPL)!;
    expect(details.get(1)).toMatchObject({ contract: { conId: CON_ID.AAPL, symbol: 'AAPL', primaryExch: aapl.primaryExchange }, minTick: 0.01, longName: aapl.longName });
    expect(details.get(2)?.contract).toMatchObject({ secType: 'CASH', localSymbol: 'EUR.USD' });
    expect(details.get(3)?.contract).toMatchObject({ secType: 'FUT', multiplier: 50, localSymbol: expect.stringMatching(/^ES[HMUZ]\d$/) as unknown });
    expect(client.errorCodes(since)).toEqual([200, 200]);
  });

  it('enforces the line limit (101) and duplicate ticker ids (102), and frees lines on cancel', async () => {
    const sim = await startSim({ marketDataLines: 2 });
    const client = await connectClient(sim.port, 1);
    const since = client.mark();
    client.ib.reqMktData(1, AAPL, '', false, false);
    client.ib.reqMktData(1, AAPL, '', false, false);
    client.ib.reqRealTimeBars(2, { ...AAPL, symbol: 'MSFT' }, 5, 'TRADES', false);
    client.ib.reqMktData(3, { ...AAPL, symbol: 'NVDA' }, '', false, false);
    await sentinel(client);
    expect(client.events(EventName.error, since).map((a) => [a[2], a[1]])).toEqual([
      [1, 102],
      [3, 101],
    ]);
    client.ib.cancelMktData(1);
    const again = client.mark();
    client.ib.reqMktData(3, { ...AAPL, symbol: 'NVDA' }, '', false, false);
    await client.waitFor(EventName.marketDataType, (a) => a[0] === 3, again);
    expect(client.errorCodes(again)).toEqual([]);
  });

  it('paces historical requests for small bars (162): identical within 15 s, six for one contract within 2 s', async () => {
    let wall = 0;
    const sim = await startSim({ wallNow: () => wall });
    const client = await connectClient(sim.port, 1);
    const since = client.mark();
    for (let i = 0; i < 6; i++) client.ib.reqHistoricalData(10 + i, AAPL, '', `${600 + i} S`, '5 secs' as never, 'TRADES', 0, 2, false);
    client.ib.reqHistoricalData(20, AAPL, '', '600 S', '5 secs' as never, 'TRADES', 0, 2, false);
    await sentinel(client);
    expect(client.events(EventName.error, since).map((a) => [a[2], a[1]])).toEqual([
      [15, 162],
      [20, 162],
    ]);
    // Larger bars are not paced.
    const big = client.mark();
    client.ib.reqHistoricalData(30, AAPL, '', '1 D', '1 hour' as never, 'TRADES', 0, 2, false);
    client.ib.reqHistoricalData(31, AAPL, '', '1 D', '1 hour' as never, 'TRADES', 0, 2, false);
    await sentinel(client);
    expect(client.errorCodes(big)).toEqual([]);
    wall += 16_000;
    const later = client.mark();
    client.ib.reqHistoricalData(40, AAPL, '', '600 S', '5 secs' as never, 'TRADES', 0, 2, false);
    await client.waitFor(EventName.historicalData, (a) => a[0] === 40, later);
  });

  it('keeps a closed market quiet and says so in the contract hours (exchange sessions)', async () => {
    const saturday = Date.UTC(2026, 10, 21, 15, 0, 0);
    const sim = await startSim({ sessions: 'exchange', start: saturday });
    const client = await connectClient(sim.port, 1);
    const since = client.mark();
    client.ib.reqContractDetails(1, AAPL);
    client.ib.reqMktData(2, AAPL, '', false, false);
    await sentinel(client);
    const mark = client.mark();
    sim.clock.advance(60_000);
    await sentinel(client);
    expect(client.events(EventName.tickPrice, mark)).toEqual([]);
    const [, details] = client.events(EventName.contractDetails, since)[0]!;
    expect((details as { tradingHours: string }).tradingHours).toMatch(/20261121:CLOSED/);
  });
});
