// Reading the venue's account values (strings, per currency) at the boundary: only finite numbers in
// the account's base currency are taken; anything else is ignored as absent.
import type { VenueAccountValue } from '../venue';

export interface VenueFigures {
  readonly netLiquidation?: number;
  readonly totalCashValue?: number;
  readonly unrealizedPnl?: number;
  readonly realizedPnl?: number;
}

const KEYS = {
  NetLiquidation: 'netLiquidation',
  TotalCashValue: 'totalCashValue',
  UnrealizedPnL: 'unrealizedPnl',
  RealizedPnL: 'realizedPnl',
} as const satisfies Record<string, keyof VenueFigures>;

export type FigureKey = keyof typeof KEYS;

export function isFigureKey(key: string): key is FigureKey {
  return Object.hasOwn(KEYS, key);
}

/** The value of one account row in the base currency, or undefined when it is not one we read. */
export function figureOf(v: VenueAccountValue, baseCurrency: string, account: string | undefined): { field: keyof VenueFigures; value: number } | undefined {
  if (!isFigureKey(v.key)) return undefined;
  if (account !== undefined && v.account !== '' && v.account !== account) return undefined;
  if (v.currency !== baseCurrency && v.currency !== 'BASE') return undefined;
  const value = Number(v.value);
  if (v.value.trim() === '' || !Number.isFinite(value)) return undefined;
  return { field: KEYS[v.key], value };
}

export function readFigures(values: readonly VenueAccountValue[], baseCurrency: string, account: string | undefined): VenueFigures {
  const out: { -readonly [K in keyof VenueFigures]: number } = {};
  for (const v of values) {
    const f = figureOf(v, baseCurrency, account);
    if (f) out[f.field] = f.value;
  }
  return out;
}
