// The venue: client sessions, request dispatch, and the market loop that feeds the matching engine
// and the subscribers in time order. State (orders, fills, account) belongs to the venue, not to a
// connection, so it survives disconnects and restarts as it does at IB.
import type { Socket } from 'node:net';
import type { Clock, TimerHandle } from '../../clock';
import type { Logger } from '../../ops';
import type { EngineEvent, MatchingEngine } from '../engine/types';
import type { MarketModel } from '../market/types';
import { NO_ID } from '../protocol/constants';
import { ERR, TEXT } from '../protocol/errors';
import { RequestError } from '../protocol/fields';
import { parseRequest, type Request } from '../protocol/incoming';
import { currentTime, managedAccounts, nextValidId } from '../protocol/outgoing';
import { AccountDesk } from './accounts';
import { formatWithZone, TWS_TIME_ZONE } from './formats';
import { MarketDataDesk } from './market-data';
import { ClientSession, type SessionHost } from './session';
import { TradingDesk } from './trading';

export interface VenueOptions {
  readonly model: MarketModel;
  readonly createEngine: (listener: (e: EngineEvent) => void) => MatchingEngine;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly accountId: string;
  readonly marketDataLines: number;
  readonly maxMessagesPerSecond: number;
  /** How often (venue time) the market loop pulls new ticks and pushes them out. */
  readonly streamIntervalMs: number;
  readonly wallNow: () => number;
  /** The earliest time the model serves (reqHeadTimestamp). */
  readonly originMs: number;
  /** [clientId, highest order id] of a previous run (with the engine's restored state). */
  readonly orderIds?: readonly (readonly [number, number])[];
  /** Writes the venue's state durably (throws when it cannot); absent, the venue keeps nothing across runs. */
  readonly saveState?: () => void;
}

/** IB's API answers with the current day's executions and TWS's trade log goes back 7 days: done orders and executions older than that are forgotten. */
export const KEPT_HISTORY_MS = 7 * 86_400_000;

export class Venue implements SessionHost {
  readonly engine: MatchingEngine;
  readonly marketData: MarketDataDesk;
  readonly trading: TradingDesk;
  readonly accounts: AccountDesk;
  readonly logger: Logger;
  readonly maxMessagesPerSecond: number;

  private readonly sessions = new Set<ClientSession>();
  private readonly byClient = new Map<number, ClientSession>();
  /** Up to which time each instrument's ticks have been processed. */
  private readonly cursor = new Map<number, number>();
  private timer: TimerHandle | undefined;
  private farmDown = false;
  private connectivityDown = false;
  /** Changes not yet in the state file: while there are, what sessions would send waits (a client is told only what is kept). */
  private unsaved = false;
  private saveScheduled = false;
  /** Why the last save failed, until one succeeds: meanwhile the engine matches nothing and new orders are refused. */
  private saveError: string | undefined;

  constructor(private readonly options: VenueOptions) {
    this.logger = options.logger;
    this.maxMessagesPerSecond = options.maxMessagesPerSecond;
    this.engine = options.createEngine((e) => this.onEngineEvent(e));
    this.marketData = new MarketDataDesk({ model: options.model, clock: options.clock, logger: options.logger, lines: options.marketDataLines, wallNow: options.wallNow });
    this.trading = new TradingDesk({
      engine: this.engine,
      marketData: this.marketData,
      accountId: options.accountId,
      logger: options.logger,
      now: () => options.clock.now(),
      sessionOf: (clientId) => this.byClient.get(clientId),
      ...(options.orderIds ? { orderIds: options.orderIds } : {}),
      changed: () => this.markUnsaved(),
      unsaveable: () => {
        if (this.saveError !== undefined) this.save();
        return this.saveError;
      },
    });
    this.accounts = new AccountDesk({ engine: this.engine, accountId: options.accountId, now: () => options.clock.now() });
  }

  start(): void {
    this.timer ??= this.options.clock.setInterval(() => this.pump(), this.options.streamIntervalMs);
  }

  stop(): void {
    this.options.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.save();
  }

  attach(socket: Socket): ClientSession {
    const session = new ClientSession(socket, this);
    this.sessions.add(session);
    return session;
  }

  allSessions(): ClientSession[] {
    return [...this.sessions];
  }

  // --- SessionHost ----------------------------------------------------------------------------

  connectionTime(): string {
    return formatWithZone(this.options.clock.now(), TWS_TIME_ZONE);
  }

  wallNow(): number {
    return this.options.wallNow();
  }

  outputHeld(): boolean {
    return this.unsaved;
  }

  dropsMarketData(): boolean {
    return this.saveError !== undefined;
  }

