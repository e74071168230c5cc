// The workstation's state, fed by the sequenced stream (routed by its topic contract) and the trader's
// commands. Stream messages land in plain maps; the frame batcher (frames.ts) tells React and the charts
// once per animation frame; the activity log's lines are worded in activity.ts.
import {
  parseTopic,
  type CashMismatch,
  type CommandArgs,
  type CommandName,
  type CommandResult,
  type CommandValues,
  type DeskApi,
  type DeskHealth,
  type EquitySnapshot,
  type Fill,
  type Instrument,
  type KillSwitchProgress,
  type Order,
  type Position,
  type PositionMismatch,
  type RiskStatus,
  type SymbolQuote,
  type TradingMode,
  type VenueAlert,
  type VenueStatus,
  type WatchlistEntry,
  type Workspace,
} from '../../../shared';
import { StreamSubscriber, type DataFrame, type SubscriberState } from '../../../shared/stream';
import {
  ActivityLog,
  crossoverLine,
  discrepancyLine,
  orderLines,
  riskAlertLine,
  streamLines,
  tradingStateLine,
  venueAlertLine,
  venueChangeLine,
  type AlertSource,
  type DeskAlert,
  type LogLine,
} from './activity';
import { consoleLog, withTimeout } from './core-calls';
import { MAX_FILLS, mergeFills, withFill } from './fills';
import { priceDecimals } from './format';
import { FrameBatcher, type ChartListener, type Slice } from './frames';
import { notifyTrader } from './notify';
import { moveOldWatchlist } from './old-watchlist';
import { orderNotice } from './order-words';
import { orderBlock, outages, staleAge, staleVenueStatus, type Connectivity, type Outage } from './outage';

export type { AlertSource, DeskAlert } from './activity';
export type { ChartBatch, Slice } from './frames';

export interface WatchItem {
  readonly word: string;
  readonly instrument: Instrument;
}

export interface StreamStatus {
  readonly connected: boolean;
  readonly state: SubscriberState | undefined;
  /** Publish → render latency samples (ms), newest last, for the small chart. */
  readonly latency: readonly { t: number; p50: number; p99: number }[];
}

const POLL_MS = 1_000;
/** A core that accepts the connection but does not answer (hung, stopped) is unreachable after this long. */
const HEALTH_TIMEOUT_MS = 3_000;

export class DeskStore {
  /** The desk's watchlist as this window has subscribed it, by topic word, in the desk's order. */
  readonly watchlist = new Map<string, WatchItem>();
  /** The desk's workspace (watchlist and chart), as the stream last said. */
  workspace: Workspace | undefined;
  /** By topic word. */
  readonly quotes = new Map<string, SymbolQuote>();
  readonly orders = new Map<string, Order>();
  readonly positions = new Map<number, Position>();
  fills: Fill[] = [];
  equity: EquitySnapshot | undefined;
  risk: RiskStatus | undefined;
  /** The kill switch's latest progress (shown while risk.killSwitchPending, or flat while still halted). */
  killSwitch: KillSwitchProgress | undefined;
  /** Positions that differ from the venue's: trading is held until the trader adopts the venue's figures or flattens. */
  mismatches: readonly PositionMismatch[] = [];
  /** Cash that differs from the venue's: held like the positions, resolved by the same adoption. */
  cashMismatch: CashMismatch | null = null;
  venue: VenueStatus | undefined;
  health: DeskHealth | undefined;
  private readonly activity = new ActivityLog();
  stream: StreamStatus = { connected: false, state: undefined, latency: [] };
  /** The core's trading mode, as this window last saw it. */
  mode: TradingMode = 'paper';
  /** Whether the core answered the latest health poll (undefined before the first). */
  coreReachable: boolean | undefined;
  /** When the core stopped answering, while it does not. */
  coreDownSince: number | undefined;
  /** When the latest health poll ended (answered or not): the clock quote ages are shown by. */
  polledAt = 0;

