// The watchlist's panel and table: symbols with bid, ask, last, change and volume. The desk's window
// adds and removes (its form, onRemove); a viewer only reads and picks what to chart.
import { memo, type ReactNode } from 'react';
import type { SymbolQuote } from '../../../shared';
import { compact, pct, price, priceDecimals, tone } from '../desk/format';

export interface WatchRow {
  /** The topic word: the row's id (watch-row-<word>). */
  readonly word: string;
  readonly label: string;
  /** Decimals from the tick when known, else from the price. */
  readonly minTick?: number;
  readonly quote: SymbolQuote | undefined;
  /** A stale quote's age in words ('12 s'). */
  readonly stale?: string;
}

// The row's fields as props of their own: memo skips the rows whose quote did not change.
const Row = memo(function Row({
  word,
  label,
  minTick,
  quote,
  stale,
  selected,
  onSelect,
  onRemove,
}: WatchRow & { selected: boolean; onSelect: (word: string) => void; onRemove: ((word: string) => void) | undefined }) {
  const d = priceDecimals(minTick, quote?.last ?? quote?.bid);
  const change = quote?.last !== undefined && quote.close !== undefined ? quote.last - quote.close : undefined;
  const changePct = change !== undefined && quote?.close ? (change / quote.close) * 100 : undefined;
  return (
    <tr
      className={`${selected ? 'selected' : ''} ${stale ? 'stale' : ''}`}
      onClick={() => onSelect(word)}
      data-testid={`watch-row-${word}`}
      data-stale={stale ? 'true' : 'false'}
      title={stale ? `No change for ${stale}` : undefined}
    >
      <td className="sym">
        {label}
        {stale && (
          <span className="quote-age" data-testid="quote-age">
            {stale}
          </span>
        )}
      </td>
      <td className="num" data-testid="bid">
        {price(quote?.bid, d)}
      </td>
      <td className="num" data-testid="ask">
        {price(quote?.ask, d)}
      </td>
      <td className="num" data-testid="last">
        {price(quote?.last, d)}
      </td>
      <td className={`num ${tone(change)}`}>{pct(changePct)}</td>
      <td className="num">{compact(quote?.volume)}</td>
      {onRemove && (
        <td>
          <button
            className="icon"
            title="Remove"
            aria-label={`Remove ${label}`}
            onClick={(e) => {
              e.stopPropagation();
              onRemove(word);
            }}
          >
            ×
          </button>
        </td>
      )}
    </tr>
  );
});

/** The panel; without onRemove it only reads. `children` go above the table (the desk's add form). */
export function WatchTable({
  rows,
  selected,
  onSelect,
  onRemove,
  empty,
  children,
}: {
  rows: readonly WatchRow[];
  selected: string | undefined;
  onSelect: (word: string) => void;
  onRemove?: (word: string) => void;
  empty?: string;
  children?: ReactNode;
}) {
  return (
    <section className="panel watchlist" data-testid="watchlist">
      <h3>Watchlist</h3>
      {children}
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
              {onRemove && <th />}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <Row key={row.word} {...row} selected={row.word === selected} onSelect={onSelect} onRemove={onRemove} />
            ))}
            {rows.length === 0 && empty && (
              <tr>
                <td colSpan={onRemove ? 7 : 6} className="muted">
                  {empty}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}
