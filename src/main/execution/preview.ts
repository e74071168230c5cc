// The risk gate's verdict on a ticket, recording nothing (the ticket's live preview): the refusals that
// come before the gate's, then the same intent the engine hands the gate when the order is placed.
import type { Instrument, OrderPreview, OrderTicket } from '../../shared';
import { orderIntent, type OrderIntent } from './intent';

export interface PreviewPorts {
  /** The venue's trading status; undefined when no venue is configured. */
  readonly trading: () => { readonly allowed: boolean; readonly reason?: string } | undefined;
  /** Why new orders are refused while the stream cannot be written, or undefined. */
  readonly streamRefusal: () => string | undefined;
  /** Instruments the desk has resolved, by conId. */
  readonly instruments: ReadonlyMap<number, Instrument>;
  /** The gate's verdict, recording nothing. */
  readonly gate: (intent: OrderIntent) => OrderPreview;
}

/** The instrument must be one the desk has resolved (on the watchlist, traded or held); that is what the gate checks first. */
export function previewOrder(ticket: OrderTicket, ports: PreviewPorts): OrderPreview {
  // The venue's own refusal (disconnected, LIVE not armed, a paper account in LIVE) comes first: the gate's pass would mislead.
  const trading = ports.trading();
  if (trading && !trading.allowed) return { ok: false, code: 'venue-unavailable', reason: trading.reason ?? 'The venue does not accept orders now.' };
  const blind = ports.streamRefusal();
  if (blind !== undefined) return { ok: false, code: 'stream-unavailable', reason: blind };
  const spec = ticket.instrument;
  const instrument =
    spec.conId !== undefined
      ? ports.instruments.get(spec.conId)
      : [...ports.instruments.values()].find(
          (i) => i.symbol === spec.symbol.toUpperCase() && i.secType === spec.secType && (spec.currency === undefined || i.currency === spec.currency),
        );
  if (!instrument) return { ok: false, code: 'unknown-instrument', reason: `${spec.symbol} is not known to the desk yet: add it to the watchlist first` };
  return ports.gate(orderIntent(ticket, instrument, { reduceOnly: false }));
}
