// The venue connection as the trader sees it (the IB adapter's status and alerts).
import type { TradingMode } from './mode';

/**
 * The connection as the trader sees it. `lost` is the order channel gone (socket closed, IB's 1100):
 * trading stops. `degraded-data` is a market data farm down (2103/2105): quotes may pause, trading goes on.
 */
export type ConnectionState = 'disconnected' | 'connecting' | 'connected' | 'degraded-data' | 'lost';

export interface VenueStatus {
  readonly state: ConnectionState;
  readonly since: number;
  readonly mode: TradingMode;
  readonly host: string;
  readonly port: number;
  readonly clientId: number;
  readonly accounts: readonly string[];
  /** The account orders go to: the trader's choice (venue.account) or the login's only one; absent while that is ambiguous. */
  readonly account?: string;
  /** Positions, orders and executions have been read since the last (re)connect. */
  readonly synced: boolean;
  /** Live mode only: the trader has armed live trading. */
  readonly armed: boolean;
  /** Whether orders may be sent now, and if not, why (in the trader's words). */
  readonly trading: { readonly allowed: boolean; readonly reason?: string };
  /** Reconnect attempts since the last successful connection, and when the next one is due. */
  readonly attempts: number;
  readonly nextAttemptAt?: number;
  readonly lastError?: string;
}

export type VenueAlert =
  | { readonly kind: 'stale-feed'; readonly conId: number; readonly symbol: string; readonly feed: 'quotes' | 'bars'; readonly silentMs: number }
  | { readonly kind: 'connectivity'; readonly code: number; readonly message: string }
  | { readonly kind: 'order-warning'; readonly orderId: number; readonly orderRef: string; readonly code: number; readonly message: string };