  private readonly frames = new FrameBatcher(this.quotes);
  private subscriber: StreamSubscriber | undefined;
  private poller: ReturnType<typeof setInterval> | undefined;
  private readonly seenExecIds = new Set<string>();
  /** Mode switches by this window: a health answer from before one says nothing about the mode now. */
  private switches = 0;
  /** The stream epoch the books belong to. */
  private epoch: string | undefined;
  private syncing = false;
  private noVenueShown = false;
  /** Health polls started, and the latest one answered (or timed out): answers apply in order. */
  private polls = 0;
  private answered = 0;
  /** When the venue reported a quote feed silent, by conId (a newer quote makes it current again). */
  private readonly silentFeeds = new Map<number, number>();
  /** Watchlist entries the venue could not serve, reported once each. */
  private readonly unserved = new Set<string>();
  /** The venue's state as last logged, so the activity log gets each change once. */
  private loggedVenue: string | undefined;

  constructor(
    readonly api: DeskApi,
    initialMode: TradingMode,
  ) {
    this.mode = initialMode;
  }

  // --- lifecycle -------------------------------------------------------------------------------

  async start(): Promise<void> {
    this.subscriber = new StreamSubscriber({
      connect: this.api.connectStream,
      logger: consoleLog,
      timers: {
        now: () => Date.now(),
        setTimeout: (fn, ms) => setTimeout(fn, ms),
        setInterval: (fn, ms) => setInterval(fn, ms),
        clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
      },
      onMessage: (frame) => this.onData(frame),
      onSnapshot: (s) => this.onSnapshot(s.epoch, s.state),
      // Expected after every mode switch (each mode has its own stream): logged, not toasted.
      onReset: (reason) => this.alert('stream', 'INFO', 'Stream reset', `${reason}: reloading the state.`),
    });
    await this.subscriber.start();
    // Not awaited: a core that does not answer must not hold up the health polls that say so.
    void this.api.command('getWorkspace', {}).then((w) => {
      if (w.ok) this.setWorkspace(w.value);
    });
    this.poller = setInterval(() => void this.poll(), POLL_MS);
    await this.poll();
  }

  async stop(): Promise<void> {
    clearInterval(this.poller);
    this.frames.stop();
    await this.subscriber?.stop();
  }

  // --- React's side: versions per slice --------------------------------------------------------

  version(slice: Slice): number {
    return this.frames.version(slice);
  }

  subscribe(slice: Slice, listener: () => void): () => void {
    return this.frames.subscribe(slice, listener);
  }

  /** The chart's feed for one instrument: bars, EMAs and signals, once per animation frame. */
  onChart(word: string, listener: ChartListener): () => void {
    return this.frames.onChart(word, listener);
  }

  private touch(slice: Slice): void {
    this.frames.touch(slice);
  }

  // --- the stream --------------------------------------------------------------------------------

  private onSnapshot(epoch: string, state: Readonly<Record<string, unknown>>): void {
    // Another stream (the other mode's, or a recreated one): its books replace these, whatever the commands said meanwhile.
    if (this.epoch !== undefined && epoch !== this.epoch) {
      this.clearBooks();
      // The other mode's workspace (or a recreated desk's) is not newer or older than this one: it replaces it.
      this.workspace = undefined;
    }
    this.epoch = epoch;
    for (const [topic, data] of Object.entries(state)) this.apply(topic, data, true);
    // The snapshot holds the latest of each topic; lists (fills) and computed views come from the core.
    void this.reload();
  }

  private onData(frame: DataFrame): void {
    this.apply(frame.topic, frame.data, false);
  }

