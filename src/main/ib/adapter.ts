// The IB venue adapter, the front object of ib/ and the only code that speaks IB: it implements the venue
// ports (../venue), refuses orders whenever the account or the connection is not what the trading mode
// expects, and re-reads the venue after every (re)connect. Its parts: connection.ts (the connection loop
// and keepalive), wire.ts (IB's messages ↔ the neutral types), requests.ts (request correlation),
// orders.ts (orders and ids), resync.ts (the venue read), feeds.ts and history.ts (market data), pacer.ts.
import { EventEmitter } from 'node:events';
import { EventName, type CommissionReport, type Contract, type ContractDetails, type Execution, type IBApi, type Order, type OrderState } from '@stoqey/ib';
import { systemClock, type Clock, type TimerHandle } from '../clock';
import type { Logger } from '../ops';
import { Backoff, type Bar, type BarSource, type ConnectionState, type Instrument, type InstrumentSpec, type TradingMode, type VenueStatus } from '../../shared';
import { accountMismatch, tradingAccount } from './accounts';
import { instrumentContract, instrumentFromDetails, specContract, specKey } from './contracts';
import { Connection } from './connection';
import { CONNECTIVITY, fromIbError, ORDER_WARNINGS } from './errors';
import { Feeds } from './feeds';
import { setStateGauge, type VenueMetrics } from './metrics';
import { Orders } from './orders';
import { History } from './history';
import { Pacer } from './pacer';
import { Requests } from './requests';
import { readVenue } from './resync';
import * as wire from './wire';
import type { VenueMemory } from './types';
import {
  VenueError,
  type AccountPort,
  type BarListener,
  type ContractPort,
  type HistoricalQuery,
  type MarketDataPort,
  type OrderCorrelation,
  type OrderPort,
  type PositionPort,
  type QuoteListener,
  type VenueAccountValue,
  type VenueEvents,
  type VenueEventSource,
  type VenueExecution,
  type VenueOrderChanges,
  type VenueOrderRequest,
  type VenueSnapshot,
} from '../venue';

export interface IbAdapterOptions {
  readonly host: string;
  readonly port: number;
  /** Fixed: IB ties orders to the client id (never the library's auto-incrementing one). */
  readonly clientId: number;
  readonly mode: TradingMode;
  /** The account to trade when the login manages several (venue.account); unset, the only one. */
  readonly account?: string;
  readonly memory: VenueMemory;
  readonly logger: Logger;
  readonly metrics: VenueMetrics;
  /** Real time: pacing, timeouts, backoff and the watchdog are properties of the wire. */
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly connectTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** Silence after which the connection is probed with reqCurrentTime, and how long the probe may take. */
  readonly keepAliveMs?: number;
  readonly keepAliveTimeoutMs?: number;
  /** Below IB's 50 (default 40). */
  readonly messagesPerSecond?: number;
  readonly marketDataLines?: number;
  /** A quote feed silent this long while its market is open is resubscribed (default 60 s). */
  readonly quoteStaleMs?: number;
  /** A 5-second bar feed that misses this many bars is resubscribed (default 3). */
  readonly missedBars?: number;
  readonly reconnect?: { readonly initialMs?: number; readonly maxMs?: number };
}

export class IbAdapter extends EventEmitter<VenueEvents> implements VenueEventSource, OrderPort, PositionPort, AccountPort, MarketDataPort, ContractPort {
  readonly mode: TradingMode;
  private readonly options: Required<Omit<IbAdapterOptions, 'reconnect' | 'random' | 'clock' | 'account'>> & { readonly clock: Clock; readonly account: string | undefined };
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly pacer: Pacer;
  private readonly feeds: Feeds;
  private readonly requests: Requests;
  private readonly orders: Orders;
  private readonly history: History;

  private readonly connection: Connection;
  private synced = false;
  private armed = false;
  private stateSince: number;
  private lastState: ConnectionState = 'disconnected';
  private watchdogTimer: TimerHandle | undefined;

  private readonly instruments = new Map<string, Promise<Instrument>>();
  private readonly commissionsSeen = new Set<string>();
  private resyncing: Promise<VenueSnapshot> | undefined;

