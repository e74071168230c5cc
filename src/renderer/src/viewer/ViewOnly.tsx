// The viewer's layout: what the trader shares, read-only. The watchlist and chart (market data), and
// whatever else the token's scope lets through; a panel outside the scope is not shown at all. No
// ticket, no mode switch, no kill switch, no buttons that act on the desk: there is nothing to call.
import { useState } from 'react';
import type { ViewerScope } from '../../../shared';
import { topicWord } from '../../../shared/stream';
import { ActivityTable, FillsTable, OrdersTable, PositionsTable } from '../components/BlotterTables';
import { WatchTable, type WatchRow } from '../components/WatchTable';
import { money, signed, tone } from '../desk/format';
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
            {shownTab === 'orders' && <OrdersTable orders={[...store.orders.values()].sort((a, b) => b.createdAt - a.createdAt).slice(0, 200)} empty="No orders." />}
            {shownTab === 'fills' && <FillsTable fills={store.fills} empty="No fills." />}
            {shownTab === 'alerts' && <ActivityTable alerts={store.alerts} empty="No alerts since you joined." />}
          </div>
        </section>
      )}
    </main>
  );
}

/** The trader's watchlist, read-only: picking a row charts it here, not at the desk. */
function SharedWatchlist({ store, selected, onSelect }: { store: ViewerStore; selected: number | undefined; onSelect: (conId: number) => void }) {
  const list = store.watchlist();
  const rows: WatchRow[] = list.map((i) => ({ word: topicWord(i.symbol), label: i.symbol, quote: store.quotes.get(i.conId) }));
  const word = (conId: number | undefined) => rows[list.findIndex((i) => i.conId === conId)]?.word;
  const pick = (w: string) => {
    const item = list[rows.findIndex((r) => r.word === w)];
    if (item) onSelect(item.conId);
  };
  return <WatchTable rows={rows} selected={word(selected)} onSelect={pick} empty="Nothing shared yet." />;
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
        <dd className={tone(daily)} data-testid="pnl-daily">
          {signed(daily)}
        </dd>
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
  return (
    <section className="panel" data-testid="positions-panel">
      <h3>Positions</h3>
      <div className="scroll">
        <PositionsTable positions={store.positions.values()} />
      </div>
    </section>
  );
}