  private apply(topic: string, data: unknown, fromSnapshot: boolean): void {
    const m = parseTopic(topic, data);
    switch (m.kind) {
      case 'quote':
        this.frames.quote(m.word, m.data);
        return;
      case 'bar':
      case 'ema':
      case 'signal':
        if (fromSnapshot) return;
        // The 1-minute crossovers are alerts; the 5-second ones (several a minute) are markers on the 5 s view only.
        if (m.kind === 'signal' && m.period === '1m') this.logLine(crossoverLine(m.data));
        this.frames.chart(m.word, m.period, m);
        return;
      case 'order':
        this.upsertOrder(m.data, fromSnapshot);
        return;
      case 'workspace':
        this.setWorkspace(m.data);
        return;
      case 'position':
        this.positions.set(m.data.conId, m.data);
        this.touch('positions');
        return;
      case 'fill':
        this.addFill(m.data);
        return;
      case 'equity':
        this.equity = m.data;
        this.touch('account');
        return;
      case 'venue.status':
        this.setVenue(m.data);
        return;
      case 'venue.alert':
        if (!fromSnapshot) this.venueAlert(m.data);
        return;
      case 'risk.killswitch':
        this.killSwitch = m.data;
        this.touch('account');
        // Whether it is still pending is the desk's word (getRiskStatus), not the last message's.
        if (!fromSnapshot) void this.refreshRisk();
        return;
      case 'risk.alert':
        if (!fromSnapshot) this.logLine(riskAlertLine(m.data));
        return;
      case 'risk.state':
        if (fromSnapshot) return;
        this.logLine(tradingStateLine(m.data));
        void this.refreshRisk();
        return;
      case 'risk.challenge':
        if (!fromSnapshot) void this.refreshRisk();
        return;
      case 'portfolio.discrepancy':
        if (fromSnapshot) return;
        this.logLine(discrepancyLine(m.data));
        void this.refreshRisk();
        return;
      // (md.history.1m is for viewers: a window's chart loads its history with getMarketData.)
      case 'history':
      case 'unknown':
        return;
    }
  }

  private upsertOrder(order: Order, fromSnapshot: boolean): void {
    const known = this.orders.get(order.id);
    if (known && known.updatedAt > order.updatedAt) return;
    this.orders.set(order.id, order);
    this.touch('orders');
    // A fill, a partial fill or a reject as it happens (a snapshot's orders are old news): a toast and a notice.
    const notice = fromSnapshot ? undefined : orderNotice(known, order, this.priceDecimalsOf(order.conId, order.avgFillPrice));
    if (notice) {
      this.alert('order', notice.kind === 'rejected' ? 'WARNING' : 'SUCCESS', notice.title, notice.message);
      notifyTrader(notice);
    }
    if (!fromSnapshot) for (const l of orderLines(known, order)) this.logLine(l);
  }

  /** The venue's status (from the stream or a health answer); each change of its connection goes to the activity log. */
  private setVenue(v: VenueStatus): void {
    if (staleVenueStatus(this.venue, v)) return;
    this.venue = v;
    this.touch('venue');
    // The connection's state only: a resync (kill switch, reconnect) is not worth a line each time.
    if (this.loggedVenue !== undefined && this.loggedVenue !== v.state) this.logLine(venueChangeLine(v));
    this.loggedVenue = v.state;
  }

  /** Decimals for an instrument's prices: its tick's when it is on the watchlist. */
  priceDecimalsOf(conId: number, price?: number): number {
    for (const i of this.watchlist.values()) if (i.instrument.conId === conId) return priceDecimals(i.instrument.minTick, price);
    return priceDecimals(undefined, price);
  }

  private addFill(fill: Fill): void {
    this.fills = withFill(this.fills, this.seenExecIds, fill);
    this.touch('fills');
  }

  private venueAlert(a: VenueAlert): void {
    if (a.kind === 'stale-feed' && a.feed === 'quotes') {
      this.silentFeeds.set(a.conId, Date.now());
      this.touch('quotes');
    }
    this.logLine(venueAlertLine(a));
  }

  // --- reads from the core --------------------------------------------------------------------

  /** Everything that is a list or a computed view, read whole (after a snapshot). */
  async reload(): Promise<void> {
    const [orders, positions, fills, equity] = await Promise.all([
      this.api.command('getOrders', { limit: 500 }),
      this.api.command('getPositions', {}),
      this.api.command('getFills', { limit: MAX_FILLS }),
      this.api.command('getEquity', {}),
    ]);
    if (orders.ok) for (const o of orders.value) this.upsertOrder(o, true);
    if (positions.ok) {
      for (const p of positions.value) this.positions.set(p.conId, p);
      this.touch('positions');
    }
    if (fills.ok) {
      this.fills = mergeFills(this.fills, this.seenExecIds, fills.value);
      this.touch('fills');
    }
    if (equity.ok && equity.value) {
      this.equity = equity.value;
      this.touch('account');
    }
    await this.refreshRisk();
  }