  constructor(options: IbAdapterOptions) {
    super();
    this.mode = options.mode;
    this.clock = options.clock ?? systemClock;
    this.options = {
      host: options.host,
      port: options.port,
      clientId: options.clientId,
      mode: options.mode,
      account: options.account,
      memory: options.memory,
      logger: options.logger,
      metrics: options.metrics,
      clock: this.clock,
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      keepAliveMs: options.keepAliveMs ?? 15_000,
      keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? 10_000,
      messagesPerSecond: options.messagesPerSecond ?? 40,
      marketDataLines: options.marketDataLines ?? 100,
      quoteStaleMs: options.quoteStaleMs ?? 60_000,
      missedBars: options.missedBars ?? 3,
    };
    this.log = options.logger.child({ component: 'venue', mode: options.mode });
    this.stateSince = this.clock.now();
    this.pacer = new Pacer(this.clock, this.options.messagesPerSecond, (p) => {
      this.options.metrics.messagesSent.inc({ priority: p });
      this.options.metrics.pacerQueue.set(this.pacer.depth);
    });
    this.connection = new Connection(
      {
        ...this.options,
        logger: this.log,
        pacer: this.pacer,
        backoff: new Backoff(options.random ?? Math.random, options.reconnect ?? {}),
      },
      {
        listen: (ib) => this.listen(ib),
        nextValidId: (id) => this.orders.venueNextId(id),
        error: (code, reqId, text) => this.onIbError(code, reqId, text),
        connected: () => void this.onConnected(),
        dropped: (reason) => this.onDropped(reason),
        channelLost: () => (this.synced = false),
        channelRestored: (code) => {
          // 1101: IB dropped every market data subscription; 1102: they are intact.
          if (code === CONNECTIVITY.RESTORED_DATA_LOST) this.feeds.restoreAll();
          this.publishStatus();
          void this.runResync(`connectivity restored (${code})`);
        },
        alert: (alert) => this.emit('alert', alert),
        changed: () => this.publishStatus(),
      },
    );
    this.requests = new Requests({ clock: this.clock, pacer: this.pacer, logger: this.log, timeoutMs: this.options.requestTimeoutMs, connection: this.connection });
    this.history = new History(this.clock, this.requests);
    this.orders = new Orders({ ...this.options, logger: this.log, pacer: this.pacer, connection: this.connection, tradingBlock: () => this.tradingBlock() });
    this.feeds = new Feeds({
      clock: this.clock,
      logger: this.log,
      lines: this.options.marketDataLines,
      quoteStaleMs: this.options.quoteStaleMs,
      barStaleMs: this.options.missedBars * 5_000 + 2_000,
      nextReqId: () => this.requests.nextRequestId(),
      connected: () => this.requests.canSend(),
      dataExpected: () => this.connection.dataExpected,
      subscribeQuotes: (reqId, i) => this.requests.fireAndForget('subscription', (ib) => ib.reqMktData(reqId, instrumentContract(i), '', false, false)),
      cancelQuotes: (reqId) => this.requests.fireAndForget('subscription', (ib) => ib.cancelMktData(reqId)),
      subscribeBars: (reqId, i, source) => this.requests.fireAndForget('subscription', (ib) => ib.reqRealTimeBars(reqId, instrumentContract(i), 5, source, false)),
      cancelBars: (reqId) => this.requests.fireAndForget('subscription', (ib) => ib.cancelRealTimeBars(reqId)),
      alert: (alert) => {
        if (alert.kind === 'stale-feed') this.options.metrics.staleFeeds.inc({ feed: alert.feed });
        this.emit('alert', alert);
      },
    });
    setStateGauge(this.options.metrics, 'disconnected');
  }

  // --- status ---------------------------------------------------------------------------------

  get state(): ConnectionState {
    return this.connection.state;
  }

