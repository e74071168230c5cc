import { describe, expect, it } from 'vitest';
import { createMatchingEngine } from '../../../src/main/sim/engine';
import type { EngineEvent, EngineState, Execution, MatchingEngine, OrderTicket, QuoteSource, VenueOrder } from '../../../src/main/sim/engine';
import type { InstrumentSpec, MarketTick } from '../../../src/main/sim/market';
import { simInstrument as spec, SIM_MONDAY_10AM as T0, CON_ID } from '../../support/fixtures';

const HOUR = 3_600_000;

const AAPL = spec({ conId: CON_ID.AAPL, symbol: 'AAPL', secType: 'STK' });
const ES = spec({
  conId: 637533641,
  symbol: 'ES',
  secType: 'FUT',
  exchange: 'CME',
  primaryExchange: 'CME',
  localSymbol: 'ESH5',
  multiplier: 50,
  minTick: 0.25,
  lotSize: 1,
});
const EURUSD = spec({
  conId: 12087792,
  symbol: 'EUR',
  secType: 'CASH',
  exchange: 'IDEALPRO',
  primaryExchange: 'IDEALPRO',
  localSymbol: 'EUR.USD',
  minTick: 0.00005,
  lotSize: 1000,
  hasTrades: false,
});
const INSTRUMENTS = new Map([AAPL, ES, EURUSD].map((i) => [i.conId, i]));

interface Quote {
  bid: number;
  ask: number;
  bidSize?: number;
  askSize?: number;
  trade?: number;
  /** Milliseconds after the previous clock time (default 1000). */
  dt?: number;
}

/** A scripted market: ticks pushed by the test, sessions decided by the test. */
function harness(options: { firstPermId?: number; execIdPrefix?: string; restore?: EngineState } = {}) {
  const ticks = new Map<number, MarketTick[]>();
  let now = T0;
  let nextOrderId = 0;
  let open: (conId: number, atMs: number, rthOnly: boolean) => boolean = () => true;
  let sessionEnd: (conId: number, atMs: number) => number | undefined = () => undefined;
  const market: QuoteSource = {
    lastTick: (conId, atMs) => (ticks.get(conId) ?? []).filter((t) => t.time <= atMs).at(-1),
    isOpen: (conId, atMs, rthOnly) => open(conId, atMs, rthOnly ?? false),
    sessionEnd: (conId, atMs) => sessionEnd(conId, atMs),
  };
  const events: EngineEvent[] = [];
  const engine: MatchingEngine = createMatchingEngine({
    market,
    instruments: (conId) => INSTRUMENTS.get(conId),
    now: () => now,
    accountId: 'DU1234567',
    startingCash: 1_000_000,
    ...(options.firstPermId === undefined ? {} : { firstPermId: options.firstPermId }),
    execIdPrefix: options.execIdPrefix ?? '0000e0d5',
    ...(options.restore === undefined ? {} : { restore: options.restore }),
    listener: (e) => events.push(e),
  });

  /** Adds a tick to the market without telling the engine (the market as place() will read it). */
  function quote(instrument: InstrumentSpec, q: Quote): MarketTick {
    now += q.dt ?? 1000;
    const tick: MarketTick = {
      time: now,
      bid: q.bid,
      ask: q.ask,
      bidSize: q.bidSize ?? 100,
      askSize: q.askSize ?? 100,
      ...(q.trade === undefined ? {} : { trade: { price: q.trade, size: 100 } }),
      dayVolume: 0,
    };
    const list = ticks.get(instrument.conId) ?? [];
    list.push(tick);
    ticks.set(instrument.conId, list);
    return tick;
  }

  return {
    engine,
    events,
    get now() {
      return now;
    },
    setNow: (ms: number) => {
      now = ms;
    },
    setOpen: (fn: typeof open) => {
      open = fn;
    },
    setSessionEnd: (fn: typeof sessionEnd) => {
      sessionEnd = fn;
    },
    quote,
    /** Adds a tick and feeds it to the engine. */
    tick: (instrument: InstrumentSpec, q: Quote): MarketTick => {
      const t = quote(instrument, q);
      engine.onTick(instrument.conId, t);
      return t;
    },
    ticket: (fields: Partial<OrderTicket> = {}): OrderTicket => ({
      orderId: fields.orderId ?? ++nextOrderId,
      clientId: 1,
      instrument: AAPL,
      action: 'BUY',
      totalQuantity: 100,
      orderType: 'MKT',
      tif: 'DAY',
      outsideRth: false,
      orderRef: 'dd-1',
      account: '',
      ...fields,
    }),
    place(fields: Partial<OrderTicket> = {}) {
      const result = engine.place(this.ticket(fields));
      if (!result.ok) throw new Error(`unexpected rejection ${result.error.code}: ${result.error.message}`);
      return result.order;
    },
    fills: (orderId?: number): Execution[] => engine.executions().filter((e) => orderId === undefined || e.orderId === orderId),
    orderOf: (o: VenueOrder): VenueOrder => {
      const found = engine.order(o.orderId, o.clientId);
      if (found === undefined) throw new Error('order not found');
      return found;
    },
  };
}

const prices = (fills: Execution[]): [number, number][] => fills.map((f) => [f.shares, f.price]);
const kinds = (events: EngineEvent[]): string[] => events.map((e) => (e.kind === 'order' ? `order:${e.order.status}` : e.kind));

