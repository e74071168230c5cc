// Numbers in the trader's words. Only rejections and alerts format; the passing check never does.
import { percentDecimals } from '../../shared/percent';

const plain = new Intl.NumberFormat('en-US', { maximumFractionDigits: 8 });
const money = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** 12,345.5 — as many decimals as the value has (up to 8), thousands separated. */
export function num(n: number): string {
  // Below 1,000 there is no separator to add: String() gives the same text as Intl (but 0 for -0), several times faster.
  if (n > -1000 && n < 1000) {
    const s = String(n);
    const dot = s.indexOf('.');
    if (s.indexOf('e') < 0 && (dot < 0 || s.length - dot - 1 <= 8)) return s;
  }
  return plain.format(n);
}

/** 12,345.50 */
export const amount = (n: number): string => money.format(n);

/** 4.50% */
export const pct = (n: number): string => `${n.toFixed(2)}%`;

/** 0.00063% — a percentage with enough decimals not to read 0.00% when it is not 0. */
export const finePct = (n: number): string => `${n.toFixed(percentDecimals(n))}%`;