  async refreshRisk(): Promise<void> {
    const [risk, reconciliation] = await Promise.all([this.api.command('getRiskStatus', {}), this.api.command('getReconciliation', {})]);
    if (risk.ok) this.risk = risk.value;
    if (reconciliation.ok) {
      this.mismatches = reconciliation.value?.positions ?? [];
      this.cashMismatch = reconciliation.value?.cash ?? null;
    }
    if (risk.ok || reconciliation.ok) this.touch('account');
  }

  private async poll(): Promise<void> {
    const switches = this.switches;
    const n = ++this.polls;
    const health = await withTimeout((signal) => this.api.command('getHealth', {}, { signal }), HEALTH_TIMEOUT_MS);
    // A slow answer that lands after a later poll's says nothing about the core now.
    if (n < this.answered) return;
    this.answered = n;
    this.coreAnswered(health.ok ? undefined : health.error.message);
    if (health.ok) {
      const restarted = this.health !== undefined && this.health.session !== health.value.session;
      this.health = health.value;
      if (health.value.venue) this.setVenue(health.value.venue);
      // Another window (or the CLI) switched the mode: follow the core (unless this window switched meanwhile).
      if (switches === this.switches && health.value.mode !== this.mode) void this.modeSwitched(health.value.mode);
      // A restarted core knows nothing of this window's subscriptions.
      else if (restarted) this.watchlist.clear();
      if (!this.workspace) {
        const workspace = await withTimeout((signal) => this.api.command('getWorkspace', {}, { signal }), HEALTH_TIMEOUT_MS);
        if (workspace.ok && !this.workspace) this.setWorkspace(workspace.value);
      }
      void this.syncWatchlist();
    }
    const state = this.subscriber?.state();
    if (state) {
      for (const l of streamLines(this.stream.state, state)) this.logLine(l);
      const latency = [...this.stream.latency, { t: Date.now(), p50: state.latencyMs.p50, p99: state.latencyMs.p99 }].slice(-120);
      this.stream = { connected: state.websocket === 'open', state, latency };
      this.touch('transport');
    }
    if (health.ok) await this.refreshRisk();
  }

  /** The core answered a health poll (or did not: why); an outage and a recovery each go to the log once. */
  private coreAnswered(failure: string | undefined): void {
    const reachable = failure === undefined;
    this.polledAt = Date.now();
    if (reachable && this.coreReachable === false) {
      const down = this.coreDownSince === undefined ? '' : ` after ${Math.round((Date.now() - this.coreDownSince) / 1000)} s`;
      this.alert('core', 'INFO', 'Core reachable again', `The DualDesk core answers again${down}.`);
    } else if (!reachable && this.coreReachable !== false) {
      this.coreDownSince = Date.now();
      this.alert('core', 'CRITICAL', 'Core not reachable', failure);
    }
    if (reachable) this.coreDownSince = undefined;
    // Dots, banner, quote ages and the ticket's Send follow every answer (or its absence); the risk badge each change.
    if (this.coreReachable !== reachable) this.touch('account');
    this.coreReachable = reachable;
    this.touch('venue');
  }

  // --- connectivity --------------------------------------------------------------------------------

  /** What this window knows of its connections now (health polls and the subscriber's state). */
  connectivity(now = Date.now()): Connectivity {
    // The stream's state as of the last poll (once a second): cheap enough for every render of the ticket.
    return { coreReachable: this.coreReachable, coreDownSince: this.coreDownSince, health: this.health, venue: this.venue, risk: this.risk, stream: this.stream.state, now };
  }

  /** Everything down now, with what the desk is doing about it (the outage banner). */
  outages(now = Date.now()): Outage[] {
    return outages(this.connectivity(now));
  }

  /** The age of a quote that may not be the market's now (an outage, or its feed reported silent), by the last poll's clock; else undefined. */
  quoteAge(word: string): number | undefined {
    const q = this.quotes.get(word);
    return staleAge(q?.time, this.polledAt, this.outages(this.polledAt).length > 0, q ? this.silentFeeds.get(q.conId) : undefined);
  }