describe('sim engine: market orders', () => {
  it('BUY lifts the ask up to its displayed size and works the rest on later ticks', () => {
    const h = harness();
    h.quote(AAPL, { bid: 100, ask: 100.02, askSize: 200 });
    const o = h.place({ totalQuantity: 500 });
    expect(o).toMatchObject({ status: 'Submitted', filled: 200, remaining: 300, lastFillPrice: 100.02 });
    h.tick(AAPL, { bid: 100.03, ask: 100.05, askSize: 100 });
    h.tick(AAPL, { bid: 100.01, ask: 100.03, askSize: 400 });
    expect(prices(h.fills())).toEqual([
      [200, 100.02],
      [100, 100.05],
      [200, 100.03],
    ]);
    const done = h.orderOf(o);
    expect(done).toMatchObject({ status: 'Filled', filled: 500, remaining: 0, completedStatus: 'Filled Size: 500' });
    expect(done.avgFillPrice).toBeCloseTo((200 * 100.02 + 100 * 100.05 + 200 * 100.03) / 500, 9);
    expect(h.fills().map((f) => f.lastLiquidity)).toEqual([2, 2, 2]);
    expect(h.fills().map((f) => f.cumQty)).toEqual([200, 300, 500]);
  });

  it('SELL hits the bid up to its displayed size', () => {
    const h = harness();
    h.quote(AAPL, { bid: 99.98, ask: 100, bidSize: 300 });
    const o = h.place({ action: 'SELL', totalQuantity: 400 });
    h.tick(AAPL, { bid: 99.95, ask: 99.97, bidSize: 200 });
    expect(prices(h.fills())).toEqual([
      [300, 99.98],
      [100, 99.95],
    ]);
    expect(h.fills().every((f) => f.side === 'SLD')).toBe(true);
    expect(h.orderOf(o).status).toBe('Filled');
  });

  it('consumes a tick’s displayed size once across competing orders, in time priority', () => {
    const h = harness();
    const t = h.quote(AAPL, { bid: 100, ask: 100.02, askSize: 200 });
    const first = h.place({ totalQuantity: 300 });
    const second = h.place({ totalQuantity: 300 });
    expect(first.filled).toBe(200);
    expect(second.filled).toBe(0);
    // The venue then delivers the same tick: what place() took from it stays taken.
    h.engine.onTick(AAPL.conId, t);
    expect(h.fills()).toHaveLength(1);
    h.tick(AAPL, { bid: 100.01, ask: 100.03, askSize: 250 });
    expect(h.orderOf(first)).toMatchObject({ status: 'Filled', filled: 300 });
    expect(h.orderOf(second)).toMatchObject({ status: 'Submitted', filled: 150 });
    h.tick(AAPL, { bid: 100.01, ask: 100.04, askSize: 500 });
    expect(h.orderOf(second)).toMatchObject({ status: 'Filled', filled: 300 });
    expect(prices(h.fills(second.orderId))).toEqual([
      [150, 100.03],
      [150, 100.04],
    ]);
  });

  it('waits without a quote, then fills on the first tick', () => {
    const h = harness();
    const o = h.place({ totalQuantity: 100 });
    expect(o).toMatchObject({ status: 'Submitted', filled: 0 });
    h.tick(AAPL, { bid: 100, ask: 100.01 });
    expect(h.orderOf(o).status).toBe('Filled');
  });
});

describe('sim engine: limit orders', () => {
  it('a marketable BUY fills at the ask (price improvement) and removes liquidity', () => {
    const h = harness();
    h.quote(AAPL, { bid: 100, ask: 100.02, askSize: 300 });
    const o = h.place({ orderType: 'LMT', lmtPrice: 100.05, totalQuantity: 200 });
    expect(o).toMatchObject({ status: 'Filled', avgFillPrice: 100.02 });
    expect(h.fills()[0]?.lastLiquidity).toBe(2);
  });

  it('a BUY below the ask rests and fills, adding liquidity, when the ask comes down to it', () => {
    const h = harness();
    h.quote(AAPL, { bid: 99.99, ask: 100.02 });
    const o = h.place({ orderType: 'LMT', lmtPrice: 100, totalQuantity: 300 });
    expect(o.filled).toBe(0);
    h.tick(AAPL, { bid: 99.99, ask: 100.01, askSize: 1000 });
    expect(h.fills()).toHaveLength(0);
    h.tick(AAPL, { bid: 99.99, ask: 100, askSize: 100 });
    h.tick(AAPL, { bid: 99.97, ask: 99.98, askSize: 500 });
    expect(prices(h.fills())).toEqual([
      [100, 100],
      [200, 99.98],
    ]);
    expect(h.fills().map((f) => f.lastLiquidity)).toEqual([1, 1]);
    expect(h.orderOf(o).status).toBe('Filled');
  });

  it('a SELL fills at the bid when the bid is at or above its limit, never below', () => {
    const h = harness();
    h.quote(AAPL, { bid: 99.98, ask: 100 });
    const o = h.place({ action: 'SELL', orderType: 'LMT', lmtPrice: 100.02, totalQuantity: 200 });
    h.tick(AAPL, { bid: 100.01, ask: 100.03, bidSize: 500 });
    expect(h.fills()).toHaveLength(0);
    h.tick(AAPL, { bid: 100.04, ask: 100.05, bidSize: 100 });
    h.tick(AAPL, { bid: 100.02, ask: 100.03, bidSize: 100 });
    expect(prices(h.fills())).toEqual([
      [100, 100.04],
      [100, 100.02],
    ]);
    expect(h.orderOf(o).status).toBe('Filled');
    // Marketable on arrival: fills at the bid above the limit.
    h.quote(AAPL, { bid: 99.9, ask: 99.92 });
    const m = h.place({ action: 'SELL', orderType: 'LMT', lmtPrice: 99.5, totalQuantity: 100 });
    expect(m).toMatchObject({ status: 'Filled', avgFillPrice: 99.9 });
    expect(h.fills(m.orderId)[0]?.lastLiquidity).toBe(2);
  });

  it('gives displayed size to the better-priced resting limit first', () => {
    const h = harness();
    h.quote(AAPL, { bid: 99.9, ask: 100.1 });
    const low = h.place({ orderType: 'LMT', lmtPrice: 100, totalQuantity: 100 });
    const high = h.place({ orderType: 'LMT', lmtPrice: 100.01, totalQuantity: 100 });
    h.tick(AAPL, { bid: 99.9, ask: 100, askSize: 100 });
    expect(h.orderOf(high).status).toBe('Filled');
    expect(h.orderOf(low).filled).toBe(0);
    h.tick(AAPL, { bid: 99.9, ask: 100, askSize: 100 });
    expect(h.orderOf(low).status).toBe('Filled');
  });
});

