import { useRef, useState } from 'react';
import { priceFieldsOf, TIMES_IN_FORCE, type Order, type TimeInForce } from '../../../shared';
import { useDesk, useSlices } from '../desk/hooks';
import { parsePrice, parseQuantity, price, priceDecimals, qty } from '../desk/format';
import { ActivityTable, FillsTable, OrderRow, OrdersTable, PositionsTable, type OrderEditors } from './BlotterTables';
import { HotkeySettings } from './Hotkeys';

type Tab = 'positions' | 'orders' | 'fills' | 'alerts' | 'keys';

const WORKING = new Set(['new', 'submitted', 'partially-filled']);

function Positions() {
  const store = useSlices('positions');
  const [error, setError] = useState<string | undefined>();
  return (
    <>
      {error && <p className="error">{error}</p>}
      <PositionsTable
        positions={store.positions.values()}
        onFlatten={(p) => void store.command('flatten', { conId: p.conId }).then((r) => setError(r.ok ? undefined : r.error.message))}
      />
    </>
  );
}

/** The fields a modify can change, as they were when the row was opened. */
type Editable = Pick<Order, 'quantity' | 'limitPrice' | 'stopPrice' | 'tif'>;

/** What changed on the order since the row was opened (another window, the venue), in the trader's words. */
function changedSince(start: Editable, o: Order, d: number): string[] {
  const out: string[] = [];
  if (o.quantity !== start.quantity) out.push(`quantity ${qty(start.quantity)} → ${qty(o.quantity)}`);
  if (o.limitPrice !== start.limitPrice) out.push(`limit ${price(start.limitPrice, d)} → ${price(o.limitPrice, d)}`);
  if (o.stopPrice !== start.stopPrice) out.push(`stop ${price(start.stopPrice, d)} → ${price(o.stopPrice, d)}`);
  if (o.tif !== start.tif) out.push(`TIF ${start.tif} → ${o.tif}`);
  return out;
}

