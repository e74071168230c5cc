// The blotter's tables: positions, orders, fills and the activity log. The desk's window adds its
// actions (flatten, modify and cancel); a viewer passes none and only reads.
import type { ReactNode } from 'react';
import type { Fill, Order, Position } from '../../../shared';
import { money, price, priceDecimals, qty, signed, time, tone } from '../desk/format';

/** Open positions, and those closed today (they carry realized P&L or commissions). */
export function PositionsTable({ positions, onFlatten }: { positions: Iterable<Position>; onFlatten?: (p: Position) => void }) {
  const rows = [...positions].filter((p) => p.quantity !== 0 || p.realizedPnl !== 0 || p.commissions !== 0);
  return (
    <table className="grid" data-testid="positions">
      <thead>
        <tr>
          <th>Symbol</th>
          <th className="num">Qty</th>
          <th className="num">Avg cost</th>
          <th className="num">Last</th>
          <th className="num">Unrealized</th>
          <th className="num">Realized</th>
          <th className="num">Comm.</th>
          {onFlatten && <th />}
        </tr>
      </thead>
      <tbody>
        {rows.map((p) => (
          <tr key={p.conId} data-testid={`position-${p.symbol}`}>
            <td className="sym">{p.symbol}</td>
            <td className={`num ${tone(p.quantity)}`} data-testid="position-qty">
              {qty(p.quantity)}
            </td>
            {/* A closed position has no cost left to average (the core reports 0): a dash, not 0.0000. */}
            <td className="num" data-testid="position-avg">
              {p.quantity === 0 ? '—' : price(p.avgPrice, 4)}
            </td>
            <td className="num">{price(p.lastPrice, priceDecimals(undefined, p.lastPrice))}</td>
            <td className={`num ${tone(p.unrealizedPnl)}`} data-testid="position-upnl">
              {signed(p.unrealizedPnl)}
            </td>
            <td className={`num ${tone(p.realizedPnl)}`}>{signed(p.realizedPnl)}</td>
            <td className="num">{money(p.commissions)}</td>
            {onFlatten && (
              <td>
                {p.quantity !== 0 && (
                  <button className="btn small" onClick={() => onFlatten(p)}>
                    Flatten
                  </button>
                )}
              </td>
            )}
          </tr>
        ))}
        {rows.length === 0 && (
          <tr>
            <td colSpan={onFlatten ? 8 : 7} className="muted">
              No positions.
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}

/** The price column: the limit, the stop, or both for a stop limit. */
function orderPrice(o: Order, d: number): string {
  if (o.type === 'STP LMT') return `stop ${price(o.stopPrice, d)} lmt ${price(o.limitPrice, d)}`;
  return price(o.limitPrice ?? o.stopPrice, d);
}

/** What an editing row puts in place of the order's quantity, time in force and price. */
export interface OrderEditors {
  readonly quantity: ReactNode;
  readonly tif: ReactNode;
  readonly price: ReactNode;
}

/** One order; with `actions` (the desk's buttons, an empty fragment for none) an action cell, with `editors` its fields as inputs. */
export function OrderRow({ o, decimals, editors, note, actions }: { o: Order; decimals: number; editors?: OrderEditors; note?: ReactNode; actions?: ReactNode }) {
  return (
    <tr data-testid={`order-${o.id}`} data-state={o.state}>
      <td>{time(o.createdAt)}</td>
      <td className="sym">{o.symbol}</td>
      <td className={o.side === 'BUY' ? 'pos' : 'neg'}>{o.side}</td>
      <td className="num">{editors ? editors.quantity : qty(o.quantity)}</td>
      <td>
        {o.type} {editors ? editors.tif : <span className="muted">{o.tif}</span>}
      </td>
      <td className="num" data-testid="order-price">
        {editors ? editors.price : orderPrice(o, decimals)}
      </td>
      <td className="num">
        {qty(o.filledQuantity)}
        {o.filledQuantity > 0 ? ` @ ${price(o.avgFillPrice, 4)}` : ''}
      </td>
      <td className={`state state-${o.state}`} data-testid="order-state" title={o.reason}>
        {o.state}
        {o.reason && o.state !== 'filled' ? ` — ${o.reason}` : ''}
        {note}
      </td>
      {actions !== undefined && <td className="actions">{actions}</td>}
    </tr>
  );
}

/** Orders, newest first as given; `row` draws the desk's editable rows (with an action column), else read-only rows. */
export function OrdersTable({ orders, row, empty }: { orders: readonly Order[]; row?: (o: Order) => ReactNode; empty?: string }) {
  return (
    <table className="grid" data-testid="orders">
      <thead>
        <tr>
          <th>Time</th>
          <th>Symbol</th>
          <th>Side</th>
          <th className="num">Qty</th>
          <th>Type</th>
          <th className="num">Price</th>
          <th className="num">Filled</th>
          <th>State</th>
          {row && <th />}
        </tr>
      </thead>
      <tbody>
        {orders.map((o) => (row ? row(o) : <OrderRow key={o.id} o={o} decimals={priceDecimals(undefined, o.limitPrice ?? o.stopPrice)} />))}
        {orders.length === 0 && empty && (
          <tr>
            <td colSpan={row ? 9 : 8} className="muted">
              {empty}
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}

/** Fills, newest first as given (the latest 200). */
export function FillsTable({ fills, empty }: { fills: readonly Fill[]; empty?: string }) {
  return (
    <table className="grid" data-testid="fills">
      <thead>
        <tr>
          <th>Time</th>
          <th>Symbol</th>
          <th>Side</th>
          <th className="num">Qty</th>
          <th className="num">Price</th>
          <th className="num">Commission</th>
          <th>Exec id</th>
        </tr>
      </thead>
      <tbody>
        {fills.slice(0, 200).map((f) => (
          <tr key={f.execId} data-testid={`fill-${f.symbol}`}>
            <td>{time(f.time)}</td>
            <td className="sym">{f.symbol}</td>
            <td className={f.side === 'BUY' ? 'pos' : 'neg'}>{f.side}</td>
            <td className="num">{qty(f.quantity)}</td>
            <td className="num">{price(f.price, 4)}</td>
            <td className="num" data-testid="fill-commission">
              {money(f.commission)}
            </td>
            <td className="muted">{f.execId}</td>
          </tr>
        ))}
        {fills.length === 0 && empty && (
          <tr>
            <td colSpan={7} className="muted">
              {empty}
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}

/** An entry of the activity log. */
export interface ActivityEntry {
  readonly id: number;
  readonly at: number;
  readonly source: string;
  readonly severity: string;
  readonly title: string;
  readonly message: string;
}

/** The activity log, newest first as given. */
export function ActivityTable({ alerts, empty }: { alerts: readonly ActivityEntry[]; empty?: string }) {
  return (
    <table className="grid" data-testid="alert-log">
      <tbody>
        {alerts.map((a) => (
          <tr key={a.id} className={`sev-${a.severity}`} data-testid="activity" data-source={a.source}>
            <td>{time(a.at)}</td>
            <td>{a.source}</td>
            <td className="sym">{a.title}</td>
            <td>{a.message}</td>
          </tr>
        ))}
        {alerts.length === 0 && empty && (
          <tr>
            <td className="muted">{empty}</td>
          </tr>
        )}
      </tbody>
    </table>
  );
}
