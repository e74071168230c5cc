/** The textbook EMA the engine is checked against: the mean of the first n closes, then alpha-weighted. */
export function textbookEma(closes: readonly number[], n: number): (number | undefined)[] {
  const alpha = 2 / (n + 1);
  let prev: number | undefined;
  return closes.map((c, i) => {
    if (i + 1 < n) return undefined;
    prev = i + 1 === n ? closes.slice(0, n).reduce((s, x) => s + x, 0) / n : alpha * c + (1 - alpha) * (prev as number);
    return prev;
  });
}