  onStart(session: ClientSession): boolean {
    const clientId = session.clientId ?? 0;
    const holder = this.byClient.get(clientId);
    if (holder && holder !== session && holder.isOpen) return false;
    this.byClient.set(clientId, session);
    this.logger.info({ session: session.id, clientId, version: session.version }, 'sim client connected');
    session.send(managedAccounts(this.engine.accountIds));
    session.send(nextValidId(this.trading.nextValidId(clientId)));
    if (this.connectivityDown) session.error(NO_ID, ERR.CONNECTIVITY_LOST, TEXT.lost);
    session.error(NO_ID, this.farmDown ? ERR.FARM_BROKEN : ERR.FARM_OK, this.farmDown ? TEXT.farmBroken : TEXT.farmOk);
    session.error(NO_ID, ERR.HMDS_OK, TEXT.hmdsOk);
    session.error(NO_ID, ERR.SEC_DEF_OK, TEXT.secDefOk);
    return true;
  }

  onClose(session: ClientSession): void {
    this.sessions.delete(session);
    if (session.clientId !== undefined && this.byClient.get(session.clientId) === session) this.byClient.delete(session.clientId);
    this.marketData.dropSession(session);
    this.accounts.dropSession(session);
    this.logger.info({ session: session.id, clientId: session.clientId }, 'sim client disconnected');
  }

  onMessage(session: ClientSession, fields: string[]): void {
    let request: Request;
    try {
      request = parseRequest(fields, session.version);
    } catch (err) {
      if (!(err instanceof RequestError)) throw err;
      // TWS answers what it cannot read with 321 and keeps the connection.
      session.error(guessRequestId(fields), ERR.BAD_REQUEST, TEXT.badRequest(fields[0] ?? '?', err.message));
      return;
    }
    if (!session.started) {
      if (request.type === 'startApi') session.start(request.clientId);
      else session.error(NO_ID, ERR.BAD_REQUEST, TEXT.badRequest(fields[0] ?? '?', 'START_API must come first'));
      return;
    }
    try {
      this.dispatch(session, request);
    } catch (err) {
      // A bug in one handler must not take the venue down for every client.
      this.logger.error({ err, request: request.type }, 'sim failed to handle a request');
      session.error(NO_ID, ERR.BAD_REQUEST, TEXT.badRequest(request.type, 'internal simulator error'));
    }
    const now = this.options.clock.now();
    this.syncCursors(now);
    this.accounts.onTime(now);
  }

  /** A change to keep: saved once at the end of this turn, whatever else the turn changes. */
  private markUnsaved(): void {
    if (this.options.saveState === undefined) return;
    this.unsaved = true;
    if (this.saveScheduled) return;
    this.saveScheduled = true;
    setImmediate(() => {
      this.saveScheduled = false;
      this.save();
    });
  }

  /**
   * Writes what changed to the state file, then lets the sessions send what waited for it. A failure
   * is logged once and retried at every market loop until a save succeeds.
   */
  private save(): void {
    if (!this.unsaved || this.options.saveState === undefined) return;
    try {
      this.engine.forget(this.options.clock.now() - KEPT_HISTORY_MS);
      this.options.saveState();
    } catch (err) {
      if (this.saveError === undefined) this.logger.error({ err }, 'sim cannot save its state; matching, new orders and replies wait until it can');
      this.saveError = (err as Error).message;
      return;
    }
    this.unsaved = false;
    if (this.saveError !== undefined) this.logger.warn('sim state saved again; matching and orders resume');
    this.saveError = undefined;
    for (const session of this.sessions) session.release();
  }