describe('sim engine: stops', () => {
  it('a BUY STP triggers on a trade at or above the stop (not on the ask) and then fills as MKT', () => {
    const h = harness();
    h.quote(AAPL, { bid: 100, ask: 100.02, trade: 100.01 });
    const o = h.place({ orderType: 'STP', auxPrice: 101, totalQuantity: 300 });
    expect(o).toMatchObject({ status: 'Submitted', triggered: false, filled: 0 });
    h.tick(AAPL, { bid: 101, ask: 101.05, trade: 100.99 });
    h.tick(AAPL, { bid: 101.02, ask: 101.06 });
    expect(h.orderOf(o).triggered).toBe(false);
    h.events.length = 0;
    h.tick(AAPL, { bid: 101, ask: 101.02, askSize: 100, trade: 101 });
    expect(kinds(h.events)).toEqual(['order:Submitted', 'execution', 'order:Submitted', 'account']);
    expect(h.orderOf(o)).toMatchObject({ triggered: true, filled: 100 });
    h.tick(AAPL, { bid: 100.5, ask: 100.6, askSize: 500 });
    expect(prices(h.fills())).toEqual([
      [100, 101.02],
      [200, 100.6],
    ]);
    expect(h.fills().map((f) => f.lastLiquidity)).toEqual([2, 2]);
  });

  it('a SELL STP triggers on a trade at or below the stop', () => {
    const h = harness();
    h.quote(AAPL, { bid: 100, ask: 100.02, trade: 100 });
    const o = h.place({ action: 'SELL', orderType: 'STP', auxPrice: 99, totalQuantity: 100 });
    h.tick(AAPL, { bid: 98.9, ask: 99.1, trade: 99.01 });
    expect(h.orderOf(o).triggered).toBe(false);
    h.tick(AAPL, { bid: 98.95, ask: 98.97, trade: 99 });
    expect(h.orderOf(o)).toMatchObject({ triggered: true, status: 'Filled', avgFillPrice: 98.95 });
  });

  it('triggers on the quote for instruments without trades (FX)', () => {
    const h = harness();
    h.quote(EURUSD, { bid: 1.08, ask: 1.08005, askSize: 1_000_000, bidSize: 1_000_000 });
    const buy = h.place({ instrument: EURUSD, orderType: 'STP', auxPrice: 1.081, totalQuantity: 20_000 });
    const sell = h.place({ instrument: EURUSD, action: 'SELL', orderType: 'STP', auxPrice: 1.079, totalQuantity: 20_000 });
    h.tick(EURUSD, { bid: 1.0809, ask: 1.08095, askSize: 1_000_000, bidSize: 1_000_000 });
    expect(h.orderOf(buy).triggered).toBe(false);
    h.tick(EURUSD, { bid: 1.08095, ask: 1.081, askSize: 1_000_000, bidSize: 1_000_000 });
    expect(h.orderOf(buy)).toMatchObject({ status: 'Filled', avgFillPrice: 1.081 });
    h.tick(EURUSD, { bid: 1.079, ask: 1.07905, askSize: 1_000_000, bidSize: 1_000_000 });
    expect(h.orderOf(sell)).toMatchObject({ status: 'Filled', avgFillPrice: 1.079 });
  });

  it('triggers at once when the last trade is already through the stop', () => {
    const h = harness();
    h.quote(AAPL, { bid: 101.5, ask: 101.52, trade: 101.51 });
    const o = h.place({ orderType: 'STP', auxPrice: 101, totalQuantity: 100 });
    expect(o).toMatchObject({ triggered: true, status: 'Filled', avgFillPrice: 101.52 });
  });

  it('a STP LMT triggers like a stop, then never fills beyond its limit', () => {
    const h = harness();
    h.quote(AAPL, { bid: 100, ask: 100.02, trade: 100 });
    const o = h.place({ orderType: 'STP LMT', auxPrice: 101, lmtPrice: 101.1, totalQuantity: 200 });
    h.tick(AAPL, { bid: 101.15, ask: 101.2, trade: 101 });
    expect(h.orderOf(o)).toMatchObject({ triggered: true, filled: 0 });
    h.tick(AAPL, { bid: 101.12, ask: 101.15, trade: 101.14 });
    expect(h.fills()).toHaveLength(0);
    h.tick(AAPL, { bid: 101.05, ask: 101.1, askSize: 100 });
    h.tick(AAPL, { bid: 101.0, ask: 101.08, askSize: 100 });
    expect(prices(h.fills())).toEqual([
      [100, 101.1],
      [100, 101.08],
    ]);
    // It rested after triggering, so its fills added liquidity.
    expect(h.fills().map((f) => f.lastLiquidity)).toEqual([1, 1]);
  });

  it('a STP LMT marketable when it triggers fills at once, removing liquidity', () => {
    const h = harness();
    h.quote(AAPL, { bid: 100, ask: 100.02, trade: 100 });
    const o = h.place({ orderType: 'STP LMT', auxPrice: 101, lmtPrice: 101.1, totalQuantity: 100 });
    h.tick(AAPL, { bid: 101, ask: 101.05, trade: 101.02 });
    expect(h.orderOf(o)).toMatchObject({ status: 'Filled', avgFillPrice: 101.05 });
    expect(h.fills()[0]?.lastLiquidity).toBe(2);
  });
});

