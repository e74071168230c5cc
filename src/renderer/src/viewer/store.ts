// The viewer's state: everything it shows comes from the share server's stream, never from a command
// (the share port has no command API). The same StreamSubscriber as the desk window's: it resumes from
// its position after every reconnect, so a viewer sees each message once and misses none. Frames land
// in plain maps; React hears of them once per animation frame.
import {
  parseTopic,
  unpackBarHistory,
  type ChartBar,
  type EquitySnapshot,
  type Fill,
  type Order,
  type Position,
  type StreamMessage,
  type SymbolQuote,
  type VenueAlert,
  type VenueStatus,
} from '../../../shared';
import { StreamSubscriber, type ConnectStream, type DataFrame, type SubscriberState } from '../../../shared/stream';
import { keepOrder } from './orders';
import { linkState, refusalOf, type Refusal, type ViewerLinkState } from './words';
import { parseWorkspace, type SharedWatchItem, type SharedWorkspace } from './workspace';

export type ChartInterval = '1m' | '5s';

/** One instrument's chart as the stream brings it: the 1-minute history (md.history.1m), then live bars. */
export interface ChartSeries {
  readonly bars: Map<number, ChartBar>;
  readonly emas: Map<number, Readonly<Record<number, number>>>;
}

export interface ViewerAlert {
  readonly id: number;
  readonly at: number;
  readonly source: 'risk' | 'venue' | 'portfolio';
  readonly severity: 'INFO' | 'WARNING' | 'CRITICAL';
  readonly title: string;
  readonly message: string;
}

const MAX_BARS = 1_500;
const MAX_FILLS = 500;
const MAX_ALERTS = 200;
const POLL_MS = 500;
const HIDDEN_FLUSH_MS = 1_000;

export class ViewerStore {
  readonly quotes = new Map<number, SymbolQuote>();
  /** Instruments named by the stream (quotes, bars), by conId: the watchlist when the desk publishes no workspace. */
  readonly seen = new Map<number, SharedWatchItem>();
  readonly orders = new Map<string, Order>();
  readonly positions = new Map<number, Position>();
  fills: Fill[] = [];
  equity: EquitySnapshot | undefined;
  venue: VenueStatus | undefined;
  alerts: ViewerAlert[] = [];
  workspace: SharedWorkspace | undefined;
  link: SubscriberState | undefined;
  refusal: Refusal | undefined;
  /** Snapshots taken: one when joining; another only when the position could not be resumed. */
  snapshots = 0;
  /** When the link's state was last read: the clock its countdowns are shown by. */
  polledAt = 0;
  /** Times the link's state was read (every POLL_MS): shows time passing on the page. */
  polls = 0;
  /** Connections attempted to the share server (the first and every retry). */
  attempts = 0;

  private readonly charts = new Map<string, ChartSeries>();
  private readonly chartListeners = new Map<string, Set<() => void>>();
  private readonly dirtyCharts = new Set<string>();
  private readonly listeners = new Set<() => void>();
  private version = 0;
  private frame = 0;
  private hiddenTimer: ReturnType<typeof setTimeout> | undefined;
  private poller: ReturnType<typeof setInterval> | undefined;
  private subscriber: StreamSubscriber | undefined;
  private epoch: string | undefined;
  private nextAlertId = 1;

  /**
   * `connect` is given the store's close handler: it must call it with every close code before the subscriber hears of it.
   * `onDeadLink` hears of a refusal not worth retrying (expired, revoked): the page forgets the token.
   */
  constructor(
    private readonly connect: (onClose: (code: number, reason: string) => void) => ConnectStream,
    private readonly onDeadLink: () => void = () => undefined,
  ) {}

  async start(): Promise<void> {
    clearInterval(this.poller);
    const connect = this.connect((code, reason) => this.closed(code, reason));
    const subscriber = new StreamSubscriber({
      connect: (events) => {
        this.attempts++;
        return connect(events);
      },
      logger: consoleLog,
      timers: {
        now: () => Date.now(),
        setTimeout: (fn, ms) => setTimeout(fn, ms),
        setInterval: (fn, ms) => setInterval(fn, ms),
        clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
      },
      onMessage: (frame) => this.onData(frame),
      onSnapshot: (s) => this.onSnapshot(s.epoch, s.state),
    });
    this.subscriber = subscriber;
    this.poller = setInterval(() => this.poll(), POLL_MS);
    await subscriber.start();
  }

  async stop(): Promise<void> {
    clearInterval(this.poller);
    cancelAnimationFrame(this.frame);
    clearTimeout(this.hiddenTimer);
    await this.subscriber?.stop();
  }

