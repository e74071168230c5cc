import { useCallback, useState } from 'react';
import { useSlices } from '../desk/hooks';
import { ageText } from '../desk/outage';
import { WatchTable, type WatchRow } from './WatchTable';

/** A stale quote's age in words ('12 s'), else undefined. */
function staleOf(age: number | undefined): string | undefined {
  return age === undefined ? undefined : ageText(age);
}

/** Symbols with bid, ask, last, change and volume; add (the venue validates) and remove. */
export function Watchlist({ selected, onSelect }: { selected: string | undefined; onSelect: (word: string) => void }) {
  // 'venue' moves at every health poll (answered or not): stale quotes' ages count on.
  const store = useSlices('watchlist', 'quotes', 'venue');
  const [symbol, setSymbol] = useState('');
  const [secType, setSecType] = useState<'STK' | 'CASH' | 'FUT'>('STK');
  const [error, setError] = useState<string | undefined>();
  const [adding, setAdding] = useState(false);
  const remove = useCallback((word: string) => void store.unwatch(word), [store]);

  async function add() {
    const s = symbol.trim().toUpperCase();
    if (s === '') return;
    setAdding(true);
    setError(undefined);
    const r = await store.watch(s, secType);
    setAdding(false);
    if (!r.ok) {
      setError(r.error.message);
      return;
    }
    setSymbol('');
    onSelect(r.value.word);
  }

  const rows: WatchRow[] = [...store.watchlist.values()].map((item) => ({
    word: item.word,
    label: item.instrument.localSymbol || item.instrument.symbol,
    minTick: item.instrument.minTick,
    quote: store.quotes.get(item.word),
    stale: staleOf(store.quoteAge(item.word)),
  }));
  return (
    <WatchTable rows={rows} selected={selected} onSelect={onSelect} onRemove={remove}>
      <form
        className="add-symbol"
        onSubmit={(e) => {
          e.preventDefault();
          void add();
        }}
      >
        <input value={symbol} onChange={(e) => setSymbol(e.target.value)} placeholder="Add symbol" aria-label="Symbol to add" data-testid="add-symbol" />
        <select value={secType} onChange={(e) => setSecType(e.target.value as typeof secType)} aria-label="Security type">
          <option value="STK">STK</option>
          <option value="CASH">FX</option>
          <option value="FUT">FUT</option>
        </select>
        <button className="btn" disabled={adding} data-testid="add-symbol-button">
          {adding ? '…' : 'Add'}
        </button>
      </form>
      {error && (
        <p className="error" data-testid="add-symbol-error">
          {error}
        </p>
      )}
    </WatchTable>
  );
}
