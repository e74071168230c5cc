// What the top bar and the transport panel show: each dependency's state in one answer.
import type { TradingMode } from './mode';
import type { VenueStatus } from './venue';

export interface DependencyHealth {
  readonly ok: boolean;
  /** Why not, or what it is doing (in the trader's words). */
  readonly detail: string;
}

export interface DeskHealth {
  readonly mode: TradingMode;
  /** Changes when the core restarts: the UI then subscribes its watchlist again. */
  readonly session: string;
  readonly at: number;
  /** Whether the desk has a venue at all (the demo simulator, TWS or IB Gateway). */
  readonly venueConfigured: boolean;
  /** The venue's status; absent when none is configured, or while a mode switch replaces it. */
  readonly venue?: VenueStatus;
  readonly checks: { readonly venue: DependencyHealth; readonly stream: DependencyHealth; readonly kafka: DependencyHealth; readonly journal: DependencyHealth };
  readonly stream: {
    readonly epoch: string;
    readonly head: number;
    /** WebSocket subscribers now (the trader's own windows and viewers). */
    readonly subscribers: number;
    readonly catchingUp: number;
  } | null;
  /** Null when Kafka is not configured. */
  readonly kafka: {
    readonly state: 'starting' | 'up' | 'down';
    readonly backlog: number;
    readonly lagMs: number;
    readonly lastError?: string;
  } | null;
}
