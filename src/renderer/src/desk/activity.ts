// The activity log: what happened, in the trader's words, from the stream's messages and the window's
// own connections. Each function says what one event is worth as a line (or nothing); the store keeps them.
import type { CrossSignal, Discrepancy, Order, RiskAlert, TradingStateChange, VenueAlert, VenueStatus } from '../../../shared';
import type { SubscriberState } from '../../../shared/stream';
import { price, priceDecimals, qty } from './format';

export type AlertSource = 'risk' | 'venue' | 'order' | 'portfolio' | 'stream' | 'core' | 'hotkey' | 'command';

/** One line of the activity log (and a toast while fresh, unless INFO). */
export interface DeskAlert {
  readonly id: number;
  readonly at: number;
  readonly source: AlertSource;
  /** SUCCESS: good news worth a toast (a fill). */
  readonly severity: 'INFO' | 'SUCCESS' | 'WARNING' | 'CRITICAL';
  readonly title: string;
  readonly message: string;
}

/** A line before the log numbers and times it. */
export type LogLine = Omit<DeskAlert, 'id' | 'at'>;

const MAX_ALERTS = 300;
const TOAST_MS = 8_000;

/** The log, newest first, bounded. */
export class ActivityLog {
  private lines: readonly DeskAlert[] = [];
  private nextId = 1;

  /** Newest first, read-only: lines are added through add() alone. */
  get alerts(): readonly DeskAlert[] {
    return this.lines;
  }

  add(line: LogLine): void {
    this.lines = [{ id: this.nextId++, at: Date.now(), ...line }, ...this.lines].slice(0, MAX_ALERTS);
  }

  /** Alerts young enough to show as toasts. */
  toasts(now: number): DeskAlert[] {
    return this.alerts.filter((a) => now - a.at < TOAST_MS && a.severity !== 'INFO').slice(0, 4);
  }
}

function line(source: AlertSource, severity: DeskAlert['severity'], title: string, message: string): LogLine {
  return { source, severity, title, message };
}

/** A 1-minute crossover (the 5-second ones, several a minute, are markers on the 5 s view only). */
export function crossoverLine(s: CrossSignal): LogLine {
  return line('risk', 'INFO', `${s.symbol}: ${s.direction} EMA crossover`, `EMA ${s.fastPeriod} crossed EMA ${s.slowPeriod} at ${s.price} (a signal only; nothing was traded)`);
}

export function riskAlertLine(a: RiskAlert): LogLine {
  return line('risk', a.severity === 'CRITICAL' || a.severity === 'HIGH' ? 'CRITICAL' : a.severity === 'MEDIUM' ? 'WARNING' : 'INFO', a.title, a.message);
}

export function tradingStateLine(s: TradingStateChange): LogLine {
  return line('risk', s.state === 'ACTIVE' ? 'INFO' : 'CRITICAL', `Trading ${s.state}`, s.reason);
}

export function discrepancyLine(d: Discrepancy): LogLine {
  return line('portfolio', 'WARNING', `Books differ from the venue (${d.kind}${d.symbol ? ` ${d.symbol}` : ''})`, `DualDesk ${d.desk}, venue ${d.venue}`);
}

export function venueAlertLine(a: VenueAlert): LogLine {
  if (a.kind === 'stale-feed') return line('venue', 'WARNING', `${a.symbol}: ${a.feed} stale`, `No ${a.feed} for ${Math.round(a.silentMs / 1000)} s`);
  if (a.kind === 'connectivity') return line('venue', a.code === 1100 ? 'CRITICAL' : 'INFO', `Venue ${a.code}`, a.message);
  return line('venue', 'WARNING', `Order ${a.orderRef || a.orderId}: venue warning ${a.code}`, a.message);
}

/** The venue's connection changed (a resync, kill switch or reconnect, is not worth a line each time). */
export function venueChangeLine(v: VenueStatus): LogLine {
  const ok = v.state === 'connected' || v.state === 'degraded-data';
  return line(
    'venue',
    ok ? 'INFO' : 'WARNING',
    `Venue ${v.state === 'degraded-data' ? 'connected, a data farm down' : v.state}`,
    `${v.host}:${v.port}${v.lastError ? ` — ${v.lastError}` : ''}${v.trading.reason ? ` — ${v.trading.reason}` : ''}`,
  );
}

/** What changed in an order, as the stream told it (with the order's id); fills and rejects are notices. */
export function orderLines(known: Order | undefined, o: Order): LogLine[] {
  const lines: LogLine[] = [];
  const d = priceDecimals(undefined, o.limitPrice ?? o.stopPrice);
  const what = `${o.side} ${qty(o.quantity)} ${o.symbol} ${o.type}${o.limitPrice !== undefined ? ` ${price(o.limitPrice, d)}` : ''}${o.stopPrice !== undefined ? ` stop ${price(o.stopPrice, d)}` : ''}`;
  if (!known) lines.push(line('order', 'INFO', `Order ${o.id} submitted`, `${what} ${o.tif}${o.origin === 'adopted' ? ' (found at the venue)' : ''}`));
  else {
    const changes = [
      known.quantity !== o.quantity ? `quantity ${qty(known.quantity)} → ${qty(o.quantity)}` : '',
      known.limitPrice !== o.limitPrice ? `limit ${price(known.limitPrice, d)} → ${price(o.limitPrice, d)}` : '',
      known.stopPrice !== o.stopPrice ? `stop ${price(known.stopPrice, d)} → ${price(o.stopPrice, d)}` : '',
      known.tif !== o.tif ? `TIF ${known.tif} → ${o.tif}` : '',
    ].filter(Boolean);
    if (changes.length > 0) lines.push(line('order', 'INFO', `Order ${o.id} modified`, `${changes.join(', ')} (${what})`));
  }
  if (known?.state === o.state) return lines;
  const reason = o.reason ? ` — ${o.reason}` : '';
  if (o.state === 'cancelled') lines.push(line('order', 'INFO', `Order ${o.id} cancelled`, `${what}${reason}`));
  else if (o.state === 'expired') lines.push(line('order', 'INFO', `Order ${o.id} expired`, `${what}${reason}`));
  return lines;
}

/** Reconnects, failovers and gap fills of this window's stream, from its subscriber's counters. */
export function streamLines(before: SubscriberState | undefined, now: SubscriberState): LogLine[] {
  if (!before) return [];
  const lines: LogLine[] = [];
  if (before.websocket === 'open' && now.websocket !== 'open') lines.push(line('stream', 'INFO', 'Stream disconnected', `At seq ${now.lastSeq}; reconnecting.`));
  if (before.websocket !== 'open' && now.websocket === 'open')
    lines.push(line('stream', 'INFO', 'Stream reconnected', `Resumed at seq ${now.lastSeq} (${now.reconnects} reconnect(s) so far).`));
  if (now.failovers > before.failovers) lines.push(line('stream', 'WARNING', 'Stream failed over to Kafka', `Reading the backup from seq ${now.lastSeq + 1}.`));
  if (now.gapsFilled > before.gapsFilled) lines.push(line('stream', 'INFO', 'Stream gap filled', `${now.gapsFilled - before.gapsFilled} gap(s) filled; at seq ${now.lastSeq}.`));
  return lines;
}