describe('sim engine: time in force and sessions', () => {
  it('IOC fills what is displayed on arrival and cancels the rest at once', () => {
    const h = harness();
    h.quote(AAPL, { bid: 100, ask: 100.02, askSize: 200 });
    const o = h.place({ orderType: 'LMT', lmtPrice: 100.05, tif: 'IOC', totalQuantity: 500 });
    expect(kinds(h.events)).toEqual(['order:Submitted', 'execution', 'order:Submitted', 'account', 'order:Cancelled']);
    expect(o).toMatchObject({ status: 'Cancelled', filled: 200, remaining: 300 });
    h.tick(AAPL, { bid: 100, ask: 100.02, askSize: 1000 });
    expect(h.fills()).toHaveLength(1);
    const miss = h.place({ orderType: 'LMT', lmtPrice: 99, tif: 'IOC' });
    expect(miss).toMatchObject({ status: 'Cancelled', filled: 0 });
  });

  it('DAY expires at the session end; GTC survives into the next session', () => {
    const h = harness();
    const end = T0 + 6 * HOUR;
    h.setSessionEnd((_, at) => (at < end ? end : undefined));
    h.setOpen((_, at) => at < end || at >= end + 17 * HOUR);
    h.quote(AAPL, { bid: 99, ask: 100 });
    const day = h.place({ orderType: 'LMT', lmtPrice: 90 });
    const gtc = h.place({ orderType: 'LMT', lmtPrice: 90, tif: 'GTC' });
    h.engine.onTime(end - 1);
    expect(h.orderOf(day).status).toBe('Submitted');
    h.engine.onTime(end);
    expect(h.orderOf(day)).toMatchObject({ status: 'Cancelled', completedStatus: 'Order expired', completedAt: end });
    expect(h.orderOf(gtc).status).toBe('PreSubmitted');
    h.setNow(end + 17 * HOUR);
    h.tick(AAPL, { bid: 89.9, ask: 90 });
    expect(h.orderOf(gtc)).toMatchObject({ status: 'Filled', avgFillPrice: 90 });
  });

  it('an RTH-only DAY order expires at the regular close; an outsideRth one at the session end', () => {
    const h = harness();
    const rthClose = T0 + 6 * HOUR;
    const sessionClose = T0 + 10 * HOUR;
    h.setOpen((_, at, rthOnly) => at < (rthOnly ? rthClose : sessionClose));
    h.setSessionEnd((_, at) => (at < sessionClose ? sessionClose : undefined));
    h.quote(AAPL, { bid: 99, ask: 100 });
    const rth = h.place({ orderType: 'LMT', lmtPrice: 90 });
    const ext = h.place({ orderType: 'LMT', lmtPrice: 90, outsideRth: true });
    h.engine.onTime(rthClose);
    expect(h.orderOf(rth)).toMatchObject({ status: 'Cancelled', completedStatus: 'Order expired' });
    expect(h.orderOf(ext).status).toBe('Submitted');
    h.engine.onTime(sessionClose);
    expect(h.orderOf(ext)).toMatchObject({ status: 'Cancelled', completedStatus: 'Order expired' });
  });

  it('holds an order placed while closed (PreSubmitted) and works it from the open', () => {
    const h = harness();
    const openAt = T0 + HOUR;
    const closeAt = T0 + 7 * HOUR;
    h.setOpen((_, at) => at >= openAt && at < closeAt);
    h.setSessionEnd((_, at) => (at >= openAt && at < closeAt ? closeAt : undefined));
    h.quote(AAPL, { bid: 100, ask: 100.02, askSize: 500 });
    const mkt = h.place({ totalQuantity: 100 });
    const lmt = h.place({ orderType: 'LMT', lmtPrice: 99, totalQuantity: 100 });
    expect(mkt).toMatchObject({ status: 'PreSubmitted', filled: 0 });
    expect(lmt.status).toBe('PreSubmitted');
    expect(h.fills()).toHaveLength(0);
    expect(h.engine.workingConIds()).toEqual([AAPL.conId]);
    h.setNow(openAt);
    h.engine.onTime(openAt);
    expect(h.orderOf(mkt)).toMatchObject({ status: 'Filled', avgFillPrice: 100.02 });
    expect(h.fills()[0]?.lastLiquidity).toBe(2);
    expect(h.orderOf(lmt).status).toBe('Submitted');
    // A DAY order placed while closed lives until the end of the session it started working in.
    h.engine.onTime(closeAt - 1);
    expect(h.orderOf(lmt).status).toBe('Submitted');
    h.engine.onTime(closeAt);
    expect(h.orderOf(lmt)).toMatchObject({ status: 'Cancelled', completedStatus: 'Order expired' });
  });

  it('releases a held order on the first open tick, and IOC while closed is cancelled', () => {
    const h = harness();
    const openAt = T0 + HOUR;
    h.setOpen((_, at) => at >= openAt);
    h.quote(AAPL, { bid: 100, ask: 100.02 });
    const ioc = h.place({ tif: 'IOC' });
    expect(ioc).toMatchObject({ status: 'Cancelled', filled: 0 });
    const held = h.place({ totalQuantity: 100 });
    h.setNow(openAt - 1000);
    h.tick(AAPL, { bid: 100.1, ask: 100.12 });
    expect(h.orderOf(held).status).toBe('Filled');
    expect(h.fills()[0]?.price).toBe(100.12);
  });

  it('outsideRth orders work in extended hours; RTH-only orders wait for the regular session', () => {
    const h = harness();
    const rthOpen = T0 + HOUR;
    h.setOpen((_, at, rthOnly) => !rthOnly || at >= rthOpen);
    h.quote(AAPL, { bid: 100, ask: 100.02, askSize: 1000 });
    const ext = h.place({ orderType: 'LMT', lmtPrice: 100.02, outsideRth: true });
    const rth = h.place({ orderType: 'LMT', lmtPrice: 100.02 });
    expect(ext.status).toBe('Filled');
    expect(rth.status).toBe('PreSubmitted');
    h.setNow(rthOpen);
    h.tick(AAPL, { bid: 100, ask: 100.01, dt: 0 });
    expect(h.orderOf(rth)).toMatchObject({ status: 'Filled', avgFillPrice: 100.01 });
  });
});