  /** Why the ticket's Send is off now (undefined when an order can go out). */
  orderBlock(): string | undefined {
    return orderBlock(this.connectivity());
  }

  // --- commands ----------------------------------------------------------------------------------

  /** Runs a command; the caller shows a refusal where the trader acted. */
  command<N extends CommandName>(name: N, args: CommandArgs<N>): Promise<CommandResult<CommandValues[N]>> {
    return this.api.command(name, args);
  }

  /** Adds a symbol to the desk's watchlist: the venue resolves it (its error is the answer when it cannot). */
  async watch(symbol: string, secType: Instrument['secType'] = 'STK'): Promise<CommandResult<WatchItem>> {
    const added = await this.api.command('addToWatchlist', { instrument: { symbol, secType } });
    if (!added.ok) return added;
    this.setWorkspace(added.value);
    const entry = added.value.watchlist[added.value.watchlist.length - 1] as WatchlistEntry;
    return this.watchEntry(entry);
  }

  /** Removes a symbol from the desk's watchlist (every window follows). */
  async unwatch(word: string): Promise<void> {
    const item = this.watchlist.get(word);
    if (!item) return;
    const removed = await this.api.command('removeFromWatchlist', { conId: item.instrument.conId });
    if (removed.ok) this.setWorkspace(removed.value);
    else this.alert('command', 'WARNING', `${item.instrument.symbol} not removed`, removed.error.message);
  }

  /** Charts an instrument on the watchlist: shown here at once, then on every window from the desk's answer. */
  async showChart(word: string): Promise<void> {
    const item = this.watchlist.get(word);
    if (!item || !this.workspace || this.workspace.chart === item.instrument.conId) return;
    const before = this.workspace;
    const shownHere: Workspace = { ...before, chart: item.instrument.conId };
    this.workspace = shownHere;
    this.touch('watchlist');
    const shown = await this.api.command('showChart', { conId: item.instrument.conId });
    if (shown.ok) {
      this.setWorkspace(shown.value);
      return;
    }
    // Refused: the chart goes back to the desk's (unless the desk's workspace came meanwhile).
    if (this.workspace === shownHere) {
      this.workspace = before;
      this.touch('watchlist');
    }
    this.alert('command', 'WARNING', `${item.instrument.symbol} not charted`, shown.error.message);
  }

  /** The desk's workspace changed: entries gone are dropped here (and their quotes released), new ones subscribed. */
  private setWorkspace(workspace: Workspace): void {
    // Answers and stream messages cross: an older workspace never replaces a newer one (by the desk's revision, not a clock).
    if (this.workspace && workspace.revision < this.workspace.revision) return;
    this.workspace = workspace;
    const kept = new Set(workspace.watchlist.map((e) => e.instrument.conId));
    const items = [...this.watchlist.values()];
    for (const item of items) {
      if (kept.has(item.instrument.conId)) continue;
      this.watchlist.delete(item.word);
      void this.api.command('unsubscribe', { conId: item.instrument.conId });
    }
    this.order();
    this.touch('watchlist');
    void this.syncWatchlist();
  }

  /** The map in the desk's order (a Map iterates in insertion order). */
  private order(): void {
    const rank = new Map(this.workspace?.watchlist.map((e, i) => [e.instrument.conId, i]));
    const items = [...this.watchlist.values()].sort((a, b) => (rank.get(a.instrument.conId) ?? Infinity) - (rank.get(b.instrument.conId) ?? Infinity));
    this.watchlist.clear();
    for (const item of items) this.watchlist.set(item.word, item);
  }

  /** This window's quotes for one entry of the desk's watchlist (the desk resolved it: the answer names the contract). */
  private async watchEntry(entry: WatchlistEntry): Promise<CommandResult<WatchItem>> {
    const result = await this.api.command('subscribe', { instrument: entry.instrument });
    if (!result.ok) return result;
    const item = { word: result.value.word, instrument: result.value.instrument };
    // Removed meanwhile (by another window): not shown, and the quotes just asked for are released.
    if (!this.workspace?.watchlist.some((e) => e.instrument.conId === item.instrument.conId || (e.instrument.conId === undefined && e.word === entry.word))) {
      void this.api.command('unsubscribe', { conId: item.instrument.conId });
      return { ok: true, value: item };
    }
    if (!this.watchlist.has(item.word)) this.watchlist.set(item.word, item);
    else void this.api.command('unsubscribe', { conId: item.instrument.conId });
    if (result.value.quote && !this.quotes.has(item.word)) this.quotes.set(item.word, result.value.quote);
    this.order();
    this.touch('watchlist');
    this.touch('quotes');
    return { ok: true, value: item };
  }

