// What is down and what the desk is doing about it, derived from the core's health answers and the
// stream subscriber's own state (never from the last message, which an outage simply stops).
import type { DeskHealth, RiskStatus, VenueStatus } from '../../../shared';
import type { SubscriberState } from '../../../shared/stream';

/** What this window knows about its connections at one instant. */
export interface Connectivity {
  /** Whether the core answered the latest health poll (undefined before the first answer). */
  readonly coreReachable: boolean | undefined;
  /** When the core stopped answering (epoch ms), while it is unreachable. */
  readonly coreDownSince: number | undefined;
  readonly health: DeskHealth | undefined;
  readonly venue: VenueStatus | undefined;
  readonly risk: RiskStatus | undefined;
  readonly stream: SubscriberState | undefined;
  readonly now: number;
}

export type OutageKind = 'core' | 'stream' | 'catching-up' | 'venue' | 'data-farm';

/** One thing that is down, in the trader's words: what, and what the desk is doing about it. */
export interface Outage {
  readonly kind: OutageKind;
  readonly down: string;
  readonly doing: string;
}

/** A stream this far behind its head (in messages) is reported as catching up. */
const BEHIND = 50;

const cap = (s: string) => `${s.charAt(0).toUpperCase()}${s.slice(1)}`;
const seconds = (ms: number) => `${Math.max(0, Math.ceil(ms / 1000))} s`;

/** "reconnecting in 4 s" (or "now", while the attempt is under way). */
function reconnecting(at: number | undefined, now: number): string {
  return at === undefined || at <= now ? 'reconnecting now' : `reconnecting in ${seconds(at - now)}`;
}

/** Everything down now, the most fundamental first (an unreachable core hides what lies behind it). */
export function outages(c: Connectivity): Outage[] {
  const out: Outage[] = [];
  const s = c.stream;
  if (c.coreReachable === false) {
    const since = c.coreDownSince === undefined ? '' : ` for ${seconds(c.now - c.coreDownSince)}`;
    out.push({
      kind: 'core',
      down: `The DualDesk core is not reachable${since}: nothing shown is live and no order can go out.`,
      doing: s ? `Stream ${reconnecting(s.nextReconnectAt, c.now)}; asking the core again every second.` : 'Asking the core again every second.',
    });
    return out;
  }
  if (s && s.websocket !== 'open')
    out.push({
      kind: 'stream',
      down: 'The stream from the core is down: quotes and orders on screen are not updating.',
      doing: s.channel === 'kafka' ? `Reading from Kafka meanwhile; ${reconnecting(s.nextReconnectAt, c.now)}.` : `${cap(reconnecting(s.nextReconnectAt, c.now))}.`,
    });
  else if (s && s.epoch !== undefined && s.head - s.lastSeq > BEHIND)
    out.push({ kind: 'catching-up', down: 'The stream is behind the core.', doing: `Catching up ${(s.head - s.lastSeq).toLocaleString('en-US')} messages.` });
  const v = c.venue;
  if (c.health?.venueConfigured && v) {
    if (v.state === 'degraded-data')
      out.push({ kind: 'data-farm', down: 'A market data farm is down at the venue: quotes may pause.', doing: 'Trading goes on; the venue restores the farm by itself.' });
    else if (v.state !== 'connected') {
      const next = v.nextAttemptAt === undefined ? (v.state === 'connecting' ? 'connecting now' : 'waiting to reconnect') : reconnecting(v.nextAttemptAt, c.now);
      out.push({
        kind: 'venue',
        down: `The venue (${v.host}:${v.port}) is ${v.state === 'lost' ? 'lost' : v.state}${v.lastError ? ` — ${v.lastError}` : ''}: no order can go out.`,
        doing: `${cap(next)}${v.attempts > 0 ? ` (attempt ${v.attempts})` : ''}.`,
      });
    } else if (!v.synced) out.push({ kind: 'venue', down: 'The venue is connected but not in sync yet.', doing: 'Reading positions, orders and executions from the venue.' });
  }
  return out;
}

/**
 * Why an order cannot go out now (undefined when it can): the core unreachable, the venue disconnected
 * or not in sync, or trading not allowed. The risk gate's own checks stay the core's (previewOrder).
 */
export function orderBlock(c: Connectivity): string | undefined {
  if (c.coreReachable === false) return 'Send is off: the DualDesk core is not reachable.';
  if (c.coreReachable === undefined) return 'Send is off until the core answers.';
  if (c.health && !c.health.venueConfigured) return 'Send is off: DualDesk runs without a venue.';
  const v = c.venue;
  if (!v) return 'Send is off: the venue’s state is not known yet.';
  if (v.state !== 'connected' && v.state !== 'degraded-data') return `Send is off: the venue is ${v.state}.`;
  if (!v.synced) return 'Send is off: the venue is not in sync yet.';
  if (!v.trading.allowed) return `Send is off: ${sentence(v.trading.reason ?? 'the venue does not allow trading now')}`;
  if (c.risk?.state === 'HALTED') return `Send is off: trading is halted${c.risk.reason ? ` — ${sentence(c.risk.reason)}` : '.'}`;
  return undefined;
}

/** A reason as the end of a sentence (one full stop). */
const sentence = (s: string) => (/[.!?]$/.test(s) ? s : `${s}.`);

/**
 * The age of a quote that may not be the market's now, else undefined: its path is interrupted (any
 * outage), or the venue reported its feed silent (`silentSince`, when told) and it has not changed since.
 * A quiet quote on a healthy feed is current, however old its last change.
 */
export function staleAge(quoteTime: number | undefined, now: number, interrupted: boolean, silentSince?: number): number | undefined {
  if (quoteTime === undefined) return undefined;
  if (!interrupted && (silentSince === undefined || quoteTime > silentSince)) return undefined;
  return Math.max(0, now - quoteTime);
}

/** "12 s", "3 min", "2 h": a stale quote's age at a glance. */
export function ageText(ms: number): string {
  if (ms < 60_000) return `${Math.floor(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min`;
  return `${Math.floor(ms / 3_600_000)} h`;
}

/**
 * A venue status older than the one shown: the health poll's answer and the stream both carry it, in no
 * order between them, so a poll prepared before a stream update can land after it. A state begun
 * earlier than the shown one's (same mode) is the past, not a change.
 */
export function staleVenueStatus(shown: VenueStatus | undefined, next: VenueStatus): boolean {
  return shown !== undefined && next.mode === shown.mode && next.since < shown.since;
}