describe('sim engine: modify and cancel', () => {
  it('modifies quantity and price, re-emits the order, and fills when made marketable', () => {
    const h = harness();
    h.quote(AAPL, { bid: 99.98, ask: 100.02, askSize: 1000 });
    const o = h.place({ orderType: 'LMT', lmtPrice: 99.9, totalQuantity: 100, orderRef: 'a' });
    h.events.length = 0;
    const bigger = h.engine.place(h.ticket({ orderId: o.orderId, orderType: 'LMT', lmtPrice: 99.95, totalQuantity: 300, orderRef: 'b' }));
    expect(bigger.ok && bigger.order).toMatchObject({ totalQuantity: 300, remaining: 300, lmtPrice: 99.95, orderRef: 'b', permId: o.permId });
    expect(kinds(h.events)).toEqual(['order:Submitted']);
    const marketable = h.engine.place(h.ticket({ orderId: o.orderId, orderType: 'LMT', lmtPrice: 100.05, totalQuantity: 300 }));
    expect(marketable.ok && marketable.order).toMatchObject({ status: 'Filled', avgFillPrice: 100.02 });
    expect(h.fills()[0]?.lastLiquidity).toBe(2);
  });

  it('refuses a quantity below the filled one, and a reduction to the filled quantity completes the order', () => {
    const h = harness();
    h.quote(AAPL, { bid: 99.98, ask: 100.02, askSize: 100 });
    const o = h.place({ totalQuantity: 300 });
    expect(o.filled).toBe(100);
    const below = h.engine.place(h.ticket({ orderId: o.orderId, totalQuantity: 50 }));
    expect(below.ok || below.error.code).toBe(321);
    expect(h.orderOf(o).totalQuantity).toBe(300);
    const atFilled = h.engine.place(h.ticket({ orderId: o.orderId, totalQuantity: 100 }));
    expect(atFilled.ok && atFilled.order).toMatchObject({ status: 'Filled', totalQuantity: 100, remaining: 0 });
  });

  it('refuses changes of contract, action or order type', () => {
    const h = harness();
    h.quote(AAPL, { bid: 99, ask: 101 });
    const o = h.place({ orderType: 'LMT', lmtPrice: 98 });
    for (const change of [{ action: 'SELL' as const }, { orderType: 'MKT' as const }, { instrument: ES, lmtPrice: 5000 }]) {
      const r = h.engine.place(h.ticket({ orderId: o.orderId, orderType: 'LMT', lmtPrice: 98, ...change }));
      expect(r.ok || r.error.code).toBe(321);
    }
  });

  it('answers 104 for a filled order, 103 for a cancelled one or a reused lower id, and keeps ids per client', () => {
    const h = harness();
    h.quote(AAPL, { bid: 99.98, ask: 100.02, askSize: 1000 });
    const filled = h.place({ orderId: 10 });
    const cancelled = h.place({ orderId: 11, orderType: 'LMT', lmtPrice: 90 });
    h.engine.cancel(11, 1);
    const modFilled = h.engine.place(h.ticket({ orderId: filled.orderId }));
    expect(modFilled.ok ? undefined : modFilled.error).toEqual({ code: 104, message: 'Cannot modify a filled order.' });
    const modCancelled = h.engine.place(h.ticket({ orderId: cancelled.orderId }));
    expect(modCancelled.ok ? undefined : modCancelled.error).toEqual({ code: 103, message: 'Duplicate order id' });
    const lower = h.engine.place(h.ticket({ orderId: 5 }));
    expect(lower.ok ? undefined : lower.error.code).toBe(103);
    const otherClient = h.engine.place(h.ticket({ orderId: 5, clientId: 2 }));
    expect(otherClient.ok).toBe(true);
    expect(h.engine.place(h.ticket({ orderId: 12 })).ok).toBe(true);
  });

  it('cancels a working order, and answers 135 and 10148 otherwise', () => {
    const h = harness();
    h.quote(AAPL, { bid: 99.98, ask: 100.02, askSize: 1000 });
    const o = h.place({ orderType: 'LMT', lmtPrice: 90 });
    h.events.length = 0;
    const r = h.engine.cancel(o.orderId, 1);
    expect(r.ok && r.order).toMatchObject({ status: 'Cancelled', completedStatus: 'Cancelled by Trader' });
    expect(kinds(h.events)).toEqual(['order:Cancelled']);
    const again = h.engine.cancel(o.orderId, 1);
    expect(again.ok ? undefined : again.error).toEqual({
      code: 10148,
      message: `OrderId ${o.orderId} that needs to be cancelled cannot be cancelled, state: Cancelled.`,
    });
    const filled = h.place();
    const f = h.engine.cancel(filled.orderId, 1);
    expect(f.ok ? undefined : f.error.message).toBe(`OrderId ${filled.orderId} that needs to be cancelled cannot be cancelled, state: Filled.`);
    const unknown = h.engine.cancel(999, 1);
    expect(unknown.ok ? undefined : unknown.error).toEqual({ code: 135, message: "Can't find order with id =999" });
    // Order ids are per client: client 2 has no order 1.
    expect(h.engine.cancel(o.orderId, 2).ok).toBe(false);
  });

  it('cancelAll cancels every working order of every client', () => {
    const h = harness();
    h.quote(AAPL, { bid: 99, ask: 101 });
    h.place({ orderType: 'LMT', lmtPrice: 90 });
    h.place({ orderType: 'LMT', lmtPrice: 91, clientId: 7 });
    h.setOpen(() => false);
    h.place({ orderType: 'LMT', lmtPrice: 92, tif: 'GTC' });
    expect(h.engine.openOrders()).toHaveLength(3);
    h.engine.cancelAll();
    expect(h.engine.openOrders()).toEqual([]);
    expect(h.engine.completedOrders().map((o) => o.status)).toEqual(['Cancelled', 'Cancelled', 'Cancelled']);
    expect(h.engine.workingConIds()).toEqual([]);
  });
});

