import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../clock';
import { createLogger, type Logger } from '../ops';
import { createMatchingEngine } from './engine';
import { execIdPrefixOf } from './engine/ids';
import type { MatchingEngine } from './engine/types';
import { createMarketModel, defaultInstruments } from './market';
import type { MarketModel, SessionMode } from './market/types';
import { SimServer, type SimulatorFaults } from './venue/server';
import { Venue } from './venue/venue';
import { readVenueState, VENUE_STATE_FORMAT, VENUE_STATE_VERSION, VenueStateError, writeVenueState } from './state';

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
  /**
   * The paper account's file (see state.ts): read at creation (a new account when it does not exist,
   * a VenueStateError when it cannot be used), rewritten once per event-loop turn that changed the account.
   */
  readonly stateFile?: string;
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

/** A random execution id prefix for this run, none of `taken` (the prefixes of the saved executions). */
function newExecIdPrefix(taken: readonly string[]): string {
  const used = new Set(taken);
  for (;;) {
    const prefix = randomBytes(4).toString('hex');
    if (!used.has(prefix)) return prefix;
  }
}

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
  const stateFile = options.stateFile;
  // The state file keeps one paper account's book; several accounts are for tests of account choice, not for keeping.
  if (stateFile !== undefined && papers.length > 1) throw new Error('a state file keeps one account: it does not go with several (--accounts)');
  const saved = stateFile === undefined ? undefined : readVenueState(stateFile);
  if (saved !== undefined && saved.accountId !== accountId) {
    throw new VenueStateError(`the simulator's state file ${stateFile} holds account ${saved.accountId}, not ${accountId}`);
  }
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
        execIdPrefix: newExecIdPrefix(saved?.engine.executions.map((e) => execIdPrefixOf(e.execId)) ?? []),
        ...(saved ? { restore: saved.engine } : {}),
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
    ...(saved ? { orderIds: saved.orderIds } : {}),
    ...(stateFile === undefined ? {} : { saveState: () => saveState(stateFile) }),
  });
  function saveState(file: string): void {
    const state = {
      format: VENUE_STATE_FORMAT,
      version: VENUE_STATE_VERSION,
      accountId,
      savedAt: clock.now(),
      orderIds: venue.trading.orderIds(),
      engine: venue.engine.state(),
    } as const;
    try {
      writeVenueState(file, state);
    } catch (err) {
      throw new VenueStateError(`cannot write the simulator's state file ${file}: ${(err as Error).message}`);
    }
  }
  if (stateFile !== undefined && saved === undefined) saveState(stateFile); // a new account: a file that cannot be written fails now, not at the first fill
  if (saved !== undefined) logger.info({ stateFile, orders: saved.engine.orders.length, executions: saved.engine.executions.length }, 'simulator account restored');
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