function EditableOrderRow({ o, onError }: { o: Order; onError: (message: string | undefined) => void }) {
  const store = useDesk();
  const [editing, setEditing] = useState(false);
  // The order's fields when the row was opened: only what the trader changed from these is sent.
  const [start, setStart] = useState<Editable | undefined>();
  const [saving, setSaving] = useState(false);
  const inFlight = useRef(false);
  const [newQty, setNewQty] = useState('');
  const [newLimit, setNewLimit] = useState('');
  const [newStop, setNewStop] = useState('');
  const [newTif, setNewTif] = useState<TimeInForce>(o.tif);
  const working = WORKING.has(o.state);
  // Every price field the order type has (the one rule in src/shared).
  const { limit: hasLimit, stop: hasStop } = priceFieldsOf(o.type);
  const d = store.priceDecimalsOf(o.conId, o.limitPrice ?? o.stopPrice);

  function startEditing() {
    // From the order as it is now (it may have been modified elsewhere since), exactly (1.5 stays 1.5).
    setStart({ quantity: o.quantity, limitPrice: o.limitPrice, stopPrice: o.stopPrice, tif: o.tif });
    setNewQty(qty(o.quantity));
    setNewLimit(o.limitPrice === undefined ? '' : price(o.limitPrice, Math.max(d, priceDecimals(undefined, o.limitPrice))));
    setNewStop(o.stopPrice === undefined ? '' : price(o.stopPrice, Math.max(d, priceDecimals(undefined, o.stopPrice))));
    setNewTif(o.tif);
    setEditing(true);
  }

  async function modify() {
    // One modify at a time: a double click on Save sends one.
    if (inFlight.current || start === undefined) return;
    const qtyValue = parseQuantity(newQty);
    const limitValue = parsePrice(newLimit);
    const stopValue = parsePrice(newStop);
    if (qtyValue === undefined || qtyValue <= 0) return onError('The new quantity must be a positive number, like 1,000.');
    if (hasLimit && (limitValue === undefined || limitValue <= 0)) return onError('The new limit price must be a positive number.');
    if (hasStop && (stopValue === undefined || stopValue <= 0)) return onError('The new stop price must be a positive number.');
    // Only what the trader changed from the row's start (numbers, not text): a change made elsewhere meanwhile stands.
    const changes: { quantity?: number; limitPrice?: number; stopPrice?: number; tif?: TimeInForce } = {};
    if (qtyValue !== start.quantity) changes.quantity = qtyValue;
    if (hasLimit && limitValue !== start.limitPrice) changes.limitPrice = limitValue;
    if (hasStop && stopValue !== start.stopPrice) changes.stopPrice = stopValue;
    if (newTif !== start.tif) changes.tif = newTif;
    if (Object.keys(changes).length === 0) {
      setEditing(false);
      return;
    }
    inFlight.current = true;
    setSaving(true);
    const r = await store.command('modifyOrder', { orderId: o.id, ...changes });
    inFlight.current = false;
    setSaving(false);
    onError(r.ok ? undefined : r.error.message);
    if (r.ok) setEditing(false);
  }
  const changedElsewhere = editing && start !== undefined ? changedSince(start, o, d) : [];

  const editors: OrderEditors | undefined = editing
    ? {
        quantity: <input className="inline" value={newQty} onChange={(e) => setNewQty(e.target.value)} aria-label="New quantity" />,
        tif: (
          <select className="inline" value={newTif} onChange={(e) => setNewTif(e.target.value as TimeInForce)} aria-label="New time in force">
            {TIMES_IN_FORCE.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        ),
        price: (
          <>
            {hasStop && <input className="inline" value={newStop} onChange={(e) => setNewStop(e.target.value)} aria-label="New stop price" placeholder="stop" />}
            {hasLimit && <input className="inline" value={newLimit} onChange={(e) => setNewLimit(e.target.value)} aria-label="New limit price" placeholder="limit" />}
          </>
        ),
      }
    : undefined;

  return (
    <OrderRow
      o={o}
      decimals={d}
      editors={editors}
      note={
        changedElsewhere.length > 0 && (
          <span className="changed-elsewhere" data-testid="order-changed">
            {' '}
            Changed since you opened it: {changedElsewhere.join(', ')} (Save sends only your edits)
          </span>
        )
      }
      actions={
        <>
          {working && !editing && (
            <>
              <button className="btn small" onClick={startEditing} data-testid="order-modify">
                Modify
              </button>
              <button
                className="btn small"
                onClick={() => void store.command('cancelOrder', { orderId: o.id }).then((r) => onError(r.ok ? undefined : r.error.message))}
                data-testid="order-cancel"
              >
                Cancel
              </button>
            </>
          )}
          {editing && (
            <>
              <button className="btn small" onClick={() => void modify()} disabled={saving}>
                {saving ? 'Saving…' : 'Save'}
              </button>
              <button className="btn small" onClick={() => setEditing(false)}>
                ×
              </button>
            </>
          )}
        </>
      }
    />
  );
}

function Orders() {
  const store = useSlices('orders');
  const [show, setShow] = useState<'working' | 'done'>('working');
  const [error, setError] = useState<string | undefined>();
  const all = [...store.orders.values()].sort((a, b) => b.createdAt - a.createdAt);
  const rows = all.filter((o) => WORKING.has(o.state) === (show === 'working'));
  return (
    <>
      <div className="subtabs">
        {(['working', 'done'] as const).map((s) => (
          <button key={s} className={`btn tab ${show === s ? 'active' : ''}`} onClick={() => setShow(s)} data-testid={`orders-${s}`}>
            {s} ({all.filter((o) => WORKING.has(o.state) === (s === 'working')).length})
          </button>
        ))}
        <span className="spacer" />
        <button className="btn small" onClick={() => void store.command('cancelAll', {}).then((r) => setError(r.ok ? undefined : r.error.message))}>
          Cancel all
        </button>
      </div>
      {error && (
        <p className="error" data-testid="orders-error">
          {error}
        </p>
      )}
      <OrdersTable orders={rows.slice(0, 200)} row={(o) => <EditableOrderRow key={o.id} o={o} onError={setError} />} />
    </>
  );
}

function Fills() {
  return <FillsTable fills={useSlices('fills').fills} />;
}

/** The activity log: orders, hotkeys, the stream, the core, the venue, discrepancies and risk, newest first; filterable by source. */
function AlertLog() {
  const store = useSlices('alerts');
  const [source, setSource] = useState('');
  const sources = [...new Set(store.alerts.map((a) => a.source))].sort();
  return (
    <>
      <div className="subtabs">
        <select value={source} onChange={(e) => setSource(e.target.value)} aria-label="Show activity from" data-testid="activity-filter">
          <option value="">Every source</option>
          {sources.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <ActivityTable alerts={store.alerts.filter((a) => source === '' || a.source === source)} />
    </>
  );
}

/** Positions, orders (working / done), fills, the activity log and the hotkeys, as tabs. */
export function Blotter() {
  const [tab, setTab] = useState<Tab>('positions');
  const labels: Record<Tab, string> = { positions: 'Positions', orders: 'Orders', fills: 'Fills', alerts: 'Activity', keys: 'Hotkeys' };
  return (
    <section className="panel blotter">
      <h3 className="tabs">
        {(Object.keys(labels) as Tab[]).map((t) => (
          <button key={t} className={`btn tab ${tab === t ? 'active' : ''}`} onClick={() => setTab(t)} data-testid={`tab-${t}`}>
            {labels[t]}
          </button>
        ))}
      </h3>
      <div className="scroll">
        {tab === 'positions' && <Positions />}
        {tab === 'orders' && <Orders />}
        {tab === 'fills' && <Fills />}
        {tab === 'alerts' && <AlertLog />}
        {tab === 'keys' && <HotkeySettings />}
      </div>
    </section>
  );
}
