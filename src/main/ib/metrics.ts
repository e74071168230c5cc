import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ConnectionState } from '../../shared';

/** The venue's metrics; created once per registry (adapters come and go with mode switches). */
export interface VenueMetrics {
  readonly state: Gauge<'state'>;
  readonly connects: Counter;
  readonly reconnectAttempts: Counter;
  readonly messagesSent: Counter<'priority'>;
  readonly errors: Counter<'code'>;
  readonly staleFeeds: Counter<'feed'>;
  readonly orderSendSeconds: Histogram;
  readonly pacerQueue: Gauge;
}

const STATES: readonly ConnectionState[] = ['disconnected', 'connecting', 'connected', 'degraded-data', 'lost'];

export function createVenueMetrics(registry: Registry): VenueMetrics {
  const registers = [registry];
  return {
    state: new Gauge({ name: 'dualdesk_venue_state', help: 'Venue connection state (1 for the current one).', labelNames: ['state'], registers }),
    connects: new Counter({ name: 'dualdesk_venue_connects_total', help: 'Successful connections to TWS/IB Gateway.', registers }),
    reconnectAttempts: new Counter({ name: 'dualdesk_venue_reconnect_attempts_total', help: 'Failed connection attempts (each followed by a backoff).', registers }),
    messagesSent: new Counter({ name: 'dualdesk_venue_messages_sent_total', help: 'Requests sent to IB, by pacing priority.', labelNames: ['priority'], registers }),
    errors: new Counter({ name: 'dualdesk_venue_errors_total', help: 'Error messages from IB, by code.', labelNames: ['code'], registers }),
    staleFeeds: new Counter({ name: 'dualdesk_venue_stale_feeds_total', help: 'Market data feeds found silent and resubscribed.', labelNames: ['feed'], registers }),
    orderSendSeconds: new Histogram({
      name: 'dualdesk_venue_order_send_seconds',
      help: 'From an order command to its message written to the venue socket.',
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    }),
    pacerQueue: new Gauge({ name: 'dualdesk_venue_pacer_queue', help: 'Requests waiting for a pacing slot.', registers }),
  };
}

export function setStateGauge(m: VenueMetrics, state: ConnectionState): void {
  for (const s of STATES) m.state.set({ state: s }, s === state ? 1 : 0);
}
