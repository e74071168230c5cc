import { systemClock, type Clock } from '../clock';
import { createLogger, type Logger } from '../ops';
import { createMatchingEngine } from './engine';
import type { MatchingEngine } from './engine/types';
import { createMarketModel, defaultInstruments } from './market';
import type { MarketModel, SessionMode } from './market/types';
import { SimServer, type SimulatorFaults } from './venue/server';
import { Venue } from './venue/venue';

export interface SimulatorOptions {
  /** Loopback only. */
  readonly host?: '127.0.0.1' | '::1';
  /** 0 picks a free port. */
  readonly port?: number;
  readonly seed?: number;
  /** The universe; unknown symbols become synthetic US stocks. Default: the catalog. */
  readonly symbols?: readonly string[];
  /** Updates per second per instrument (default 4). */
  readonly tickRate?: number;
  /** 'always' (default: markets open around the clock, for demos and date-independent tests) or 'exchange'. */
  readonly sessions?: SessionMode;
  readonly clock?: Clock;
  /** A live-looking account ('U…') instead of the paper one, to test live-mode safeguards. */
  readonly liveAccount?: string;
  readonly paperAccount?: string;
  /** Several paper accounts under one login (an advisor's or a family's), each with its own book; the first replaces paperAccount. */
  readonly accounts?: readonly string[];
  readonly marketDataLines?: number;
  readonly maxMessagesPerSecond?: number;
  /** How often (venue time) ticks are pushed out; lower means smoother streams and more CPU. */
  readonly streamIntervalMs?: number;
  readonly historyDays?: number;
  readonly startingCash?: number;
  readonly logger?: Logger;
  /** Real-time milliseconds (pacing and latency are wire-time properties). */
  readonly wallNow?: () => number;
}

export interface Simulator {
  readonly accountId: string;
  readonly clock: Clock;
  readonly market: MarketModel;
  readonly engine: MatchingEngine;
  readonly faults: SimulatorFaults;
  /** Valid after start(). */
  readonly address: { host: string; port: number };
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Runs the market loop once now (tests on a virtual clock call it after advancing). */
  pump(): void;
  clients(): { clientId: number | undefined; version: number }[];
}

export const DEFAULT_PAPER_ACCOUNT = 'DU1234567';

export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger({ level: 'warn' });
  if (options.liveAccount !== undefined && !/^U\d+$/.test(options.liveAccount)) {
    throw new Error(`live account '${options.liveAccount}' must look like U1234567`);
  }
  const papers = options.accounts ?? [options.paperAccount ?? DEFAULT_PAPER_ACCOUNT];
  for (const paper of papers) if (!/^D[UFI]\d+$/.test(paper)) throw new Error(`paper account '${paper}' must look like DU1234567`);
  if (papers.length === 0 || new Set(papers).size !== papers.length) throw new Error('the accounts must be one or more different ids');
  if (options.liveAccount !== undefined && options.accounts !== undefined) throw new Error('a live account and several paper accounts do not go together');
  const accountId = options.liveAccount ?? papers[0] ?? DEFAULT_PAPER_ACCOUNT;
  const startMs = clock.now();
  const historyDays = options.historyDays ?? 5;
  const market = createMarketModel({
    seed: options.seed ?? 42,
    instruments: defaultInstruments(options.symbols, startMs),
    tickRate: options.tickRate ?? 4,
    sessions: options.sessions ?? 'always',
    startMs,
    historyDays,
  });
  const venue = new Venue({
    model: market,
    createEngine: (listener) =>
      createMatchingEngine({
        market,
        instruments: (conId) => market.byConId(conId),
        now: () => clock.now(),
        accountId,
        moreAccounts: options.liveAccount === undefined ? papers.slice(1) : [],
        startingCash: options.startingCash ?? 1_000_000,
        listener,
      }),
    clock,
    logger,
    accountId,
    marketDataLines: options.marketDataLines ?? 100,
    maxMessagesPerSecond: options.maxMessagesPerSecond ?? 50,
    streamIntervalMs: options.streamIntervalMs ?? 20,
    wallNow: options.wallNow ?? (() => performance.now()),
    originMs: startMs - historyDays * 86_400_000,
  });
  const server = new SimServer(venue, options.host ?? '127.0.0.1', options.port ?? 0, logger);

  return {
    accountId,
    clock,
    market,
    engine: venue.engine,
    faults: server.faults,
    get address() {
      return server.address;
    },
    async start() {
      await server.listen();
      venue.start();
      logger.info({ ...server.address, accounts: venue.engine.accountIds }, 'simulator listening');
    },
    async stop() {
      venue.stop();
      await server.close();
    },
    pump: () => venue.pump(),
    clients: () => venue.allSessions().map((s) => ({ clientId: s.clientId, version: s.version })),
  };
}