describe('sim engine: validation', () => {
  const rejectionOf = (h: ReturnType<typeof harness>, fields: Partial<OrderTicket>) => {
    const r = h.engine.place(h.ticket(fields));
    if (r.ok) throw new Error('expected a rejection');
    return r.error;
  };

  it('rejects invalid quantities with 201, emitting nothing, and keeps the order as Inactive', () => {
    const h = harness();
    h.quote(AAPL, { bid: 99, ask: 101 });
    for (const totalQuantity of [0, -5, 1.5, Number.NaN]) {
      expect(rejectionOf(h, { totalQuantity })).toEqual({ code: 201, message: 'Order rejected - reason:Order quantity is invalid.' });
    }
    expect(h.events).toEqual([]);
    const last = h.engine.completedOrders().at(-1);
    expect(last).toMatchObject({ status: 'Inactive' });
    expect(rejectionOf(h, { orderId: last?.orderId }).code).toBe(103);
  });

  it('requires lmtPrice and auxPrice (321, naming the field)', () => {
    const h = harness();
    const missing = rejectionOf(h, { orderType: 'LMT' });
    expect(missing.code).toBe(321);
    expect(missing.message).toMatch(/^Error validating request:-'bN' : cause - .*lmtPrice/);
    expect(rejectionOf(h, { orderType: 'STP' }).message).toMatch(/auxPrice/);
    expect(rejectionOf(h, { orderType: 'STP LMT', auxPrice: 100 }).message).toMatch(/lmtPrice/);
    expect(rejectionOf(h, { orderType: 'STP LMT', lmtPrice: 100 }).message).toMatch(/auxPrice/);
    expect(rejectionOf(h, { orderType: 'LMT', lmtPrice: 0 }).code).toBe(321);
    expect(rejectionOf(h, { orderType: 'LMT', lmtPrice: Number.MAX_VALUE }).code).toBe(321);
  });

  it('rejects prices off the tick grid with 110, tolerating floating error', () => {
    const h = harness();
    h.quote(AAPL, { bid: 99, ask: 101 });
    h.quote(ES, { bid: 4999.75, ask: 5000 });
    h.quote(EURUSD, { bid: 1.08, ask: 1.08005 });
    expect(rejectionOf(h, { orderType: 'LMT', lmtPrice: 100.005 })).toEqual({
      code: 110,
      message: 'The price does not conform to the minimum price variation for this contract.',
    });
    expect(rejectionOf(h, { instrument: ES, orderType: 'STP', auxPrice: 5000.1, totalQuantity: 1 }).code).toBe(110);
    expect(h.place({ instrument: ES, orderType: 'LMT', lmtPrice: 4000.25, totalQuantity: 1 }).status).toBe('Submitted');
    expect(h.place({ orderType: 'LMT', lmtPrice: 0.1 + 0.2 }).status).toBe('Submitted');
    expect(h.place({ instrument: EURUSD, orderType: 'LMT', lmtPrice: 1.07 + 0.00035, totalQuantity: 20_000 }).status).toBe('Submitted');
    expect(rejectionOf(h, { instrument: EURUSD, orderType: 'LMT', lmtPrice: 1.07002, totalQuantity: 20_000 }).code).toBe(110);
  });

  it('accepts the blank or own account and rejects another (321)', () => {
    const h = harness();
    h.quote(AAPL, { bid: 99, ask: 101 });
    expect(h.place({ account: 'DU1234567', orderType: 'LMT', lmtPrice: 90 }).account).toBe('DU1234567');
    expect(h.place({ account: '', orderType: 'LMT', lmtPrice: 90 }).account).toBe('DU1234567');
    const other = rejectionOf(h, { account: 'U999' });
    expect(other.code).toBe(321);
    expect(other.message).toContain("'U999'");
  });

  it('rejects an unknown instrument (200) and an order type the contract does not take (387)', () => {
    const h = harness();
    expect(rejectionOf(h, { instrument: { ...AAPL, conId: 1 } }).code).toBe(200);
    expect(rejectionOf(h, { instrument: { ...AAPL, orderTypes: 'LMT,MKT' }, orderType: 'STP', auxPrice: 100 }).code).toBe(387);
  });

  it('rejectNextOrder fails exactly the next place() with 201 and the reason', () => {
    const h = harness();
    h.quote(AAPL, { bid: 99, ask: 101 });
    h.engine.rejectNextOrder('Simulated outage');
    expect(rejectionOf(h, {})).toEqual({ code: 201, message: 'Order rejected - reason:Simulated outage' });
    expect(h.events).toEqual([]);
    expect(h.place().status).toBe('Filled');
  });
});

