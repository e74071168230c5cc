// The trading core of one mode, around one bus: market data, portfolio, risk, execution and the kill
// switch, wired to the mode's venue and database. Everything on the bus also goes to the stream (what a
// viewer may see). Built when a mode starts, closed when it stops.
import {
  DeskCommandError,
  type RiskStatus,
  type DeskReconciliation,
  type Instrument,
  type InstrumentSpec,
  type KillSwitchReport,
  type Order,
  type OrderTicket,
  type OrderPreview,
  type TradingMode,
  type VenueAdoption,
  type VenueStatus,
} from '../../shared';
import { MessageBus, type CoreTopics } from '../bus';
import type { Clock } from '../clock';
import { ExecutionEngine, flattenPositions, KillSwitch, previewOrder } from '../execution';
import type { IbAdapter } from '../ib';
import { MarketDataHub, type MarketDataSnapshot } from '../marketdata';
import type { Logger } from '../ops';
import { Portfolio } from '../portfolio';
import { gateIntentOf, RiskEngine, riskContextOf, type RiskContext } from '../risk';
import { KillSwitchRepository, OrderJournalRepository, PortfolioRepository, WorkspaceRepository, type Store } from '../store';
import type { StreamPublisher } from '../transport';
import type { VenueSnapshot } from '../venue';
import { WorkspaceKeeper } from '../workspace';
import { adoptionOf, MismatchHold } from './venue-mismatch';

export interface TradingCoreOptions {
  readonly mode: TradingMode;
  readonly store: Store;
  /** Absent when no venue is configured: the core shows state, and refuses trading commands. */
  readonly venue: IbAdapter | undefined;
  readonly publisher: StreamPublisher;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** How long an order waits for the instrument's first quote (risk needs a reference price). */
const FIRST_QUOTE_MS = 3_000;

export class TradingCore {
  readonly bus: MessageBus<CoreTopics>;
  readonly portfolio: Portfolio;
  readonly risk: RiskEngine;
  readonly marketData: MarketDataHub | undefined;
  readonly execution: ExecutionEngine | undefined;
  readonly killSwitch: KillSwitch | undefined;
  /** The trader's watchlist and charted instrument, in this mode's database. */
  readonly workspace: WorkspaceKeeper;
  private readonly detach: (() => void)[] = [];
  /** Instruments resolved in this session, by conId. */
  private readonly instruments = new Map<number, Instrument>();
  /** The core's own standing market data ('orders', 'portfolio'): one subscription per consumer and instrument. */
  private readonly standing = new Map<string, Promise<MarketDataSnapshot>>();
  /** Trading held for positions or cash that differ from the venue's, and their adoption. */
  private readonly mismatch: MismatchHold;