  /**
   * Subscribes every entry of the desk's watchlist this window has not got yet, once the venue is in sync
   * (after a start, a mode switch or a core restart); first, once, moves this browser's old watchlist to the desk.
   */
  private async syncWatchlist(): Promise<void> {
    if (this.syncing || !this.health || !this.workspace) return;
    const venue = this.health.venue;
    if (!this.health.venueConfigured) {
      if (!this.noVenueShown) this.alert('venue', 'INFO', 'No venue', 'DualDesk runs without a venue: start it with --demo, or --venue tws|gateway, to trade and see quotes.');
      this.noVenueShown = true;
      return;
    }
    if (!venue || !venue.synced || (venue.state !== 'connected' && venue.state !== 'degraded-data')) return;
    this.syncing = true;
    try {
      await moveOldWatchlist(this.api, this.workspace, (w) => this.setWorkspace(w));
      const have = new Set([...this.watchlist.values()].map((i) => i.instrument.conId));
      const missing = this.workspace.watchlist.filter((e) => !this.unserved.has(e.word) && (e.instrument.conId === undefined || !have.has(e.instrument.conId)));
      if (missing.length === 0) return;
      for (const entry of missing) {
        const r = await this.watchEntry(entry);
        // Reported once; the entry stays on the desk's list until the trader removes it.
        if (!r.ok && r.error.code === 'unknown-instrument' && !this.unserved.has(entry.word)) {
          this.unserved.add(entry.word);
          this.alert('venue', 'WARNING', `${entry.word}: no quotes`, r.error.message);
        }
        // Anything else (the venue reconnecting, the core switching) is tried again at the next poll.
      }
      await this.reload();
    } finally {
      this.syncing = false;
    }
  }

  /** The other mode's core has its own orders, positions and subscriptions: start over there. */
  async modeSwitched(mode: TradingMode): Promise<void> {
    if (mode === this.mode) return;
    this.switches++;
    this.mode = mode;
    // The books follow the stream: the new mode's snapshot (a new epoch) replaces them.
    this.quotes.clear();
    this.frames.dropQuotes();
    this.watchlist.clear();
    // The other mode's database has its own workspace: its stream's snapshot brings it.
    this.workspace = undefined;
    this.venue = undefined;
    this.loggedVenue = undefined;
    this.health = undefined;
    for (const slice of ['venue', 'watchlist', 'quotes'] as const) this.touch(slice);
    // The next poll sees the new mode's venue and subscribes the watchlist once it is in sync.
    await this.poll();
  }

  /** Orders, positions, fills, equity and risk: one mode's books. */
  private clearBooks(): void {
    this.orders.clear();
    this.positions.clear();
    this.fills = [];
    this.seenExecIds.clear();
    this.equity = undefined;
    this.risk = undefined;
    for (const slice of ['orders', 'positions', 'fills', 'account'] as const) this.touch(slice);
  }

  // --- the activity log ---------------------------------------------------------------------------

  /** The activity log, newest first. */
  get alerts(): readonly DeskAlert[] {
    return this.activity.alerts;
  }

  /** A hotkey the trader pressed (the hotkey handler calls this before acting). */
  hotkey(chord: string, action: string): void {
    this.alert('hotkey', 'INFO', `Hotkey ${chord}`, action);
  }

  alert(source: AlertSource, severity: DeskAlert['severity'], title: string, message: string): void {
    this.logLine({ source, severity, title, message });
  }

  private logLine(line: LogLine): void {
    this.activity.add(line);
    this.touch('alerts');
  }

  /** Alerts young enough to show as toasts. */
  toasts(now = Date.now()): DeskAlert[] {
    return this.activity.toasts(now);
  }
}