describe('sim engine: buying power', () => {
  it('stocks: 25 % initial margin against Equity with Loan Value, at the boundary', () => {
    const h = harness();
    h.quote(AAPL, { bid: 99.99, ask: 100, askSize: 100 });
    // 40,000 × 100 × 25 % = 1,000,000 = ELV: allowed. 40,001 shares exceed it.
    expect(h.place({ totalQuantity: 40_000 }).status).toBe('Submitted');
    const h2 = harness();
    h2.quote(AAPL, { bid: 99.99, ask: 100, askSize: 100 });
    const r = h2.engine.place(h2.ticket({ totalQuantity: 40_001 }));
    expect(r.ok ? undefined : r.error).toEqual({
      code: 201,
      message:
        'Order rejected - reason:Your order is not accepted. In order to obtain the desired position your Equity with Loan Value ' +
        '[1000000.00 USD] must exceed the Initial Margin [1000025.00 USD]',
    });
    expect(h2.events).toEqual([]);
    // A limit order is valued at its limit; a short the same way.
    expect(h2.engine.place(h2.ticket({ orderType: 'LMT', lmtPrice: 50, totalQuantity: 80_000 })).ok).toBe(true);
    expect(h2.engine.place(h2.ticket({ action: 'SELL', orderType: 'LMT', lmtPrice: 200, totalQuantity: 20_001 })).ok).toBe(false);
  });

  it('futures: a fixed margin per contract; orders that reduce exposure are not checked', () => {
    const h = harness();
    h.quote(ES, { bid: 4999.75, ask: 5000, askSize: 100, bidSize: 100, trade: 5000 });
    const r67 = h.engine.place(h.ticket({ instrument: ES, totalQuantity: 67 }));
    expect(r67.ok ? undefined : r67.error.code).toBe(201);
    const bought = h.place({ instrument: ES, totalQuantity: 66 });
    expect(bought.status).toBe('Filled');
    // The market falls: equity drops below the margin of the position held.
    h.tick(ES, { bid: 4800, ask: 4800.25, trade: 4800 });
    expect(h.engine.place(h.ticket({ instrument: ES, totalQuantity: 1 })).ok).toBe(false);
    expect(h.place({ instrument: ES, action: 'SELL', totalQuantity: 10 }).status).toBe('Filled');
    // Flipping beyond flat increases exposure and is checked again.
    expect(h.engine.place(h.ticket({ instrument: ES, action: 'SELL', totalQuantity: 200 })).ok).toBe(false);
  });

  it('FX: 3 % of notional', () => {
    // 1,000,000 / (3 % × 1.25) = 26,666,666.67 EUR.
    const attempt = (totalQuantity: number): boolean => {
      const h = harness();
      h.quote(EURUSD, { bid: 1.24995, ask: 1.25, askSize: 1000 });
      return h.engine.place(h.ticket({ instrument: EURUSD, totalQuantity })).ok;
    };
    expect(attempt(26_666_666)).toBe(true);
    expect(attempt(26_666_667)).toBe(false);
  });
});

describe('sim engine: events, executions and ids', () => {
  it('emits execution → order → account for every fill, with IB-shaped fields', () => {
    const h = harness({ firstPermId: 500 });
    h.quote(AAPL, { bid: 99.98, ask: 100.02, askSize: 100 });
    const o = h.place({ totalQuantity: 200, orderRef: 'dd-42' });
    h.tick(AAPL, { bid: 99.98, ask: 100.03, askSize: 100 });
    expect(kinds(h.events)).toEqual(['order:Submitted', 'execution', 'order:Submitted', 'account', 'execution', 'order:Filled', 'account']);
    const execEvents = h.events.filter((e) => e.kind === 'execution');
    const [first, second] = execEvents;
    expect(first?.execution).toMatchObject({
      orderId: o.orderId,
      clientId: 1,
      permId: 500,
      conId: AAPL.conId,
      account: 'DU1234567',
      side: 'BOT',
      shares: 100,
      price: 100.02,
      cumQty: 100,
      avgPrice: 100.02,
      orderRef: 'dd-42',
      exchange: 'ISLAND',
    });
    expect(first?.execution.execId).toMatch(/^[0-9a-f]{8}\.[0-9a-f]{8}\.01\.01$/);
    expect(second?.execution.execId).not.toBe(first?.execution.execId);
    expect(second?.execution.avgPrice).toBeCloseTo(100.025, 9);
    expect(first?.commission).toEqual({ execId: first?.execution.execId, commission: 1, currency: 'USD', realizedPnL: undefined });
    expect(h.engine.commission(first?.execution.execId ?? '')).toEqual(first?.commission);
    // The order event after an execution already carries the fill.
    const afterFirst = h.events[2];
    expect(afterFirst?.kind === 'order' && afterFirst.order).toMatchObject({ filled: 100, remaining: 100, avgFillPrice: 100.02 });
    expect(h.place({ orderType: 'LMT', lmtPrice: 90 }).permId).toBe(501);
  });

  it('is deterministic: the same script gives the same ids and executions', () => {
    const run = () => {
      const h = harness();
      h.quote(AAPL, { bid: 99.98, ask: 100.02, askSize: 100 });
      h.place({ totalQuantity: 300 });
      h.tick(AAPL, { bid: 99.98, ask: 100.03, askSize: 100 });
      h.tick(AAPL, { bid: 99.98, ask: 100.04, askSize: 100 });
      return h.engine.executions();
    };
    expect(run()).toEqual(run());
  });

  it('books fills into the account: a long, a flip to short with partial fills, and the realized P&L in the reports', () => {
    const h = harness();
    h.quote(AAPL, { bid: 99.99, ask: 100, askSize: 100, bidSize: 100 });
    h.place({ totalQuantity: 100 });
    expect(h.engine.account.position(AAPL.conId)).toMatchObject({ quantity: 100, averageCost: 100.01 });
    // Sell 300 into 100-share bids: closes the long on the first fill, then builds a short.
    const sell = h.place({ action: 'SELL', totalQuantity: 300 });
    h.tick(AAPL, { bid: 99, ask: 99.01, bidSize: 200 });
    expect(h.orderOf(sell).status).toBe('Filled');
    const reports = h.fills().map((f) => h.engine.commission(f.execId)?.realizedPnL);
    expect(reports[0]).toBeUndefined();
    expect(reports[1]).toBeCloseTo((99.99 - 100.01) * 100 - 1, 9);
    expect(reports[2]).toBeUndefined();
    expect(h.engine.account.position(AAPL.conId)).toMatchObject({ quantity: -200 });
    expect(h.engine.account.position(AAPL.conId)?.averageCost).toBeCloseTo(99 - 1 / 200, 9);
  });
});

