// Numbers as a trader reads them: fixed decimals per magnitude, thousands separated, signs on P&L.

const cache = new Map<number, Intl.NumberFormat>();
function fmt(decimals: number): Intl.NumberFormat {
  let f = cache.get(decimals);
  if (!f) cache.set(decimals, (f = new Intl.NumberFormat('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals })));
  return f;
}

/** The decimals a number is written with: 0.25 → 2, 0.015625 → 6, 1.08345 → 5 (at most 8). */
function decimalsOf(v: number): number {
  for (let d = 0; d <= 8; d++) if (Math.abs(v * 10 ** d - Math.round(v * 10 ** d)) < 1e-9 * Math.max(1, Math.abs(v * 10 ** d))) return d;
  return 8;
}

/** Decimals for a price: the tick's when known, else the price's own (at least 2). */
export function priceDecimals(minTick: number | undefined, price?: number): number {
  if (minTick !== undefined && minTick > 0) return decimalsOf(minTick);
  return price === undefined || !Number.isFinite(price) ? 2 : Math.max(2, decimalsOf(price));
}

export function price(v: number | undefined, decimals = 2): string {
  return v === undefined || !Number.isFinite(v) ? '—' : fmt(decimals).format(v);
}

/** A quantity with its own decimals (1.5 stays 1.5, never rounded to 2), thousands separated. */
export function qty(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '—' : fmt(decimalsOf(v)).format(v);
}

export function money(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '—' : fmt(2).format(v);
}

export function signed(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  return `${v > 0 ? '+' : ''}${fmt(2).format(v)}`;
}

export function pct(v: number | undefined, decimals = 2): string {
  return v === undefined || !Number.isFinite(v) ? '—' : `${v > 0 ? '+' : ''}${fmt(decimals).format(v)}%`;
}

export function compact(v: number | undefined): string {
  if (v === undefined) return '—';
  if (Math.abs(v) >= 1e9) return `${fmt(1).format(v / 1e9)}B`;
  if (Math.abs(v) >= 1e6) return `${fmt(1).format(v / 1e6)}M`;
  if (Math.abs(v) >= 1e4) return `${fmt(1).format(v / 1e3)}K`;
  return fmt(0).format(v);
}

export function time(ms: number): string {
  return new Date(ms).toLocaleTimeString('en-GB', { hour12: false });
}

/** 'pos' / 'neg' / '' for colouring P&L and changes. */
export function tone(v: number | undefined): string {
  return v === undefined || v === 0 || !Number.isFinite(v) ? '' : v > 0 ? 'pos' : 'neg';
}

/** A quantity as a trader types it: `1000`, `1,000`, `1k`, `2.5m`; undefined when it is not a number. */
export function parseQuantity(s: string): number | undefined {
  const m = /^(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s*([km])?$/i.exec(s.trim());
  if (!m) return undefined;
  const v = Number(`${(m[1] as string).replace(/,/g, '')}${m[2] ?? ''}`) * (m[3] === undefined ? 1 : m[3].toLowerCase() === 'k' ? 1_000 : 1_000_000);
  return Number.isFinite(v) ? Math.round(v * 1e8) / 1e8 : undefined;
}

/** A price as a trader types it: `187.5`, `1,234.50`, `.5`; undefined when it is not a number. */
export function parsePrice(s: string): number | undefined {
  const m = /^(\d{1,3}(?:,\d{3})+|\d*)(\.\d*)?$/.exec(s.trim());
  if (!m || (m[1] === '' && (m[2] ?? '.') === '.')) return undefined;
  const v = Number(`${(m[1] as string).replace(/,/g, '') || '0'}${m[2] ?? ''}`);
  return Number.isFinite(v) ? v : undefined;
}