  private dispatch(session: ClientSession, r: Request): void {
    const md = this.marketData;
    switch (r.type) {
      case 'startApi':
        session.error(NO_ID, ERR.BAD_REQUEST, TEXT.badRequest('71', 'START_API was already received'));
        return;
      case 'reqMktData':
        md.reqMktData(session, r);
        return;
      case 'cancelMktData':
        md.cancelMktData(session, r.reqId);
        return;
      case 'placeOrder':
        this.trading.placeOrder(session, r);
        return;
      case 'cancelOrder':
        this.trading.cancelOrder(session, r.orderId);
        return;
      case 'reqOpenOrders':
        this.trading.sendOpenOrders(session, false);
        return;
      case 'reqAllOpenOrders':
        this.trading.sendOpenOrders(session, true);
        return;
      case 'reqAutoOpenOrders':
        return;
      case 'reqAccountUpdates':
        this.accounts.reqAccountUpdates(session, r);
        return;
      case 'reqExecutions':
        this.trading.sendExecutions(session, r);
        return;
      case 'reqIds':
        session.send(nextValidId(this.trading.nextValidId(session.clientId ?? 0)));
        return;
      case 'reqContractDetails':
        md.reqContractDetails(session, r);
        return;
      case 'reqManagedAccts':
        session.send(managedAccounts(this.engine.accountIds));
        return;
      case 'reqHistoricalData':
        md.reqHistoricalData(session, r);
        return;
      case 'cancelHistoricalData':
        md.cancelHistoricalData(session, r.reqId);
        return;
      case 'reqCurrentTime':
        session.send(currentTime(Math.floor(this.options.clock.now() / 1000)));
        return;
      case 'reqRealTimeBars':
        md.reqRealTimeBars(session, r);
        return;
      case 'cancelRealTimeBars':
        md.cancelRealTimeBars(session, r.reqId);
        return;
      case 'reqGlobalCancel':
        this.trading.globalCancel();
        return;
      case 'reqMarketDataType':
        return;
      case 'reqPositions':
        this.accounts.reqPositions(session);
        return;
      case 'cancelPositions':
        this.accounts.cancelPositions(session);
        return;
      case 'reqAccountSummary':
        this.accounts.reqAccountSummary(session, r);
        return;
      case 'cancelAccountSummary':
        this.accounts.cancelAccountSummary(session, r.reqId);
        return;
      case 'reqHeadTimestamp':
        md.reqHeadTimestamp(session, r, this.options.originMs);
        return;
      case 'reqPnL':
        this.accounts.reqPnL(session, r);
        return;
      case 'cancelPnL':
        this.accounts.cancelPnL(session, r.reqId);
        return;
      case 'reqPnLSingle':
        this.accounts.reqPnLSingle(session, r);
        return;
      case 'cancelPnLSingle':
        this.accounts.cancelPnLSingle(session, r.reqId);
        return;
      case 'reqCompletedOrders':
        this.trading.sendCompletedOrders(session);
        return;
    }
  }

  private onEngineEvent(event: EngineEvent): void {
    if (event.kind === 'account') {
      this.accounts.markDirty();
      return;
    }
    // Saved before the client hears of it (its session holds it until the save): a fill a client was told of is never forgotten by a restart.
    this.markUnsaved();
    this.trading.onEngineEvent(event);
  }

  /** The market loop: new ticks go to the matching engine and then to subscribers, tick by tick. */
  pump(): void {
    if (this.saveError !== undefined) this.save();
    // While the state cannot be saved the engine makes no fills it could not keep: orders stay working.
    const matching = this.saveError === undefined;
    const now = this.options.clock.now();
    for (const conId of this.syncCursors(now)) {
      const from = this.cursor.get(conId) as number;
      this.cursor.set(conId, now);
      if (from >= now) continue;
      for (const tick of this.options.model.ticks(conId, from, now)) {
        if (matching) this.engine.onTick(conId, tick);
        this.marketData.onTicks(conId, [tick]);
      }
    }
    if (matching) this.engine.onTime(now);
    this.marketData.onTime(now);
    this.accounts.onTime(now);
  }

  /**
   * Tracks which instruments need their ticks pulled. One that becomes active (a subscription, an
   * order) starts from that moment: its subscriber or order has just seen the market as of now.
   */
  private syncCursors(now: number): Set<number> {
    const active = new Set<number>(this.engine.workingConIds());
    this.marketData.activeConIds(active);
    for (const conId of this.cursor.keys()) if (!active.has(conId)) this.cursor.delete(conId);
    for (const conId of active) if (!this.cursor.has(conId)) this.cursor.set(conId, now);
    return active;
  }

  // --- faults -----------------------------------------------------------------------------------

  private broadcast(code: number, text: string): void {
    for (const s of this.sessions) if (s.started) s.error(NO_ID, code, text);
  }

  /** 1100: IB connectivity lost. Market data stops; subscriptions are kept until restored. */
  connectivityLost(): void {
    this.connectivityDown = true;
    this.marketData.setPaused(true);
    this.broadcast(ERR.CONNECTIVITY_LOST, TEXT.lost);
  }

  /** 1101 (data lost: every market data subscription is dropped) or 1102 (data maintained). */
  connectivityRestored(dataKept: boolean): void {
    this.connectivityDown = false;
    if (!dataKept) this.marketData.dropAllSubscriptions();
    this.marketData.setPaused(this.farmDown);
    this.broadcast(dataKept ? ERR.RESTORED_DATA_KEPT : ERR.RESTORED_DATA_LOST, dataKept ? TEXT.restoredKept : TEXT.restoredLost);
  }

  /** 2103 / 2104: the market data farm goes down (no ticks, subscriptions kept) or comes back. */
  setFarm(up: boolean): void {
    this.farmDown = !up;
    this.marketData.setPaused(this.farmDown || this.connectivityDown);
    this.broadcast(up ? ERR.FARM_OK : ERR.FARM_BROKEN, up ? TEXT.farmOk : TEXT.farmBroken);
  }
}

/** The request id of a message that failed to parse, when it sits where most requests put it. */
function guessRequestId(fields: readonly string[]): number {
  const candidate = Number(fields[2]);
  return Number.isInteger(candidate) && candidate > 0 ? candidate : NO_ID;
}