  status(): VenueStatus {
    const block = this.tradingBlock();
    return {
      state: this.state,
      since: this.stateSince,
      mode: this.mode,
      host: this.options.host,
      port: this.options.port,
      clientId: this.options.clientId,
      accounts: [...this.connection.accounts],
      ...(this.account === undefined ? {} : { account: this.account }),
      synced: this.synced,
      armed: this.armed,
      trading: block ? { allowed: false, reason: block.message } : { allowed: true },
      attempts: this.connection.failures,
      ...(this.connection.nextAttemptAt === undefined ? {} : { nextAttemptAt: this.connection.nextAttemptAt }),
      ...(this.connection.lastError === undefined ? {} : { lastError: this.connection.lastError }),
    };
  }

  /** The account orders go to and account updates come from; undefined while the choice is ambiguous. */
  private get account(): string | undefined {
    const chosen = tradingAccount(this.connection.accounts, this.options.account);
    return 'account' in chosen ? chosen.account : undefined;
  }

  private publishStatus(): void {
    const state = this.state;
    if (state !== this.lastState) {
      this.log.info({ from: this.lastState, to: state }, 'venue connection state');
      this.lastState = state;
      this.stateSince = this.clock.now();
      setStateGauge(this.options.metrics, state);
    }
    this.emit('status', this.status());
  }

  /** Why orders are refused right now, or undefined when they may go. */
  private tradingBlock(): VenueError | undefined {
    const state = this.state;
    if (state !== 'connected' && state !== 'degraded-data') {
      return new VenueError('venue-disconnected', `Venue disconnected (${state}): orders are refused until TWS/IB Gateway is back.`);
    }
    // Before the sync: while the account is ambiguous the venue is never read, so this is why.
    const chosen = tradingAccount(this.connection.accounts, this.options.account);
    if ('problem' in chosen) return new VenueError('account-not-chosen', chosen.problem);
    if (!this.synced) return new VenueError('resync-pending', 'Reading positions and orders from IB after the (re)connect; orders resume when that is done.');
    const mismatch = accountMismatch(this.mode, this.connection.accounts);
    if (mismatch) return new VenueError('account-mismatch', mismatch);
    if (this.mode === 'live' && !this.armed) return new VenueError('not-armed', 'LIVE trading is not armed: arm it before sending live orders.');
    return undefined;
  }

  /** Live mode: the explicit step after the trader's confirmation. Refused when the account is not live. */
  arm(): void {
    if (this.mode !== 'live') throw new VenueError('bad-request', 'Arming applies to LIVE mode only.');
    const mismatch = accountMismatch(this.mode, this.connection.accounts);
    if (mismatch) throw new VenueError('account-mismatch', mismatch);
    this.armed = true;
    this.log.warn({ accounts: this.connection.accounts }, 'LIVE trading armed');
    this.publishStatus();
  }

  disarm(): void {
    this.armed = false;
    this.publishStatus();
  }

  // --- connection -----------------------------------------------------------------------------

  start(): void {
    if (this.connection.running) return;
    this.watchdogTimer = this.clock.setInterval(() => this.feeds.watchdog(), 1_000);
    this.connection.start();
  }

  async stop(): Promise<void> {
    if (!this.connection.running) return;
    this.clock.clearTimer(this.watchdogTimer);
    this.connection.stop();
    await Promise.resolve();
  }

