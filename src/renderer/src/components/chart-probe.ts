// What the chart actually draws, summed up as data attributes on its element: tests (and a curious
// trader in the devtools) can check the bars' spacing and that EMA points and markers sit on bars,
// which a canvas does not show to anything but eyes.

/** The series as lightweight-charts holds them (times in UTC seconds). */
export interface ChartContents {
  readonly interval: string;
  readonly barTimes: readonly number[];
  /** One list per EMA line. */
  readonly emaTimes: readonly (readonly number[])[];
  readonly markerTimes: readonly number[];
  /** Live batches drawn since the history loaded. */
  readonly updates: number;
}

/** The most common gap between consecutive times (0 with fewer than two), and the smallest. */
function gaps(times: readonly number[]): { usual: number; min: number } {
  const counts = new Map<number, number>();
  let min = 0;
  for (let i = 1; i < times.length; i++) {
    const g = (times[i] as number) - (times[i - 1] as number);
    counts.set(g, (counts.get(g) ?? 0) + 1);
    if (min === 0 || g < min) min = g;
  }
  let usual = 0;
  let best = 0;
  for (const [g, n] of counts) if (n > best) [usual, best] = [g, n];
  return { usual, min };
}

/** Sets data-interval, data-bars, data-first-bar, data-last-bar, data-spacing, data-min-spacing, data-emas, data-ema-*, data-markers*, data-updates on `el`. */
export function describeChart(el: HTMLElement, c: ChartContents): void {
  const bars = new Set(c.barTimes);
  const lines = c.emaTimes.filter((t) => t.length > 0);
  const emaAll = lines.flat();
  const barGaps = gaps(c.barTimes);
  const emaGaps = lines.map((t) => gaps(t).usual).filter((g) => g > 0);
  const perBar = new Map<number, number>();
  for (const t of c.markerTimes) perBar.set(t, (perBar.get(t) ?? 0) + 1);
  const d = el.dataset;
  d['interval'] = c.interval;
  d['bars'] = String(c.barTimes.length);
  d['firstBar'] = String(c.barTimes[0] ?? '');
  d['lastBar'] = String(c.barTimes[c.barTimes.length - 1] ?? '');
  d['spacing'] = String(barGaps.usual);
  d['minSpacing'] = String(barGaps.min);
  d['emas'] = String(lines.length);
  d['emaFirst'] = String(emaAll.length > 0 ? Math.min(...lines.map((t) => t[0] as number)) : '');
  d['emaLast'] = String(emaAll.length > 0 ? Math.max(...lines.map((t) => t[t.length - 1] as number)) : '');
  d['emaSpacing'] = String(emaGaps.length > 0 ? Math.min(...emaGaps) : 0);
  d['emaOffBar'] = String(emaAll.filter((t) => !bars.has(t)).length);
  d['markers'] = String(c.markerTimes.length);
  d['markersOffBar'] = String(c.markerTimes.filter((t) => !bars.has(t)).length);
  d['markersPerBar'] = String(perBar.size > 0 ? Math.max(...perBar.values()) : 0);
  d['updates'] = String(c.updates);
}
