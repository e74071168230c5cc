// The viewer's layout: what the trader shares, read-only. The watchlist and chart (market data), and
// whatever else the token's scope lets through; a panel outside the scope is not shown at all. No
// ticket, no mode switch, no kill switch, no buttons that act on the desk: there is nothing to call.
import { useState } from 'react';
import type { ViewerScope } from '../../../shared';
import { compact, money, pct, price, priceDecimals, qty, signed, time, tone } from '../desk/format';
import type { ViewerStore } from './store';
import { ViewerChart } from './ViewerChart';
import { inScope } from './words';

type Tab = 'orders' | 'fills' | 'alerts';

export function ViewOnly({ store, scope }: { store: ViewerStore; scope: readonly ViewerScope[] }) {
  const [picked, setPicked] = useState<number | undefined>();
  const list = store.watchlist();
  // The viewer's own pick, else what the trader charts, else the first line.
  const charted = [picked, store.workspace?.chart ?? undefined, list[0]?.conId].find((c) => c !== undefined && list.some((i) => i.conId === c));
  const symbol = list.find((i) => i.conId === charted)?.symbol ?? '';
  const tabs = (['orders', 'fills', 'alerts'] as const).filter((t) => (t === 'alerts' ? inScope(scope, 'alerts') : inScope(scope, 'orders')));
  const [tab, setTab] = useState<Tab | undefined>();
  const shownTab = tab !== undefined && tabs.includes(tab) ? tab : tabs[0];
  const side = inScope(scope, 'pnl') || inScope(scope, 'positions');

  return (
    <main className={`view-only ${side ? 'with-side' : ''} ${shownTab ? 'with-bottom' : ''}`} data-testid="view-only">
      {inScope(scope, 'market') && <SharedWatchlist store={store} selected={charted} onSelect={setPicked} />}
      {inScope(scope, 'market') && <ViewerChart store={store} conId={charted} symbol={symbol} />}
      {side && (
        <div className="view-side">
          {inScope(scope, 'pnl') && <Pnl store={store} />}
          {inScope(scope, 'positions') && <Positions store={store} />}
        </div>
      )}
      {shownTab && (
        <section className="panel view-bottom" data-testid="view-bottom">
          <h3>
            {tabs.map((t) => (
              <button key={t} className={`btn tab ${t === shownTab ? 'active' : ''}`} onClick={() => setTab(t)} data-testid={`tab-${t}`}>
                {t === 'orders' ? 'Orders' : t === 'fills' ? 'Fills' : 'Alerts'}
              </button>
            ))}
          </h3>
          <div className="scroll">
            {shownTab === 'orders' && <Orders store={store} />}
            {shownTab === 'fills' && <Fills store={store} />}
            {shownTab === 'alerts' && <Alerts store={store} />}
          </div>
        </section>
      )}
    </main>
  );
}

