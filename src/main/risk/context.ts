// What the gate asks of the rest of the core, answered from narrow ports (risk imports neither market
// data, portfolio nor execution: the composition root hands their answers in).
import type { Instrument, OrderSide } from '../../shared';
import type { OrderIntent, RiskContext } from './types';

/** A quote as the gate prices by it. */
export interface QuoteView {
  readonly last?: number;
  readonly bid?: number;
  readonly ask?: number;
}

/** A position as the gate counts it. */
export interface PositionView {
  readonly conId: number;
  readonly quantity: number;
  readonly avgPrice: number;
  readonly lastPrice?: number;
  readonly multiplier: number;
}

/** A working order as the gate counts it. */
export interface WorkingOrderView {
  readonly conId: number;
  readonly side: OrderSide;
  readonly quantity: number;
  readonly filledQuantity: number;
}

export interface RiskContextPorts {
  readonly instrument: (conId: number) => Instrument | undefined;
  readonly quote: (conId: number) => QuoteView | undefined;
  readonly position: (conId: number) => PositionView | undefined;
  readonly positions: () => readonly PositionView[];
  readonly workingOrders: () => readonly WorkingOrderView[];
  readonly now: () => number;
}

export function riskContextOf(ports: RiskContextPorts): RiskContext {
  return {
    instrument: (conId) => ports.instrument(conId),
    lastPrice: (conId) => {
      const q = ports.quote(conId);
      if (!q) return undefined;
      if (q.last !== undefined) return q.last;
      return q.bid !== undefined && q.ask !== undefined ? (q.bid + q.ask) / 2 : undefined;
    },
    position: (conId) => ports.position(conId)?.quantity ?? 0,
    workingQuantity: (conId, side) => {
      let sum = 0;
      for (const o of ports.workingOrders()) if (o.conId === conId && o.side === side) sum += o.quantity - o.filledQuantity;
      return sum;
    },
    grossExposure: () => {
      let gross = 0;
      for (const p of ports.positions()) gross += Math.abs(p.quantity * (p.lastPrice ?? p.avgPrice) * p.multiplier);
      return gross;
    },
    // One base currency (USD) today: other currencies have no rate, and orders in them are refused with that reason.
    fxRate: (currency) => (currency === 'USD' ? 1 : undefined),
    now: () => ports.now(),
  };
}

/** Execution's order intent (an instrument, reduce-only or not) as the gate checks it (a conId, a purpose). */
export function gateIntentOf(
  i: Omit<OrderIntent, 'conId' | 'confirmedDuplicate'> & { readonly instrument: { readonly conId: number }; readonly reduceOnly: boolean },
): OrderIntent {
  return {
    conId: i.instrument.conId,
    side: i.side,
    quantity: i.quantity,
    type: i.type,
    ...(i.limitPrice === undefined ? {} : { limitPrice: i.limitPrice }),
    ...(i.stopPrice === undefined ? {} : { stopPrice: i.stopPrice }),
    ...(i.replacesQuantity === undefined ? {} : { replacesQuantity: i.replacesQuantity }),
    purpose: i.reduceOnly ? 'flatten' : 'trade',
  };
}
