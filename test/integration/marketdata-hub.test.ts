import { describe, expect, it } from 'vitest';
import { MessageBus, type CoreTopics } from '../../src/main/bus';
import { MarketDataHub, type MarketDataError } from '../../src/main/marketdata';
import { createLogger } from '../../src/main/ops';
import { unpackBarHistory, type Bar, type BarHistory, type BarUpdate, type CrossSignal, type EmaUpdate } from '../../src/shared';
import { startSim, type TestSim } from '../support/sim';
import { metricValue, startAdapter, type TestAdapter } from '../support/venue';
import { until, untilAsync } from '../support/wait';
import { CON_ID } from '../support/fixtures';

const AAPL = { symbol: 'AAPL', secType: 'STK' as const };
const MIN = 60_000;
const DAY = 86_400_000;

/** The simulator and a real IbAdapter over TCP; the hub on the simulator's virtual clock. */
async function rig(simOptions: Parameters<typeof startSim>[0] = {}, adapterOptions: Parameters<typeof startAdapter>[1] = {}) {
  const sim = await startSim(simOptions);
  const venue = startAdapter(sim.port, adapterOptions);
  await venue.adapter.whenReady();
  const bus = new MessageBus<CoreTopics>();
  const seen: { topic: string; data: unknown }[] = [];
  bus.subscribeAny('md.>', (data, topic) => seen.push({ topic, data }));
  const hub = new MarketDataHub({ venue: venue.adapter, bus, clock: sim.clock, logger: createLogger({ level: 'silent' }) });
  const of = <T>(topic: string) => seen.filter((s) => s.topic === topic).map((s) => s.data as T);
  return { sim, venue, bus, hub, seen, of };
}

/** Moves the venue's time on in 5-second steps, waiting each time for the 5-second bar the venue then sends. */
async function runBars(s: TestSim, hub: MarketDataHub, steps: number): Promise<void> {
  for (let i = 0; i < steps; i++) {
    const before = hub.stats().bars;
    s.clock.advance(5_000);
    await until(() => hub.stats().bars > before, `the 5-second bar ending at ${new Date(s.clock.now()).toISOString()}`);
  }
}

/** Brute force: 1-minute bars from 5-second bars, in time order. */
function aggregate(bars: readonly Bar[]): Bar[] {
  const byMinute = new Map<number, Bar[]>();
  for (const b of bars) {
    const m = Math.floor(b.time / MIN) * MIN;
    byMinute.set(m, [...(byMinute.get(m) ?? []), b]);
  }
  return [...byMinute.entries()].map(([time, list]) => {
    const volume = list.reduce((s, b) => s + b.volume, 0);
    const close = list.at(-1)!.close;
    return {
      time,
      open: list[0]!.open,
      high: Math.max(...list.map((b) => b.high)),
      low: Math.min(...list.map((b) => b.low)),
      close,
      volume,
      wap: volume > 0 ? list.reduce((s, b) => s + b.wap * b.volume, 0) / volume : close,
      count: list.reduce((s, b) => s + b.count, 0),
    };
  });
}

function textbookEma(closes: readonly number[], n: number): number {
  const alpha = 2 / (n + 1);
  let ema = closes.slice(0, n).reduce((s, c) => s + c, 0) / n;
  for (const c of closes.slice(n)) ema = alpha * c + (1 - alpha) * ema;
  return ema;
}

const subscriptionMessages = (venue: TestAdapter) => metricValue(venue, 'dualdesk_venue_messages_sent_total', { priority: 'subscription' });