function SharedWatchlist({ store, selected, onSelect }: { store: ViewerStore; selected: number | undefined; onSelect: (conId: number) => void }) {
  const list = store.watchlist();
  return (
    <section className="panel watchlist" data-testid="watchlist">
      <h3>Watchlist</h3>
      <div className="scroll">
        <table className="grid">
          <thead>
            <tr>
              <th>Symbol</th>
              <th className="num">Bid</th>
              <th className="num">Ask</th>
              <th className="num">Last</th>
              <th className="num">Chg</th>
              <th className="num">Vol</th>
            </tr>
          </thead>
          <tbody>
            {list.map((item) => {
              const q = store.quotes.get(item.conId);
              const d = priceDecimals(undefined, q?.last ?? q?.bid);
              const change = q?.last !== undefined && q.close !== undefined ? q.last - q.close : undefined;
              return (
                <tr key={item.conId} className={item.conId === selected ? 'selected' : ''} onClick={() => onSelect(item.conId)} data-testid={`watch-row-${item.symbol}`}>
                  <td className="sym">{item.symbol}</td>
                  <td className="num" data-testid="bid">{price(q?.bid, d)}</td>
                  <td className="num" data-testid="ask">{price(q?.ask, d)}</td>
                  <td className="num" data-testid="last">{price(q?.last, d)}</td>
                  <td className={`num ${tone(change)}`}>{pct(change !== undefined && q?.close ? (change / q.close) * 100 : undefined)}</td>
                  <td className="num">{compact(q?.volume)}</td>
                </tr>
              );
            })}
            {list.length === 0 && (
              <tr>
                <td colSpan={6} className="muted">
                  Nothing shared yet.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Pnl({ store }: { store: ViewerStore }) {
  const e = store.equity;
  const daily = e ? e.equity - e.dailyStartEquity : undefined;
  return (
    <section className="panel" data-testid="pnl">
      <h3>P&amp;L</h3>
      <dl className="figures">
        <dt>Equity</dt>
        <dd data-testid="pnl-equity">{money(e?.equity)}</dd>
        <dt>Today</dt>
        <dd className={tone(daily)} data-testid="pnl-daily">{signed(daily)}</dd>
        <dt>Realized</dt>
        <dd className={tone(e?.realizedPnl)}>{signed(e?.realizedPnl)}</dd>
        <dt>Unrealized</dt>
        <dd className={tone(e?.unrealizedPnl)}>{signed(e?.unrealizedPnl)}</dd>
        <dt>Commissions</dt>
        <dd>{money(e?.commissions)}</dd>
      </dl>
    </section>
  );
}

function Positions({ store }: { store: ViewerStore }) {
  const rows = [...store.positions.values()].filter((p) => p.quantity !== 0 || p.realizedPnl !== 0 || p.commissions !== 0);
  return (
    <section className="panel" data-testid="positions-panel">
      <h3>Positions</h3>
      <div className="scroll">
        <table className="grid" data-testid="positions">
          <thead>
            <tr>
              <th>Symbol</th>
              <th className="num">Qty</th>
              <th className="num">Avg cost</th>
              <th className="num">Unrealized</th>
              <th className="num">Realized</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((p) => (
              <tr key={p.conId} data-testid={`position-${p.symbol}`}>
                <td className="sym">{p.symbol}</td>
                <td className={`num ${tone(p.quantity)}`} data-testid="position-qty">
                  {qty(p.quantity)}
                </td>
                <td className="num">{p.quantity === 0 ? '—' : price(p.avgPrice, 4)}</td>
                <td className={`num ${tone(p.unrealizedPnl)}`}>{signed(p.unrealizedPnl)}</td>
                <td className={`num ${tone(p.realizedPnl)}`}>{signed(p.realizedPnl)}</td>
              </tr>
            ))}
            {rows.length === 0 && (
              <tr>
                <td colSpan={5} className="muted">
                  No positions.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Orders({ store }: { store: ViewerStore }) {
  const rows = [...store.orders.values()].sort((a, b) => b.updatedAt - a.updatedAt).slice(0, 200);
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
        </tr>
      </thead>
      <tbody>
        {rows.map((o) => (
          <tr key={o.id} data-testid={`order-${o.id}`} data-state={o.state}>
            <td>{time(o.updatedAt)}</td>
            <td className="sym">{o.symbol}</td>
            <td>{o.side}</td>
            <td className="num">{qty(o.quantity)}</td>
            <td>{o.type}</td>
            <td className="num">{price(o.limitPrice ?? o.stopPrice, priceDecimals(undefined, o.limitPrice ?? o.stopPrice))}</td>
            <td className="num">{o.filledQuantity > 0 ? `${qty(o.filledQuantity)} @ ${price(o.avgFillPrice, priceDecimals(undefined, o.avgFillPrice))}` : '—'}</td>
            <td className={`state-${o.state}`}>{o.state}</td>
          </tr>
        ))}
        {rows.length === 0 && (
          <tr>
            <td colSpan={8} className="muted">
              No orders.
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}

function Fills({ store }: { store: ViewerStore }) {
  return (
    <table className="grid" data-testid="fills">
      <thead>
        <tr>
          <th>Time</th>
          <th>Symbol</th>
          <th>Side</th>
          <th className="num">Qty</th>
          <th className="num">Price</th>
          <th className="num">Comm.</th>
        </tr>
      </thead>
      <tbody>
        {store.fills.map((f) => (
          <tr key={f.execId} data-testid="fill-row">
            <td>{time(f.time)}</td>
            <td className="sym">{f.symbol}</td>
            <td>{f.side}</td>
            <td className="num">{qty(f.quantity)}</td>
            <td className="num">{price(f.price, priceDecimals(undefined, f.price))}</td>
            <td className="num">{money(f.commission)}</td>
          </tr>
        ))}
        {store.fills.length === 0 && (
          <tr>
            <td colSpan={6} className="muted">
              No fills.
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}

function Alerts({ store }: { store: ViewerStore }) {
  return (
    <table className="grid" data-testid="alerts">
      <tbody>
        {store.alerts.map((a) => (
          <tr key={a.id} className={`sev-${a.severity}`}>
            <td>{a.at ? time(a.at) : ''}</td>
            <td>{a.severity}</td>
            <td>{a.title}</td>
            <td>{a.message}</td>
          </tr>
        ))}
        {store.alerts.length === 0 && (
          <tr>
            <td className="muted">No alerts since you joined.</td>
          </tr>
        )}
      </tbody>
    </table>
  );
}
