import { afterEach, describe, expect, it } from 'vitest';
import { AcceleratedClock, systemClock } from '../../../src/main/clock';
import { createDemoSimulator, demoMarketDataLines, demoSymbols, MAX_DEMO_SYMBOLS, type Simulator } from '../../../src/main/sim';
import { CON_ID } from '../../support/fixtures';

describe('the demo market', () => {
  let sim: Simulator | undefined;
  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
  });

  it('builds its universe from the catalog first, then synthetic stocks SYM001…', () => {
    expect(demoSymbols()).toEqual(['AAPL', 'MSFT', 'NVDA', 'AMZN', 'SPY', 'EUR.USD', 'ES']);
    expect(demoSymbols(3)).toEqual(['AAPL', 'MSFT', 'NVDA']);
    const fifty = demoSymbols(50);
    expect(fifty).toHaveLength(50);
    expect(new Set(fifty).size).toBe(50);
    expect(fifty.slice(7, 9)).toEqual(['SYM001', 'SYM002']);
    expect(fifty[49]).toBe('SYM043');
    for (const bad of [0, -1, 2.5, MAX_DEMO_SYMBOLS + 1, Number.NaN]) expect(() => demoSymbols(bad)).toThrow(RangeError);
  });

  it('offers two market data lines per instrument (quotes and bars), never fewer than IB’s 100', () => {
    expect(demoMarketDataLines(7)).toBe(100);
    expect(demoMarketDataLines(50)).toBe(120);
    expect(demoMarketDataLines(500)).toBe(1020);
  });

  it('spreads the rate evenly: 5,000 market updates a second across 50 instruments', () => {
    sim = createDemoSimulator({ symbols: 50, rate: 5_000 });
    expect(sim.market.instruments).toHaveLength(50);
    expect(sim.clock).toBe(systemClock);
    // Ten seconds of the model after its live start: each instrument ticks 100 times a second (give or take the boundary tick).
    const from = Math.ceil(sim.clock.now() / 5_000) * 5_000 + 5_000;
    for (const i of sim.market.instruments) expect(Math.abs(sim.market.ticks(i.conId, from, from + 10_000).length - 1_000)).toBeLessThanOrEqual(1);
  });

  it('defaults to the catalog at the simulator’s 4 updates a second per instrument, in real time', () => {
    sim = createDemoSimulator();
    expect(sim.market.instruments.map((i) => i.localSymbol).slice(0, 6)).toEqual(['AAPL', 'MSFT', 'NVDA', 'AMZN', 'SPY', 'EUR.USD']);
    const from = Math.ceil(sim.clock.now() / 5_000) * 5_000 + 5_000;
    expect(Math.abs(sim.market.ticks(CON_ID.AAPL, from, from + 60_000).length - 240)).toBeLessThanOrEqual(1);
  });

  it('runs its market clock faster than real time from start() to stop()', async () => {
    sim = createDemoSimulator({ symbols: 2, rate: 10, speed: 1_000 });
    expect(sim.clock).toBeInstanceOf(AcceleratedClock);
    await sim.start();
    const before = sim.clock.now();
    await new Promise((r) => setTimeout(r, 100));
    // 100 ms of real time is about 100 s of market time (the clock steps every 20 ms).
    expect(sim.clock.now() - before).toBeGreaterThan(40_000);
    await sim.stop();
    const stopped = sim.clock.now();
    await new Promise((r) => setTimeout(r, 60));
    expect(sim.clock.now()).toBe(stopped);
    sim = undefined;
  });

  it('refuses a rate or speed that is not a positive number', () => {
    expect(() => createDemoSimulator({ rate: 0 })).toThrow(/rate must be a positive number/);
    expect(() => createDemoSimulator({ speed: Number.POSITIVE_INFINITY })).toThrow(/speed must be a positive number/);
  });
});
