// How many decimals a percentage needs to be read: a small limit (0.003%) or loss must not read 0.00%.

/** 2 decimals, or enough for two significant digits below 1% (0.00063%), at most 6; 2 for 0. */
export function percentDecimals(v: number): number {
  const a = Math.abs(v);
  if (!Number.isFinite(a) || a === 0 || a >= 1) return 2;
  return Math.min(6, Math.max(2, Math.ceil(-Math.log10(a)) + 1));
}
