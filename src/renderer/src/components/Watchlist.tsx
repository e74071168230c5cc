import { memo, useCallback, useState } from 'react';
import type { SymbolQuote } from '../../../shared';
import { useSlices } from '../desk/hooks';
import { compact, pct, price, priceDecimals, tone } from '../desk/format';
import { ageText } from '../desk/outage';
import type { WatchItem } from '../desk/store';

const Row = memo(function Row({ item, quote, stale, selected, onSelect, onRemove }: { item: WatchItem; quote: SymbolQuote | undefined; stale: string | undefined; selected: boolean; onSelect: (word: string) => void; onRemove: (word: string) => void }) {
  const d = priceDecimals(item.instrument.minTick, quote?.last ?? quote?.bid);
  const change = quote?.last !== undefined && quote.close !== undefined ? quote.last - quote.close : undefined;
  const changePct = change !== undefined && quote?.close ? (change / quote.close) * 100 : undefined;
  return (
    <tr className={`${selected ? 'selected' : ''} ${stale ? 'stale' : ''}`} onClick={() => onSelect(item.word)} data-testid={`watch-row-${item.word}`} data-stale={stale ? 'true' : 'false'} title={stale ? `No change for ${stale}` : undefined}>
      <td className="sym">
        {item.instrument.localSymbol || item.instrument.symbol}
        {stale && (
          <span className="quote-age" data-testid="quote-age">
            {stale}
          </span>
        )}
      </td>
      <td className="num" data-testid="bid">{price(quote?.bid, d)}</td>
      <td className="num" data-testid="ask">{price(quote?.ask, d)}</td>
      <td className="num" data-testid="last">{price(quote?.last, d)}</td>
      <td className={`num ${tone(change)}`}>{pct(changePct)}</td>
      <td className="num">{compact(quote?.volume)}</td>
      <td>
        <button
          className="icon"
          title="Remove"
          aria-label={`Remove ${item.instrument.symbol}`}
          onClick={(e) => {
            e.stopPropagation();
            onRemove(item.word);
          }}
        >
          ×
        </button>
      </td>
    </tr>
  );
});

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

  return (
    <section className="panel watchlist" data-testid="watchlist">
      <h3>Watchlist</h3>
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
              <th />
            </tr>
          </thead>
          <tbody>
            {[...store.watchlist.values()].map((item) => (
              <Row key={item.word} item={item} quote={store.quotes.get(item.word)} stale={staleOf(store.quoteAge(item.word))} selected={item.word === selected} onSelect={onSelect} onRemove={remove} />
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