  constructor(private readonly options: TradingCoreOptions) {
    const { store, venue, clock, logger, publisher, mode } = options;
    this.bus = new MessageBus<CoreTopics>((err, topic) => logger.error({ err, topic }, 'a bus subscriber failed'));
    // Everything a viewer may see becomes part of the sequenced stream.
    this.detach.push(this.bus.subscribeAny('>', (data, topic) => publisher.publish(topic, data)));
    this.portfolio = new Portfolio({ bus: this.bus, clock, logger: logger.child({ component: 'portfolio' }), memory: new PortfolioRepository(store.db) });
    this.risk = new RiskEngine({
      db: store.db,
      mode,
      bus: this.bus,
      clock,
      onChallenge: (change) => this.bus.publish('risk.challenge', change, 'HIGH'),
      onError: (err, what) => logger.error({ err }, `risk: ${what}`),
    });
    this.detach.push(this.portfolio.onDiscrepancy((d) => this.bus.publish('portfolio.discrepancy', d, 'HIGH')));
    this.mismatch = new MismatchHold({ mode, portfolio: this.portfolio, risk: this.risk, bus: this.bus, resync: venue ? () => venue.resync() : undefined, clock, logger });
    this.detach.push(this.risk.addRearmGuard(() => this.mismatch.rearmRefusal()));
    this.workspace = new WorkspaceKeeper({
      repository: new WorkspaceRepository(store.db),
      marketData: venue
        ? { resolve: (spec) => this.resolve(spec), subscribe: (i, consumer) => this.subscribe(i, consumer), unsubscribe: (conId, consumer) => this.unsubscribe(conId, consumer) }
        : undefined,
      publish: (w) => this.bus.publish('workspace', w),
      clock,
      logger: logger.child({ component: 'workspace' }),
    });
    if (!venue) {
      this.marketData = undefined;
      this.execution = undefined;
      this.killSwitch = undefined;
      return;
    }
    this.detach.push(this.portfolio.attachVenue(venue));
    this.marketData = new MarketDataHub({ venue, bus: this.bus, clock, logger: logger.child({ component: 'marketdata' }) });
    this.execution = new ExecutionEngine({
      journal: new OrderJournalRepository(store.db),
      venue,
      bus: this.bus,
      gate: { check: (intent) => this.risk.check(gateIntentOf(intent), this.riskContext) },
      control: { state: () => this.risk.state, halt: (reason) => void this.risk.halt(reason) },
      fills: this.portfolio,
      clock,
      logger: logger.child({ component: 'execution' }),
      instrumentOf: (conId) => this.instruments.get(conId),
    });
    this.killSwitch = new KillSwitch({
      engine: this.execution,
      venue,
      control: { halt: (reason) => void this.risk.halt(reason) },
      clock,
      logger: logger.child({ component: 'kill-switch' }),
      held: () => this.portfolio.positions(),
      memory: new KillSwitchRepository(store.db),
      // Exits are the venue's positions: DualDesk's books take the venue's figures just read, or the exits' fills would leave them wrong.
      onPositionsRead: () => void this.mismatch.adopt('the kill switch flattens what the venue holds'),
      onProgress: (p) => this.bus.publish('risk.killswitch', p, 'FLASH_CRASH'),
      onReport: (r) => this.reportKillSwitch(r),
    });
    const killSwitch = this.killSwitch;
    this.detach.push(
      () => killSwitch.close(),
      this.risk.addRearmGuard(() => (killSwitch.pending ? 'The kill switch has not verified flat at the venue yet: it carries on when the venue is back.' : undefined)),
    );
    const onStatus = (s: VenueStatus) => this.bus.publish('venue.status', s, 'HIGH');
    const onAlert = (a: CoreTopics['venue.alert']) => this.bus.publish('venue.alert', a, 'HIGH');
    const execution = this.execution;
    // A resync's steps, in this order (each one's reason below):
    const onResynced = (s: VenueSnapshot) => {
      // 1. the books against the venue's positions and cash: every later step reads them;
      this.portfolio.resynced(s);
      // 2. an unfinished kill switch carries on, queued until every step here has run (its exits need the reconciled journal);
      killSwitch.resynced();
      // 3. market data for every held position: the portfolio values them and the gate prices them;
      this.watchHeldPositions(s);
      // 4. positions or cash that differ from the venue's hold trading (the books were just compared);
      this.mismatch.hold();
      // 5. the workspace's instruments resolved (refused only once the core stops, a mode switch: nothing to do then);
      this.workspace.venueReady().catch((err: unknown) => logger.debug({ err }, 'workspace: not resolved'));
      // 6. the order journal reconciled with the venue's orders (it halts on what it cannot match).
      execution.resynced(s);
    };
    venue.on('status', onStatus);
    venue.on('alert', onAlert);
    venue.on('resynced', onResynced);
    this.detach.push(
      () => venue.off('status', onStatus),
      () => venue.off('alert', onAlert),
      () => venue.off('resynced', onResynced),
    );
  }

  /** Before the venue connects: every listener is in place for its first resync. */
  start(): void {
    this.execution?.start();
    this.risk.start();
    this.workspace.start();
  }

  stop(): void {
    for (const d of this.detach.splice(0)) d();
    this.workspace.stop();
    this.execution?.stop();
    this.marketData?.close();
    this.risk.stop();
    this.portfolio.close();
  }

  // --- commands ----------------------------------------------------------------------------------

  async subscribe(spec: InstrumentSpec | Instrument, consumer: string): Promise<MarketDataSnapshot> {
    const hub = this.requireVenue().marketData;
    let sub;
    try {
      sub = await hub.subscribe(spec, consumer);
    } catch (err) {
      throw asCommandError(err, 'market-data');
    }
    this.know(sub.instrument);
    return hub.snapshot(sub.instrument.conId) as MarketDataSnapshot;
  }

  /** What the trader named, as the venue's one contract (refused in the trader's words). */
  async resolve(spec: InstrumentSpec): Promise<Instrument> {
    const venue = this.options.venue;
    if (!venue) throw new DeskCommandError('no-venue', 'No venue is configured: start with --demo, or --venue tws|gateway.');
    try {
      return await venue.resolve(spec);
    } catch (err) {
      throw asCommandError(err, 'unknown-instrument');
    }
  }

  unsubscribe(conId: number, consumer: string): boolean {
    return this.requireVenue().marketData.unsubscribe(conId, consumer);
  }

