// The demo venue's market: how many instruments, how busy, and how fast its clock runs. `dualdesk
// serve --demo` uses the defaults (the catalog at the simulator's default rate, real time); the load
// options (--demo-symbols, --demo-rate, --demo-speed) turn it into a stress source for the UI.
import { AcceleratedClock, systemClock } from '../clock';
import type { Logger } from '../ops';
import { DEFAULT_SYMBOLS } from './market';
import { HISTORY_TICK_RATE } from './market/process';
import { createSimulator, type Simulator } from './simulator';

export interface DemoMarketOptions {
  /** How many instruments: the catalog first, then synthetic stocks (see demoSymbols). Default: the catalog. */
  readonly symbols?: number;
  /**
   * Market updates per second across the whole universe, in market time (each one changes an
   * instrument's bid, ask and/or last trade, as the simulator's `--tick-rate` counts them), spread
   * evenly. Default: the simulator's 4 per instrument.
   */
  readonly rate?: number;
  /** The market clock runs this many times faster than real time (default 1: real time). */
  readonly speed?: number;
}

/** The simulator's default: how often (real time) the market loop pushes ticks out. */
const STREAM_INTERVAL_MS = 20;

/** The demo venue's paper account in the data directory: restarting the desk is like restarting TWS, not opening a new account. */
export const DEMO_VENUE_STATE_FILE = 'demo-venue.json';

/** At most this many demo instruments (each takes two market data lines: quotes and bars). */
export const MAX_DEMO_SYMBOLS = 500;

/**
 * The demo universe of `count` instruments: the catalog (AAPL, MSFT, NVDA, AMZN, SPY, EUR.USD, ES)
 * first, then synthetic US stocks SYM001, SYM002, … (deterministic prices and volatilities).
 */
export function demoSymbols(count: number = DEFAULT_SYMBOLS.length): string[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_DEMO_SYMBOLS) throw new RangeError(`demo symbols must be a whole number from 1 to ${MAX_DEMO_SYMBOLS}`);
  const out = DEFAULT_SYMBOLS.slice(0, count);
  for (let i = 1; out.length < count; i++) out.push(`SYM${String(i).padStart(3, '0')}`);
  return out;
}

/** Market data lines the demo venue offers: IB's 100, or two per instrument (quotes and bars) with room to spare. */
export function demoMarketDataLines(symbols: number): number {
  return Math.max(100, 2 * symbols + 20);
}

/**
 * The in-process simulator of `serve --demo`, with the demo market's universe, rate and clock. An
 * accelerated clock starts and stops with the simulator.
 */
export function createDemoSimulator(options: DemoMarketOptions & { readonly logger?: Logger; readonly port?: number; readonly stateFile?: string } = {}): Simulator {
  const symbols = demoSymbols(options.symbols ?? DEFAULT_SYMBOLS.length);
  const rate = options.rate ?? HISTORY_TICK_RATE * symbols.length;
  if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError('demo rate must be a positive number of updates per second');
  const speed = options.speed ?? 1;
  if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError('demo speed must be a positive number');
  const clock = speed === 1 ? systemClock : new AcceleratedClock(Date.now(), speed);
  const simulator = createSimulator({
    symbols,
    tickRate: rate / symbols.length,
    clock,
    marketDataLines: demoMarketDataLines(symbols.length),
    // Ticks go out every 20 ms of real time whatever the speed (the clock itself steps every 20 ms).
    streamIntervalMs: STREAM_INTERVAL_MS * speed,
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.stateFile === undefined ? {} : { stateFile: options.stateFile }),
  });
  if (!(clock instanceof AcceleratedClock)) return simulator;
  return {
    accountId: simulator.accountId,
    clock,
    market: simulator.market,
    engine: simulator.engine,
    faults: simulator.faults,
    get address() {
      return simulator.address;
    },
    async start() {
      await simulator.start();
      clock.start();
    },
    async stop() {
      clock.stop();
      await simulator.stop();
    },
    pump: () => simulator.pump(),
    clients: () => simulator.clients(),
  };
}
