// Flatten: reduce-only market orders taking positions (all, or one instrument's) to zero; allowed in
// every trading state. A position that differs from the venue's is closed at the venue's figure.
import { DeskCommandError, type Instrument, type InstrumentSpec, type Order, type OrderTicket, type Position } from '../../shared';

export interface FlattenPorts {
  /** The position and cash mismatches trading is held for (the portfolio's). */
  readonly heldDiscrepancies: () => readonly { readonly kind: string; readonly conId?: number }[];
  readonly position: (conId: number) => { readonly quantity: number } | undefined;
  readonly positions: () => readonly Position[];
  /** Reads the venue now and takes its figures (this instrument's only, when given). */
  readonly adoptFresh: (why: string, conId?: number) => Promise<unknown>;
  /** The security type of an instrument the desk resolved. */
  readonly secTypeOf: (conId: number) => Instrument['secType'] | undefined;
  /** The instrument, once it has market data and a first quote (risk prices every order). */
  readonly quoted: (spec: InstrumentSpec) => Promise<Instrument>;
  readonly place: (ticket: OrderTicket, instrument: Instrument, options: { readonly reduceOnly: true }) => Promise<Order>;
}

export async function flattenPositions(ports: FlattenPorts, conId?: number): Promise<Order[]> {
  const mismatched = ports.heldDiscrepancies().some((d) => d.kind === 'position' && (conId === undefined || d.conId === conId));
  if (conId !== undefined && !mismatched && !ports.position(conId)?.quantity) throw new DeskCommandError('no-position', `There is no position in ${conId} to flatten.`);
  // Flattening what differs from the venue closes the venue's figure (the truth), not DualDesk's: read now, and that instrument's only.
  if (mismatched) await ports.adoptFresh('flattened by the trader', conId);
  const open = ports.positions().filter((p) => p.quantity !== 0 && (conId === undefined || p.conId === conId));
  const orders: Order[] = [];
  for (const p of open) {
    const instrument = await ports.quoted({ conId: p.conId, symbol: p.symbol, secType: ports.secTypeOf(p.conId) ?? 'STK' });
    orders.push(await ports.place(exitTicket(p, instrument), instrument, { reduceOnly: true }));
  }
  return orders;
}

function exitTicket(p: Position, instrument: Instrument): OrderTicket {
  return {
    instrument: { symbol: instrument.symbol, secType: instrument.secType, conId: instrument.conId },
    side: p.quantity > 0 ? 'SELL' : 'BUY',
    quantity: Math.abs(p.quantity),
    type: 'MKT',
    tif: 'DAY',
  };
}