  /** Places an order; its instrument gets market data first, since risk prices every order against the last price. */
  async placeOrder(ticket: OrderTicket): Promise<Order> {
    const { execution } = this.requireVenue();
    const blind = this.streamRefusal();
    if (blind !== undefined) throw new DeskCommandError('stream-unavailable', blind);
    const snapshot = await this.hold(ticket.instrument, 'orders');
    await this.firstQuote(snapshot);
    return execution.placeResolved(ticket, snapshot.instrument);
  }

  /** Changes a working order; refused while the stream is blind, like a new order (a cancel still goes). */
  modifyOrder(orderId: string, changes: Parameters<ExecutionEngine['modify']>[1]): Promise<Order> {
    const { execution } = this.requireVenue();
    const blind = this.streamRefusal();
    if (blind !== undefined) throw new DeskCommandError('stream-unavailable', blind);
    return execution.modify(orderId, changes);
  }

  /** LIVE: orders go out only once armed; refused (with the reason) when the account is a paper one. */
  armLive(): VenueStatus {
    const venue = this.options.venue;
    if (!venue) throw new DeskCommandError('no-venue', 'No venue is configured: start with --demo, or --venue tws|gateway.');
    try {
      venue.arm();
    } catch (err) {
      throw asCommandError(err, 'arm-refused');
    }
    return venue.status();
  }

  disarmLive(): VenueStatus {
    const venue = this.options.venue;
    if (!venue) throw new DeskCommandError('no-venue', 'No venue is configured: start with --demo, or --venue tws|gateway.');
    venue.disarm();
    return venue.status();
  }

  /**
   * The risk gate's verdict on a ticket, recording nothing (the ticket's live preview). The instrument
   * must be one the desk has resolved (on the watchlist, traded or held); that is what the gate checks first.
   */
  previewOrder(ticket: OrderTicket): OrderPreview {
    return previewOrder(ticket, {
      trading: () => this.options.venue?.status().trading,
      streamRefusal: () => this.streamRefusal(),
      instruments: this.instruments,
      gate: (intent) => this.risk.preview(gateIntentOf(intent), this.riskContext),
    });
  }

  /**
   * The screens show only what the stream committed: while its journal cannot be written, a new order
   * would be placed blind (its fills, the positions after it unseen). Cancels, flatten and the kill switch still go.
   */
  private streamRefusal(): string | undefined {
    const failure = this.options.publisher.failure;
    if (failure === undefined) return undefined;
    return `New orders and changes to working orders are refused while the stream that feeds the screens cannot be written (${failure}); cancels, flatten and the kill switch still work.`;
  }

  /** Reduce-only market orders taking positions (all, or one instrument's) to zero; allowed in every trading state. */
  async flatten(conId?: number): Promise<Order[]> {
    const { execution } = this.requireVenue();
    return flattenPositions(
      {
        heldDiscrepancies: () => this.portfolio.heldDiscrepancies(),
        position: (id) => this.portfolio.position(id),
        positions: () => this.portfolio.positions(),
        adoptFresh: (why, id) => this.mismatch.adoptFresh(why, id),
        secTypeOf: (id) => this.instruments.get(id)?.secType,
        quoted: async (spec) => {
          const snapshot = await this.hold(spec, 'orders');
          await this.firstQuote(snapshot);
          return snapshot.instrument;
        },
        place: (ticket, instrument, options) => execution.placeResolved(ticket, instrument, options),
      },
      conId,
    );
  }

  triggerKillSwitch(reason: string): Promise<KillSwitchReport> {
    // The venue's figures are adopted by the kill switch itself, each time it reads them (onPositionsRead).
    return this.requireVenue().killSwitch.trigger(reason);
  }

  /** The trader's resolution of a position or cash mismatch: DualDesk takes the venue's figures (trading stays held until re-armed). */
  async adoptVenuePositions(): Promise<VenueAdoption> {
    if (this.portfolio.heldDiscrepancies().length === 0) return { adopted: [], cash: null };
    return this.mismatch.adoptFresh('adopted by the trader');
  }

  /** The trading state, and whether a kill switch is still to verify flat (what the UI shows its progress by). */
  riskStatus(): RiskStatus {
    return { ...this.risk.status(), killSwitchPending: this.killSwitch?.pending ?? false };
  }