  // --- React's side ---------------------------------------------------------------------------

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getVersion = (): number => this.version;

  /** What to show of the link now. */
  state(): ViewerLinkState {
    return linkState(this.link, this.refusal);
  }

  /** The watchlist: the trader's (the workspace topic), else every instrument the stream has named, by symbol. */
  watchlist(): readonly SharedWatchItem[] {
    if (this.workspace) return this.workspace.watchlist;
    return [...this.seen.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  }

  chart(conId: number, interval: ChartInterval): ChartSeries | undefined {
    return this.charts.get(chartKey(conId, interval));
  }

  /** Called once per animation frame while the chart has new bars. */
  onChart(conId: number, interval: ChartInterval, listener: () => void): () => void {
    const key = chartKey(conId, interval);
    let set = this.chartListeners.get(key);
    if (!set) this.chartListeners.set(key, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  private touch(): void {
    if (this.frame !== 0 || this.hiddenTimer !== undefined) return;
    // A hidden tab gets no animation frames: flush on a slow timer instead, so nothing piles up.
    if (document.hidden) this.hiddenTimer = setTimeout(() => this.flush(), HIDDEN_FLUSH_MS);
    else this.frame = requestAnimationFrame(() => this.flush());
  }

  private flush(): void {
    cancelAnimationFrame(this.frame);
    clearTimeout(this.hiddenTimer);
    this.frame = 0;
    this.hiddenTimer = undefined;
    for (const key of this.dirtyCharts) for (const l of this.chartListeners.get(key) ?? []) l();
    this.dirtyCharts.clear();
    this.version++;
    for (const l of this.listeners) l();
  }

  // --- the link -----------------------------------------------------------------------------

  private poll(): void {
    this.link = this.subscriber?.state();
    this.polledAt = Date.now();
    this.polls++;
    // Back at the desk: an earlier refusal that was worth retrying is over.
    if (this.refusal?.retry && this.link?.websocket === 'open' && this.link.epoch !== undefined) this.refusal = undefined;
    this.touch();
  }

  private closed(code: number, reason: string): void {
    // Our own closes (a stop, a rejoin, a stalled socket dropped) are not the desk's refusals.
    if (code === 1000 || code === 4000) return;
    this.refusal = refusalOf(code, reason);
    // A dead link (expired, revoked, not this desk's): retrying would be refused again, and again.
    if (!this.refusal.retry) {
      void this.subscriber?.stop();
      this.onDeadLink();
    }
    this.poll();
  }

  // --- the stream ---------------------------------------------------------------------------

  private onSnapshot(epoch: string, state: Readonly<Record<string, unknown>>): void {
    // Another stream (the desk switched mode, or its journal was recreated): its books replace these.
    if (this.epoch !== undefined && epoch !== this.epoch) this.clear();
    this.epoch = epoch;
    this.snapshots++;
    for (const [topic, data] of Object.entries(state)) this.apply(topic, data, 0, true);
    this.touch();
  }

  private onData(frame: DataFrame): void {
    this.apply(frame.topic, frame.data, frame.ts, false);
    this.touch();
  }

  // The share server's payloads are checked field by field before use: a viewer trusts no shape.
  private apply(topic: string, data: unknown, ts: number, fromSnapshot: boolean): void {
    if (typeof data !== 'object' || data === null) return;
    const m = parseTopic(topic, data);
    switch (m.kind) {
      case 'workspace': {
        const ws = parseWorkspace(m.data);
        if (ws) this.workspace = ws;
        return;
      }
      case 'order':
        keepOrder(this.orders, m.data);
        return;
      case 'fill': {
        const f = m.data;
        // Again when its commission arrives (same execId): replaced, not added.
        this.fills = this.fills.some((x) => x.execId === f.execId) ? this.fills.map((x) => (x.execId === f.execId ? f : x)) : [f, ...this.fills].slice(0, MAX_FILLS);
        return;
      }
      case 'position':
        this.positions.set(m.data.conId, m.data);
        return;
      case 'equity':
        this.equity = m.data;
        return;
      case 'venue.status':
        this.venue = m.data;
        return;
      case 'venue.alert':
        if (!fromSnapshot) this.venueAlert(m.data, ts);
        return;
      case 'risk.alert': {
        if (fromSnapshot) return;
        const a = m.data;
        this.alert(ts, 'risk', a.severity === 'CRITICAL' || a.severity === 'HIGH' ? 'CRITICAL' : a.severity === 'MEDIUM' ? 'WARNING' : 'INFO', a.title, a.message);
        return;
      }
      case 'risk.state':
        if (!fromSnapshot) this.alert(ts, 'risk', m.data.state === 'ACTIVE' ? 'INFO' : 'CRITICAL', `Trading ${m.data.state}`, m.data.reason);
        return;
      case 'portfolio.discrepancy': {
        if (fromSnapshot) return;
        const d = m.data as { message?: unknown };
        this.alert(ts, 'portfolio', 'WARNING', 'Books differ from the venue', typeof d.message === 'string' ? d.message : '');
        return;
      }
      case 'quote':
      case 'bar':
      case 'history':
      case 'ema':
        this.market(m);
        return;
      // Not shown to viewers: the kill switch's progress, the challenge, the crossovers (the desk's alerts).
      case 'risk.killswitch':
      case 'risk.challenge':
      case 'signal':
      case 'unknown':
        return;
    }
  }

  /** md.quote, md.history.1m, md.bar.1m / 5s, md.ema[.5s] (signals are the desk's alerts, not shown here). */
  private market(m: Extract<StreamMessage, { kind: 'quote' | 'bar' | 'history' | 'ema' }>): void {
    if (m.kind === 'quote') {
      const q = m.data;
      if (typeof q.conId !== 'number') return;
      this.quotes.set(q.conId, q);
      this.name(q.conId, q.symbol);
      return;
    }
    if (m.kind === 'bar') {
      const u = m.data;
      if (typeof u.conId !== 'number' || typeof u.bar?.time !== 'number') return;
      this.name(u.conId, u.symbol);
      const key = chartKey(u.conId, u.size === '5s' ? '5s' : '1m');
      const series = this.series(key);
      series.bars.set(u.bar.time, u.bar);
      trim(series.bars);
      this.dirtyCharts.add(key);
      return;
    }
    if (m.kind === 'history') {
      const h = unpackBarHistory(m.data);
      if (!h) return;
      this.name(h.conId, h.symbol);
      const key = chartKey(h.conId, '1m');
      const series = this.series(key);
      // The closed minutes; a bar the stream brought since (the forming minute) stays.
      for (const b of h.bars) series.bars.set(b.time, b);
      trim(series.bars);
      this.dirtyCharts.add(key);
      return;
    }
    const e = m.data;
    if (typeof e.conId !== 'number' || typeof e.time !== 'number') return;
    const key = chartKey(e.conId, m.period);
    const series = this.series(key);
    series.emas.set(e.time, e.values);
    trim(series.emas);
    this.dirtyCharts.add(key);
  }

  private series(key: string): ChartSeries {
    let s = this.charts.get(key);
    if (!s) this.charts.set(key, (s = { bars: new Map(), emas: new Map() }));
    return s;
  }

  private name(conId: number, symbol: unknown): void {
    if (!this.seen.has(conId) && typeof symbol === 'string') this.seen.set(conId, { conId, symbol });
  }

  private venueAlert(a: VenueAlert, ts: number): void {
    if (a.kind === 'stale-feed') this.alert(ts, 'venue', 'WARNING', `${a.symbol}: ${a.feed} stale`, `No ${a.feed} for ${Math.round(a.silentMs / 1000)} s`);
    else if (a.kind === 'connectivity') this.alert(ts, 'venue', a.code === 1100 ? 'CRITICAL' : 'INFO', `Venue ${a.code}`, a.message);
    else this.alert(ts, 'venue', 'WARNING', `Order ${a.orderRef || a.orderId}: venue warning ${a.code}`, a.message);
  }

  private alert(at: number, source: ViewerAlert['source'], severity: ViewerAlert['severity'], title: string, message: string): void {
    this.alerts = [{ id: this.nextAlertId++, at, source, severity, title, message }, ...this.alerts].slice(0, MAX_ALERTS);
  }

  private clear(): void {
    this.quotes.clear();
    this.seen.clear();
    this.orders.clear();
    this.positions.clear();
    this.fills = [];
    this.equity = undefined;
    this.venue = undefined;
    this.workspace = undefined;
    for (const [key, s] of this.charts) {
      s.bars.clear();
      s.emas.clear();
      this.dirtyCharts.add(key);
    }
  }
}

const chartKey = (conId: number, interval: ChartInterval) => `${conId}:${interval}`;

/** Keeps the newest MAX_BARS entries (keys are times, inserted mostly in order). */
function trim<V>(m: Map<number, V>): void {
  if (m.size <= MAX_BARS) return;
  const oldest = [...m.keys()].sort((a, b) => a - b).slice(0, m.size - MAX_BARS);
  for (const k of oldest) m.delete(k);
}

const consoleLog = {
  debug: () => undefined,
  info: () => undefined,
  warn: (obj: object, msg: string) => console.info('[stream]', msg, obj),
  error: (obj: object, msg: string) => console.info('[stream]', msg, obj),
};
