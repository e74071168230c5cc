// md.history.1m.<word>: an instrument's last closed 1-minute bars in one message, so a subscriber that
// has no command path (a viewer, a relay's viewer) gets the chart's history from the stream's snapshot.
// Packed, because it is sent again whenever a minute closes: a bar is [minutes after `from`, open, high,
// low, close, volume] (the chart draws no more; wap and count stay in md.bar.1m).
import type { Bar } from './market';

/** A bar as a chart draws it. */
export type ChartBar = Pick<Bar, 'time' | 'open' | 'high' | 'low' | 'close' | 'volume'>;

/** [minutes after `from`, open, high, low, close, volume]. */
export type PackedBar = readonly [minutes: number, open: number, high: number, low: number, close: number, volume: number];

export interface BarHistory {
  readonly conId: number;
  readonly symbol: string;
  readonly size: '1m';
  /** The first bar's time (epoch ms); 0 with no bars. */
  readonly from: number;
  /** Oldest first. */
  readonly bars: readonly PackedBar[];
}

const MINUTE_MS = 60_000;

/** The history message of `bars` (closed 1-minute bars, oldest first). */
export function packBarHistory(conId: number, symbol: string, bars: readonly ChartBar[]): BarHistory {
  const from = bars[0]?.time ?? 0;
  return { conId, symbol, size: '1m', from, bars: bars.map((b) => [(b.time - from) / MINUTE_MS, b.open, b.high, b.low, b.close, b.volume] as const) };
}

/** The bars of a history message, oldest first; undefined when it is not one (a stream is a boundary). */
export function unpackBarHistory(data: unknown): { conId: number; symbol: string; bars: ChartBar[] } | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const h = data as Partial<BarHistory>;
  if (typeof h.conId !== 'number' || typeof h.symbol !== 'string' || typeof h.from !== 'number' || !Array.isArray(h.bars)) return undefined;
  const bars: ChartBar[] = [];
  for (const p of h.bars as unknown[]) {
    if (!Array.isArray(p) || p.length !== 6 || !p.every((x) => typeof x === 'number' && Number.isFinite(x))) return undefined;
    const [minutes, open, high, low, close, volume] = p as unknown as PackedBar;
    bars.push({ time: h.from + minutes * MINUTE_MS, open, high, low, close, volume });
  }
  return { conId: h.conId, symbol: h.symbol, bars };
}