  /** Resolves when connected and in sync (or rejects after `timeoutMs`). */
  whenReady(timeoutMs = 30_000): Promise<void> {
    if (this.synced && this.connection.ready) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.off('status', check);
        reject(new VenueError('timeout', `venue not ready within ${timeoutMs} ms (${this.state}${this.connection.lastError ? `: ${this.connection.lastError}` : ''})`));
      }, timeoutMs);
      const check = () => {
        if (this.synced && this.connection.ready) {
          this.clock.clearTimer(timer);
          this.off('status', check);
          resolve();
        }
      };
      this.on('status', check);
    });
  }

  /** The answer and data events of a new connection: decoded, then routed to requests, feeds and listeners. */
  private listen(ib: IBApi): void {
    ib.on(EventName.tickPrice, (reqId: number, tickType: number, price: number) => this.feeds.onTickPrice(reqId, tickType, price));
    ib.on(EventName.tickSize, (reqId: number, tickType?: number, size?: number) => this.feeds.onTickSize(reqId, tickType ?? -1, size));
    ib.on(EventName.realtimeBar, (reqId: number, time: number, open: number, high: number, low: number, close: number, volume: number, wap: number, count: number) =>
      this.feeds.onBar(reqId, { time: time * 1000, open, high, low, close, volume, wap, count }),
    );
    ib.on(EventName.openOrder, (orderId: number, contract: Contract, order: Order, state: OrderState) => {
      const update = this.orders.merge(orderId, order.clientId ?? this.options.clientId, wire.orderFields(contract, order, state, this.orders.orderRefOf(orderId)));
      this.requests.deliver(EventName.openOrder, [update]);
      this.orders.inScope(update.orderRef, orderId, () => this.emit('order', update));
    });
    ib.on(
      EventName.orderStatus,
      (
        orderId: number,
        status: string,
        filled: number,
        remaining: number,
        avgFillPrice: number,
        permId?: number,
        _parentId?: number,
        lastFillPrice?: number,
        clientId?: number,
        whyHeld?: string,
      ) => {
        const update = this.orders.merge(
          orderId,
          clientId ?? this.options.clientId,
          wire.orderStatusFields(status, filled, remaining, avgFillPrice, permId, lastFillPrice, whyHeld),
        );
        this.requests.deliver(EventName.orderStatus, [update]);
        this.orders.inScope(update.orderRef, orderId, () => {
          this.log.debug({ orderId, orderRef: update.orderRef, status, filled, remaining }, 'order status from IB');
          this.emit('order', update);
        });
      },
    );
    ib.on(EventName.openOrderEnd, () => this.requests.deliver(EventName.openOrderEnd, []));
    ib.on(EventName.completedOrder, (contract: Contract, order: Order, state: OrderState & { completedTime?: string; completedStatus?: string }) =>
      this.requests.deliver(EventName.completedOrder, [wire.completedOrder(contract, order, state)]),
    );
    ib.on(EventName.completedOrdersEnd, () => this.requests.deliver(EventName.completedOrdersEnd, []));
    ib.on(EventName.execDetails, (reqId: number, contract: Contract, execution: Execution) => {
      const e = wire.execution(
        contract,
        execution,
        (orderId) => this.orders.orderRefOf(orderId) ?? '',
        () => this.clock.now(),
      );
      if (reqId !== -1) {
        this.requests.deliver(EventName.execDetails, [reqId, e]);
        return;
      }
      this.emitExecution(e);
    });
    ib.on(EventName.execDetailsEnd, (reqId: number) => this.requests.deliver(EventName.execDetailsEnd, [reqId]));
    ib.on(EventName.commissionReport, (report: CommissionReport) => {
      const c = wire.commission(report);
      this.requests.deliver(EventName.commissionReport, [c]);
      if (!this.commissionsSeen.has(c.execId)) {
        this.commissionsSeen.add(c.execId);
        this.emit('commission', c);
      }
    });
    ib.on(EventName.position, (account: string, contract: Contract, pos: number, avgCost?: number) => {
      const p = wire.position(account, contract, pos, avgCost);
      this.requests.deliver(EventName.position, [p]);
      // Another managed account's position is not DualDesk's (nor is any while the choice is ambiguous).
      const traded = this.account;
      if (traded !== undefined && (account === '' || account === traded)) this.emit('position', p);
    });
    ib.on(EventName.positionEnd, () => this.requests.deliver(EventName.positionEnd, []));
    ib.on(EventName.updateAccountValue, (key: string, value: string, currency: string, account: string) => {
      const v: VenueAccountValue = { key, value, currency, account };
      this.requests.deliver(EventName.updateAccountValue, [v]);
      this.emit('accountValue', v);
    });
    ib.on(EventName.accountDownloadEnd, () => this.requests.deliver(EventName.accountDownloadEnd, []));
    ib.on(EventName.contractDetails, (reqId: number, details: ContractDetails) => this.requests.deliver(reqId, [details]));
    ib.on(EventName.contractDetailsEnd, (reqId: number) => this.requests.deliver(reqId, [], 'end'));
    ib.on(EventName.historicalData, (reqId: number, date: string, open: number, high: number, low: number, close: number, volume: number, count: number | undefined, wap: number) =>
      this.requests.deliver(reqId, [date, open, high, low, close, volume, count, wap], String(date).startsWith('finished') ? 'end' : undefined),
    );
  }

  /** The connection is gone (closed, stopped or found dead): everything tied to it is dropped. */
  private onDropped(reason: string): void {
    this.synced = false;
    this.history.connectionDropped(reason);
    this.feeds.detachAll();
    this.requests.failAll(new VenueError('venue-disconnected', `The venue disconnected before answering (${reason}).`));
    this.orders.connectionDropped();
  }

  private async onConnected(): Promise<void> {
    const mismatch = accountMismatch(this.mode, this.connection.accounts);
    this.log.info(
      { accounts: this.connection.accounts, account: this.account, host: this.options.host, port: this.options.port, clientId: this.options.clientId },
      'venue connected',
    );
    if (mismatch) this.log.error({ accounts: this.connection.accounts }, mismatch);
    const chosen = tradingAccount(this.connection.accounts, this.options.account);
    if ('problem' in chosen) this.log.error({ accounts: this.connection.accounts, chosen: this.options.account }, chosen.problem);
    this.publishStatus();
    this.feeds.restoreAll();
    await this.runResync('connected');
  }

  private onIbError(code: number, reqId: number, text: string): void {
    this.options.metrics.errors.inc({ code: String(code) });
    const error = fromIbError(code, text);
    if (this.requests.fail(reqId, error)) return;
    if (this.feeds.onError(reqId, error)) return;
    const orderRef = this.orders.ownOrderRef(reqId);
    if (orderRef !== undefined) {
      if (code === 202) return; // the Cancelled status says it
      if (ORDER_WARNINGS.has(code)) {
        this.emit('alert', { kind: 'order-warning', orderId: reqId, orderRef, code, message: text });
        return;
      }
      this.orders.inScope(orderRef, reqId, () => {
        this.log.warn({ orderId: reqId, orderRef, code, text }, 'order error from IB');
        this.emit('orderError', { orderId: reqId, orderRef, error });
      });
      return;
    }
    // Never swallowed: every other error is logged with IB's own words.
    this.log.warn({ code, reqId, text }, 'IB error');
  }

  // --- contracts and market data ---------------------------------------------------------------

  /** Resolves what the trader named to exactly one contract (cached). */
  resolve(spec: InstrumentSpec): Promise<Instrument> {
    const key = specKey(spec);
    let found = this.instruments.get(key);
    if (!found) {
      found = this.lookup(spec);
      this.instruments.set(key, found);
      found.catch(() => this.instruments.delete(key));
    }
    return found;
  }

  private async lookup(spec: InstrumentSpec): Promise<Instrument> {
    const reqId = this.requests.nextRequestId();
    const details: ContractDetails[] = [];
    await this.requests.request(
      reqId,
      'subscription',
      (ib) => ib.reqContractDetails(reqId, specContract(spec)),
      (_n, args) => {
        details.push(args[0] as ContractDetails);
        return 'more';
      },
    );
    const instruments = details.map(instrumentFromDetails).filter((i): i is Instrument => i !== undefined);
    if (instruments.length === 0) throw new VenueError('unknown-instrument', `IB has no contract matching ${spec.symbol} (${spec.secType}).`);
    if (instruments.length > 1) {
      throw new VenueError(
        'ambiguous-instrument',
        `${spec.symbol} matches ${instruments.length} contracts (${instruments.map((i) => `${i.localSymbol}@${i.exchange}`).join(', ')}); name the exchange or contract month.`,
      );
    }
    return instruments[0] as Instrument;
  }

  subscribeQuotes(instrument: Instrument, listener: QuoteListener): () => void {
    return this.feeds.subscribeQuotes(instrument, listener);
  }

  subscribeBars(instrument: Instrument, source: BarSource, listener: BarListener): () => void {
    return this.feeds.subscribeBars(instrument, source, listener);
  }

  get marketDataLinesInUse(): number {
    return this.feeds.linesInUse;
  }

  /** Historical bars, within IB's historical pacing (see History). */
  historicalBars(instrument: Instrument, q: HistoricalQuery): Promise<Bar[]> {
    return this.history.bars(instrument, q);
  }

  // --- orders -----------------------------------------------------------------------------------

  /** How an order's correlation id is found from IB's orderRef and order id (the execution engine knows); undefined to stop. */
  correlateOrders(lookup: OrderCorrelation | undefined): void {
    this.orders.correlate(lookup);
  }

  /** Sends a new order; resolves with its IB order id once the message is written to the venue. */
  placeOrder(req: VenueOrderRequest): Promise<{ orderId: number }> {
    return this.orders.place(req);
  }

  /** `current` describes the order when this session did not place it (after a restart, or an adopted order). */
  modifyOrder(orderId: number, changes: VenueOrderChanges, current?: VenueOrderRequest): Promise<void> {
    return this.orders.modify(orderId, changes, current);
  }

  /** Cancels go out whenever the order channel is up, even when new orders are refused: reducing risk is always allowed. */
  cancelOrder(orderId: number): Promise<void> {
    return this.orders.cancel(orderId);
  }

  /** Cancels every working order of the traded account (see Orders.cancelAll). */
  cancelAll(): Promise<void> {
    return this.orders.cancelAll();
  }

  /**
   * Emits an execution not seen before, then remembers it: a consumer records it durably (exactly once,
   * by execId) while handling the event, so a crash in between replays it rather than losing it.
   */
  private emitExecution(e: VenueExecution): boolean {
    if (this.options.memory.hasSeenExecution(e.execId)) return false;
    this.orders.inScope(e.orderRef, e.orderId, () => {
      this.log.debug({ orderId: e.orderId, orderRef: e.orderRef, execId: e.execId, shares: e.shares, price: e.price }, 'execution from IB');
      this.emit('execution', e);
    });
    this.options.memory.markExecutionSeen(e.execId, e.time);
    return true;
  }

  // --- resync -----------------------------------------------------------------------------------

  /** Re-reads the venue; concurrent calls share one run. Trading resumes (synced) when it succeeds. */
  resync(): Promise<VenueSnapshot> {
    this.resyncing ??= this.resyncOnce().finally(() => (this.resyncing = undefined));
    return this.resyncing;
  }

  private async runResync(reason: string): Promise<void> {
    try {
      const snapshot = await this.resync();
      this.log.info({ reason, positions: snapshot.positions.length, openOrders: snapshot.openOrders.length, newExecutions: snapshot.newExecutions.length }, 'venue resynced');
    } catch (err) {
      this.log.warn({ reason, err: (err as Error).message }, 'venue resync failed');
    }
  }

  /** Reads the venue (see readVenue), then applies each new execution once (the memory remembers them across restarts). */
  private async resyncOnce(): Promise<VenueSnapshot> {
    this.synced = false;
    this.publishStatus();
    // While the account is ambiguous nothing at the venue is DualDesk's: nothing is read, reconciled or seeded.
    const chosen = tradingAccount(this.connection.accounts, this.options.account);
    if ('problem' in chosen) throw new VenueError('account-not-chosen', chosen.problem);
    const { account } = chosen;
    // IB answers for every managed account: only the traded account's positions, orders and executions are DualDesk's.
    const ours = (x: { readonly account: string }) => x.account === '' || x.account === account;
    const { positions, openOrders, completedOrders, accountValues, executions, commissions } = await readVenue(this.requests, account, () =>
      this.options.memory.lastExecutionTime(),
    );
    const fresh = executions
      .filter(ours)
      .sort((a, b) => a.time - b.time)
      .filter((e) => this.emitExecution(e));
    const snapshot: VenueSnapshot = {
      at: this.clock.now(),
      accounts: [...this.connection.accounts],
      account,
      positions: positions.filter(ours),
      openOrders: openOrders.filter(ours),
      completedOrders: completedOrders.filter(ours),
      accountValues,
      newExecutions: fresh,
      commissions: commissions.filter((c) => fresh.some((e) => e.execId === c.execId)),
    };
    this.synced = this.connection.ready && !this.connection.orderChannelLost;
    this.emit('resynced', snapshot);
    this.publishStatus();
    return snapshot;
  }
}