describe('market data hub against the simulator (real TCP, real IbAdapter, virtual clock)', () => {
  it('builds 1-minute bars equal to the aggregation of the venue’s 5-second bars, with EMAs seeded from history', async () => {
    const { sim, hub, of } = await rig();
    const t0 = sim.clock.now(); // a minute boundary
    const sub = await hub.subscribe(AAPL, 'chart');
    expect(sub).toMatchObject({ consumer: 'chart', word: 'AAPL', instrument: { conId: CON_ID.AAPL, symbol: 'AAPL' } });

    // Seeded from the venue's last day of 1-minute TRADES bars.
    const history = sim.sim.market.bars(CON_ID.AAPL, { endMs: t0, durationMs: DAY, barSizeMs: MIN, source: 'TRADES', rthOnly: false });
    const seeded = hub.snapshot(CON_ID.AAPL)!;
    expect(seeded.seeded).toBe(true);
    expect(seeded.bars.map((b) => [b.time, b.close, b.volume])).toEqual(history.slice(-1_440).map((b) => [b.time, b.close, b.volume]));
    const closes = history.map((b) => b.close);
    expect(seeded.ema).toMatchObject({ conId: CON_ID.AAPL, symbol: 'AAPL', time: history.at(-1)!.time, final: true });
    expect(seeded.ema!.values[9]).toBeCloseTo(textbookEma(closes, 9), 9);
    expect(seeded.ema!.values[21]).toBeCloseTo(textbookEma(closes, 21), 9);
    expect(of<EmaUpdate>('md.ema.AAPL')).toEqual([seeded.ema]);

    // Three minutes of the venue's 5-second bars.
    await runBars(sim, hub, 36);
    const fiveSecond = sim.sim.market.bars(CON_ID.AAPL, { endMs: t0 + 3 * MIN, durationMs: 3 * MIN, barSizeMs: 5_000, source: 'TRADES', rthOnly: false });
    expect(fiveSecond).toHaveLength(36);
    const updates = of<BarUpdate>('md.bar.1m.AAPL');
    const finals = updates.filter((u) => u.final);
    // Equal, with the wap to rounding (the 5-second bars' waps travel as text on the wire).
    const expected = aggregate(fiveSecond);
    expect(finals.map((u) => ({ ...u.bar, wap: 0 }))).toEqual(expected.map((b) => ({ ...b, wap: 0 })));
    finals.forEach((u, i) => expect(u.bar.wap).toBeCloseTo(expected[i]!.wap, 9));
    expect(finals.every((u) => !u.revised && u.conId === CON_ID.AAPL && u.symbol === 'AAPL' && u.size === '1m')).toBe(true);
    // ...which are the venue's own 1-minute bars, but for the wap (the venue weighs every trade; equal to rounding).
    const venueMinutes = sim.sim.market.bars(CON_ID.AAPL, { endMs: t0 + 3 * MIN, durationMs: 3 * MIN, barSizeMs: MIN, source: 'TRADES', rthOnly: false });
    finals.forEach((u, i) => {
      expect({ ...u.bar, wap: 0 }).toEqual({ ...venueMinutes[i], wap: 0 });
      expect(u.bar.wap).toBeCloseTo(venueMinutes[i]!.wap, 6);
    });
    // The forming minute was published on each of its 5-second bars but the last (which closes it).
    expect(updates.filter((u) => !u.final)).toHaveLength(33);

    // EMAs: committed on each final minute, over history + live closes; provisional in between.
    const emas = of<EmaUpdate>('md.ema.AAPL');
    const finalEmas = emas.filter((e) => e.final).slice(1);
    expect(finalEmas.map((e) => e.time)).toEqual([t0, t0 + MIN, t0 + 2 * MIN]);
    finalEmas.forEach((e, i) => {
      const upTo = [...closes, ...finals.slice(0, i + 1).map((u) => u.bar.close)];
      expect(e.values[9]).toBeCloseTo(textbookEma(upTo, 9), 9);
      expect(e.values[21]).toBeCloseTo(textbookEma(upTo, 21), 9);
    });
    expect(emas.filter((e) => !e.final)).toHaveLength(33);
    // Signals only where the sign of EMA9 − EMA21 changed between final minutes.
    const sides = [seeded.ema!, ...finalEmas].map((e) => Math.sign(e.values[9]! - e.values[21]!));
    const crossings = sides.slice(1).filter((s, i) => s !== 0 && s !== sides[i]).length;
    expect(of<CrossSignal>('md.signal.AAPL')).toHaveLength(crossings);

    // Caches: the last quote, and the bars a chart loads (history, live, the forming one).
    expect(hub.quote(CON_ID.AAPL)).toMatchObject({ conId: CON_ID.AAPL, symbol: 'AAPL', bid: expect.any(Number) as number, ask: expect.any(Number) as number });
    expect(of('md.quote.AAPL').at(-1)).toBe(hub.quote(CON_ID.AAPL));
    await runBars(sim, hub, 1);
    const chart = hub.bars(CON_ID.AAPL);
    expect(chart.slice(-4).map((b) => b.time)).toEqual([t0, t0 + MIN, t0 + 2 * MIN, t0 + 3 * MIN]);
    expect(hub.ema(CON_ID.AAPL)).toMatchObject({ time: t0 + 3 * MIN, final: false });
    sub.close();
  });

  it('publishes the chart’s last closed minutes on md.history.1m.<word> when history loads and when a minute closes: the bars getMarketData gives', async () => {
    const { sim, hub, of } = await rig();
    const t0 = sim.clock.now();
    const sub = await hub.subscribe(AAPL, 'chart');
    const histories = () => of<BarHistory>('md.history.1m.AAPL');
    const drawn = (bars: readonly Bar[]) => bars.map(({ time, open, high, low, close, volume }) => ({ time, open, high, low, close, volume }));

    // The venue's history, as soon as it is in: the tail of the chart's bars.
    expect(histories()).toHaveLength(1);
    const seeded = unpackBarHistory(histories()[0]);
    expect(seeded).toMatchObject({ conId: CON_ID.AAPL, symbol: 'AAPL' });
    expect(seeded!.bars).toHaveLength(240);
    expect(seeded!.bars).toEqual(drawn(hub.snapshot(CON_ID.AAPL)!.bars.slice(-240)));
    expect(seeded!.bars.at(-1)!.time).toBe(t0 - MIN);

    // Three minutes close: one history each, ending with the minute just closed, never the forming one.
    await runBars(sim, hub, 36);
    const after = histories()
      .slice(1)
      .map((h) => unpackBarHistory(h)!);
    expect(after.map((h) => h.bars.at(-1)!.time)).toEqual([t0, t0 + MIN, t0 + 2 * MIN]);
    expect(after.every((h) => h.bars.length === 240)).toBe(true);
    expect(after.at(-1)!.bars).toEqual(drawn(hub.snapshot(CON_ID.AAPL)!.bars.slice(-240)));
    // The closed minutes as md.bar.1m said them.
    const finals = of<BarUpdate>('md.bar.1m.AAPL').filter((u) => u.final);
    expect(after.at(-1)!.bars.slice(-3)).toEqual(drawn(finals.map((u) => u.bar)));
    sub.close();
  });

  it('md.history.1m is off with sharedHistoryBars 0, and never longer than chartBars', async () => {
    const sim = await startSim();
    const venue = startAdapter(sim.port);
    await venue.adapter.whenReady();
    for (const [settings, length] of [
      [{ sharedHistoryBars: 0 }, undefined],
      [{ chartBars: 30, sharedHistoryBars: 100 }, 30],
    ] as const) {
      const bus = new MessageBus<CoreTopics>();
      const seen: BarHistory[] = [];
      bus.subscribe('md.history.1m.*', (h) => seen.push(h));
      const hub = new MarketDataHub({ venue: venue.adapter, bus, clock: sim.clock, logger: createLogger({ level: 'silent' }), settings });
      await hub.subscribe(AAPL, 'chart');
      expect(seen.at(-1)?.bars.length).toBe(length);
      hub.close();
    }
  });

  it('shares one venue subscription among consumers, and the last one to leave closes it', async () => {
    const { sim, venue, hub } = await rig();
    const before = await subscriptionMessages(venue);
    const chart = await hub.subscribe(AAPL, 'chart');
    // Contract details, quotes, 5-second bars.
    expect((await subscriptionMessages(venue)) - before).toBe(3);
    expect(venue.adapter.marketDataLinesInUse).toBe(2);
    const strategy = await hub.subscribe(chart.instrument, 'strategy');
    const again = await hub.subscribe({ ...AAPL, conId: CON_ID.AAPL }, 'strategy');
    expect((await subscriptionMessages(venue)) - before).toBe(3);
    expect(venue.adapter.marketDataLinesInUse).toBe(2);
    expect(hub.subscriptions()).toEqual([{ conId: CON_ID.AAPL, symbol: 'AAPL', word: 'AAPL', ready: true, consumers: { chart: 1, strategy: 2 } }]);

    chart.close();
    chart.close(); // once only
    strategy.close();
    expect(venue.adapter.marketDataLinesInUse).toBe(2);
    await runBars(sim, hub, 2);
    expect(hub.unsubscribe(CON_ID.AAPL, 'chart')).toBe(false);
    expect(hub.unsubscribe(CON_ID.AAPL, 'strategy')).toBe(true);
    expect(again.consumer).toBe('strategy');
    expect(venue.adapter.marketDataLinesInUse).toBe(0);
    expect(hub.subscriptions()).toEqual([]);
    expect(hub.snapshot(CON_ID.AAPL)).toBeUndefined();
    // cancelMktData and cancelRealTimeBars went to the venue.
    await untilAsync(async () => (await subscriptionMessages(venue)) - before === 5, 'the two cancels sent to the venue');
    // A new consumer starts afresh.
    const later = await hub.subscribe(AAPL, 'chart');
    expect(venue.adapter.marketDataLinesInUse).toBe(2);
    later.close();
    expect(venue.adapter.marketDataLinesInUse).toBe(0);
  });

  it('rejects an unknown symbol with the venue’s error and holds nothing', async () => {
    const { venue, hub } = await rig();
    const failure = hub.subscribe({ symbol: 'ZZZZ', secType: 'STK' }, 'chart');
    await expect(failure).rejects.toMatchObject({ name: 'VenueError', kind: 'unknown-instrument' });
    await expect(failure).rejects.toThrow(/IB has no contract matching this instrument|ZZZZ/);
    expect(hub.subscriptions()).toEqual([]);
    expect(venue.adapter.marketDataLinesInUse).toBe(0);
    await expect(hub.subscribe(AAPL, ' ')).rejects.toThrow(/consumer needs a name/);
  });

  it('rejects with the venue’s message when its market data lines are exhausted, and releases what it held', async () => {
    // The venue (TWS) refuses the second line with error 101.
    const atVenue = await rig({ marketDataLines: 1 });
    const errors: MarketDataError[] = [];
    atVenue.hub.on('feedError', (e) => errors.push(e));
    await expect(atVenue.hub.subscribe(AAPL, 'chart')).rejects.toMatchObject({
      kind: 'market-data-lines',
      ibCode: 101,
      message: expect.stringMatching(/No market data line left/) as unknown,
    });
    expect(errors).toEqual([expect.objectContaining({ conId: CON_ID.AAPL, feed: 'bars', fatal: true })]);
    expect(atVenue.hub.subscriptions()).toEqual([]);
    expect(atVenue.venue.adapter.marketDataLinesInUse).toBe(0);

    // The adapter's own count of the account's lines refuses before asking the venue.
    const atAdapter = await rig({}, { marketDataLines: 1 });
    await expect(atAdapter.hub.subscribe(AAPL, 'chart')).rejects.toMatchObject({
      kind: 'market-data-lines',
      message: expect.stringMatching(/No market data line left for AAPL: all 1 lines/) as unknown,
    });
    expect(atAdapter.venue.adapter.marketDataLinesInUse).toBe(0);
    expect(atAdapter.hub.subscriptions()).toEqual([]);
  });

  it('subscribed while the venue is still connecting: reports the failed history request, then seeds the EMAs from live closes', async () => {
    const { sim, venue, bus } = await rig();
    const aapl = await venue.adapter.resolve(AAPL);
    const late = startAdapter(sim.port, { clientId: 12 }); // connecting now
    const hub = new MarketDataHub({ venue: late.adapter, bus, clock: sim.clock, logger: createLogger({ level: 'silent' }), settings: { emaPeriods: [2, 3] } });
    const errors: MarketDataError[] = [];
    const sub = await hub.subscribe(aapl, 'chart', { onError: (e) => errors.push(e) });
    // Both history requests (1-minute and 5-second) failed, neither fatally.
    expect(errors).toEqual(
      (['history', 'history5s'] as const).map((feed) => ({
        conId: CON_ID.AAPL,
        symbol: 'AAPL',
        feed,
        fatal: false,
        error: expect.objectContaining({ kind: 'venue-disconnected' }) as unknown,
      })),
    );
    expect(hub.snapshot(CON_ID.AAPL)).toMatchObject({ seeded: true, bars: [], ema: undefined });
    // The adapter opens the feeds once connected; the first quote says the venue has them.
    await late.adapter.whenReady();
    await until(() => hub.quote(CON_ID.AAPL) !== undefined, 'the first quote');
    await runBars(sim, hub, 36);
    const closes = hub.snapshot(CON_ID.AAPL)!.bars.map((b) => b.close);
    expect(closes).toHaveLength(3);
    const ema = hub.snapshot(CON_ID.AAPL)!.emas.at(-1)!;
    expect(ema.values[2]).toBeCloseTo(textbookEma(closes, 2), 9);
    expect(ema.values[3]).toBeCloseTo(textbookEma(closes, 3), 9);
    sub.close();
  });

  it('seeds an hour of the venue’s 5-second bars and their own EMAs from its 5-second history, then goes on live on md.ema.5s', async () => {
    const { sim, hub, of } = await rig();
    const t0 = sim.clock.now();
    const sub = await hub.subscribe(AAPL, 'chart');
    await until(() => hub.snapshot(CON_ID.AAPL)?.seeded5s === true, 'the 5-second history');
    const history = sim.sim.market.bars(CON_ID.AAPL, { endMs: t0, durationMs: 3_600_000, barSizeMs: 5_000, source: 'TRADES', rthOnly: false });
    expect(history.length).toBeGreaterThan(600);
    const snap = hub.snapshot(CON_ID.AAPL)!;
    expect(snap.bars5s.map((b) => [b.time, b.close])).toEqual(history.slice(-720).map((b) => [b.time, b.close]));
    // EMAs over the 5-second closes, one point per 5-second bar.
    const closes = snap.bars5s.map((b) => b.close);
    const last = snap.emas5s.at(-1)!;
    expect(last).toMatchObject({ time: snap.bars5s.at(-1)!.time, size: '5s', final: true });
    expect(last.values[9]).toBeCloseTo(textbookEma(closes, 9), 9);
    expect(last.values[21]).toBeCloseTo(textbookEma(closes, 21), 9);
    const times = new Set(snap.bars5s.map((b) => b.time));
    expect(snap.emas5s.every((p) => times.has(p.time))).toBe(true);
    expect(snap.signals5s.every((s) => times.has(s.time) && s.size === '5s')).toBe(true);
    // Live: each 5-second bar moves the 5-second EMAs on.
    await runBars(sim, hub, 3);
    const live = of<EmaUpdate>('md.ema.5s.AAPL').filter((e) => e.time >= t0);
    expect(live.map((e) => e.time)).toEqual([t0, t0 + 5_000, t0 + 10_000]);
    expect(of<EmaUpdate>('md.ema.AAPL').every((e) => e.size === undefined)).toBe(true);
    sub.close();
  });

  it('serves FX from MIDPOINT bars under the topic word EUR-USD', async () => {
    const { sim, hub, of } = await rig();
    const t0 = sim.clock.now();
    const sub = await hub.subscribe({ symbol: 'EUR', secType: 'CASH', currency: 'USD' }, 'chart');
    expect(sub.word).toBe('EUR-USD');
    const history = sim.sim.market.bars(sub.instrument.conId, { endMs: t0, durationMs: DAY, barSizeMs: MIN, source: 'MIDPOINT', rthOnly: false });
    expect(hub.snapshot(sub.instrument.conId)!.bars.at(-1)).toMatchObject({ time: history.at(-1)!.time, close: history.at(-1)!.close });
    await runBars(sim, hub, 12);
    const fiveSecond = sim.sim.market.bars(sub.instrument.conId, { endMs: t0 + MIN, durationMs: MIN, barSizeMs: 5_000, source: 'MIDPOINT', rthOnly: false });
    const final = of<BarUpdate>('md.bar.1m.EUR-USD').filter((u) => u.final);
    expect(final.map((u) => u.bar)).toEqual(aggregate(fiveSecond));
    expect(of<EmaUpdate>('md.ema.EUR-USD').length).toBeGreaterThan(1);
  });
});