describe('sim engine: its state across restarts', () => {
  /** A run that leaves a position, a partly filled working order, a resting limit and a rejected order behind. */
  function firstRun() {
    const h = harness({ firstPermId: 500, execIdPrefix: '0000e0d5' });
    h.quote(AAPL, { bid: 99.98, ask: 100.02, askSize: 100 });
    const partial = h.place({ totalQuantity: 300, orderRef: 'dd-partial' });
    const resting = h.place({ orderType: 'LMT', lmtPrice: 90, tif: 'GTC', orderRef: 'dd-resting' });
    h.engine.rejectNextOrder('a fault');
    expect(h.engine.place(h.ticket({ instrument: ES })).ok).toBe(false);
    // Saved as the simulator saves it: through JSON.
    return { h, partial, resting, state: JSON.parse(JSON.stringify(h.engine.state())) as EngineState };
  }

  it('carries on as the same venue: orders, executions, commissions, positions, cash and ids', () => {
    const { h, partial, resting, state } = firstRun();
    const next = harness({ restore: state, execIdPrefix: '7f3a9c01' });
    expect(next.engine.state()).toEqual(state);
    expect(next.engine.openOrders()).toEqual(h.engine.openOrders());
    expect(next.engine.completedOrders()).toEqual(h.engine.completedOrders());
    expect(next.engine.executions()).toEqual(h.engine.executions());
    expect(next.engine.commission(h.fills()[0]!.execId)).toEqual(h.engine.commission(h.fills()[0]!.execId));
    expect(next.engine.account.positions()).toEqual(h.engine.account.positions());
    const cash = (e: MatchingEngine) => e.account.values(h.now).find((v) => v.key === 'TotalCashValue')?.value;
    expect(cash(next.engine)).toBe(cash(h.engine));

    // The working order keeps working and fills; its execution carries this run's prefix.
    next.setNow(h.now);
    next.tick(AAPL, { bid: 99.98, ask: 100.03, askSize: 200 });
    expect(next.orderOf(partial)).toMatchObject({ status: 'Filled', filled: 300 });
    expect(next.orderOf(resting)).toMatchObject({ status: 'Submitted' });
    const fresh = next.fills().at(-1)!;
    expect(fresh.execId).toMatch(/^7f3a9c01\.[0-9a-f]{8}\.01\.01$/);
    expect(h.fills().map((f) => f.execId)).not.toContain(fresh.execId);
    expect(next.engine.account.position(AAPL.conId)?.quantity).toBe(300);
    // Order ids stay used, perm ids go on.
    expect(next.engine.place(next.ticket({ orderId: resting.orderId - 1 })).ok).toBe(false);
    const placed = next.engine.place(next.ticket({ orderId: 50, orderType: 'LMT', lmtPrice: 80 }));
    expect(placed.ok && placed.order.permId).toBe(Math.max(...state.orders.map((o) => o.permId)) + 1);
  });

  it('never hands out an execution id prefix an earlier run used', () => {
    const { state } = firstRun();
    expect(() => harness({ restore: state, execIdPrefix: '0000e0d5' })).toThrow(/prefix 0000e0d5 was used by an earlier run/);
  });

  it('forgets done orders and executions older than it keeps, not working orders nor their ids', () => {
    const h = harness();
    h.quote(AAPL, { bid: 99.98, ask: 100.02, askSize: 1000 });
    const old = h.place({ totalQuantity: 10 });
    const resting = h.place({ orderType: 'LMT', lmtPrice: 90, tif: 'GTC' });
    const cutoff = h.now + 1;
    h.quote(AAPL, { bid: 99.98, ask: 100.02, askSize: 1000, dt: 2000 });
    const recent = h.place({ totalQuantity: 20 });
    const [oldFill, recentFill] = h.fills();
    h.engine.forget(cutoff);
    expect(h.fills()).toEqual([recentFill]);
    expect(h.engine.commission(oldFill!.execId)).toBeUndefined();
    expect(h.engine.commission(recentFill!.execId)).toBeDefined();
    expect(h.engine.order(old.orderId, old.clientId)).toBeUndefined();
    expect(h.engine.completedOrders().map((o) => o.orderId)).toEqual([recent.orderId]);
    expect(h.engine.openOrders().map((o) => o.orderId)).toEqual([resting.orderId]);
    expect(h.engine.state().executions).toEqual([recentFill]);
    // A forgotten order's id stays used.
    expect(h.engine.place(h.ticket({ orderId: old.orderId })).ok).toBe(false);
  });
});