  /** The last reconciliation of orders, with the positions and cash that still differ from the venue's. */
  reconciliation(): DeskReconciliation | null {
    const orders = this.execution?.lastReconciliation;
    if (!orders) return null;
    const { adopted: positions, cash } = adoptionOf(this.portfolio.heldDiscrepancies());
    return { ...orders, positions, cash, clean: orders.clean && positions.length === 0 && cash === null };
  }

  // --- internals ---------------------------------------------------------------------------------

  private reportKillSwitch(report: KillSwitchReport): void {
    const held = report.remaining.map((p) => `${p.quantity} ${p.symbol}`).join(', ');
    this.bus.publish(
      'risk.alert',
      {
        type: 'KILL_SWITCH',
        severity: 'CRITICAL',
        title: report.flat ? 'Kill switch: flat and halted' : 'Kill switch: NOT flat',
        message: report.flat
          ? `Halted: ${report.cancelled} order(s) cancelled, ${report.exits.length} exit(s); flat, verified at the venue. Re-arm to trade again.`
          : `Halted, NOT flat${held ? `: ${held} still held` : ''}. ${report.problems.join('; ')}. It carries on by itself when the venue is back.`,
        at: report.finishedAt,
      },
      'FLASH_CRASH',
    );
  }

  private requireVenue(): { marketData: MarketDataHub; execution: ExecutionEngine; killSwitch: KillSwitch } {
    if (!this.marketData || !this.execution || !this.killSwitch) throw new DeskCommandError('no-venue', 'No venue is configured: start with --demo, or --venue tws|gateway.');
    return { marketData: this.marketData, execution: this.execution, killSwitch: this.killSwitch };
  }

  /** Market data the core keeps for itself: subscribed once per consumer and instrument, for the mode's life. */
  private async hold(spec: InstrumentSpec, consumer: string): Promise<MarketDataSnapshot> {
    const { marketData } = this.requireVenue();
    let instrument: Instrument;
    try {
      instrument = await this.options.venue!.resolve(spec);
    } catch (err) {
      throw asCommandError(err, 'unknown-instrument');
    }
    const key = `${consumer}:${instrument.conId}`;
    let held = this.standing.get(key);
    if (!held) {
      held = this.subscribe(instrument, consumer);
      this.standing.set(key, held);
      held.catch(() => this.standing.delete(key));
    }
    await held;
    return marketData.snapshot(instrument.conId) ?? held;
  }

  private know(instrument: Instrument): void {
    if (this.instruments.has(instrument.conId)) return;
    this.instruments.set(instrument.conId, instrument);
    this.portfolio.instrument({
      conId: instrument.conId,
      symbol: instrument.symbol,
      localSymbol: instrument.localSymbol,
      secType: instrument.secType,
      multiplier: instrument.multiplier,
      currency: instrument.currency,
    });
  }

  /** Resolves once the instrument has a quote, or refuses after a few seconds (no reference price, no order). */
  private firstQuote(snapshot: MarketDataSnapshot): Promise<void> {
    if (snapshot.quote) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const off = this.bus.subscribe(`md.quote.${snapshot.word}`, () => {
        off();
        this.options.clock.clearTimer(timer);
        resolve();
      });
      const timer = this.options.clock.setTimeout(() => {
        off();
        reject(new DeskCommandError('no-reference-price', `No quote for ${snapshot.instrument.symbol} within ${FIRST_QUOTE_MS / 1000} s: risk cannot price the order.`));
      }, FIRST_QUOTE_MS);
    });
  }

  /** Marks for every held position: market data for each (the portfolio values and the risk gate prices them). */
  private watchHeldPositions(snapshot: VenueSnapshot): void {
    for (const p of snapshot.positions) {
      if (p.quantity === 0) continue;
      this.hold({ conId: p.conId, symbol: p.symbol, secType: p.secType as Instrument['secType'] }, 'portfolio').catch((err: unknown) =>
        this.options.logger.warn({ err, symbol: p.symbol, conId: p.conId }, 'no market data for a held position'),
      );
    }
  }

  private readonly riskContext: RiskContext = riskContextOf({
    instrument: (conId) => this.instruments.get(conId),
    quote: (conId) => this.marketData?.quote(conId),
    position: (conId) => this.portfolio.position(conId),
    positions: () => this.portfolio.positions(),
    workingOrders: () => this.execution?.workingOrders() ?? [],
    now: () => this.options.clock.now(),
  });
}

function asCommandError(err: unknown, fallback: string): DeskCommandError {
  if (err instanceof DeskCommandError) return err;
  const kind = (err as { kind?: unknown }).kind;
  return new DeskCommandError(typeof kind === 'string' ? kind : fallback, err instanceof Error ? err.message : String(err));
}
